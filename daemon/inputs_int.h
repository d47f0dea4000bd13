/* SPDX-License-Identifier: Apache-2.0 */
/* Between the recorder (inputs.c) and its pruning (inputs_prune.c). */
#ifndef LOCKSET_INPUTS_INT_H
#define LOCKSET_INPUTS_INT_H

#include "inputs.h"

#include <stdio.h>

struct db;

/* Remove, in one transaction: rows last seen before lim->max_days, the
 * oldest rows beyond lim->max_rows, then the oldest beyond lim->max_bytes,
 * and the bodies no row refers to any more; then count what is stored for
 * /metrics. now_usec is the time it is. Logs a failure. */
void inputs_prune(struct db *db, const struct inputs_limits *lim, long long now_usec);

/* Prometheus text of what is stored (as of the last prune) and of the
 * limits; too_large counts decisions not recorded for their URI's size. */
void inputs_prune_metrics(FILE *out, const struct inputs_limits *lim, unsigned long long too_large);

#endif

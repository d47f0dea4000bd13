/* SPDX-License-Identifier: Apache-2.0 */
/* The few process-wide handles handlers need: the configuration and the
 * open stores. Set once at start-up by main.c, read-only afterwards. */
#ifndef LOCKSET_APP_H
#define LOCKSET_APP_H

#include "config.h"

struct audit;
struct ratelimit;
struct redact;
struct containers;
struct lookup;
struct engineinfo;
struct proxy;

struct app {
	const struct config *cfg;
	struct audit *audit;
	struct ratelimit *events_limit; /* POST /v1/events per caller; NULL: none */
	struct redact *redact;          /* hides secrets in recorded requests (redact.h) */
	struct containers *containers;  /* container records, or NULL */
	struct lookup *lookup;          /* container lookups for judgements, or NULL */
	struct engineinfo *engineinfo;  /* the engine's user namespaces, or NULL */
	struct proxy *proxy;            /* the docker socket proxy, or NULL */
};

extern struct app app;

#endif

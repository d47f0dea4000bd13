/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the engine client's files (engineclient.c: the HTTP
 * GET; engineclient_container.c: containers and volumes). Not for other
 * modules: they use engineclient.h. */
#ifndef LOCKSET_ENGINECLIENT_INT_H
#define LOCKSET_ENGINECLIENT_INT_H

#include <stddef.h>

/* Milliseconds of CLOCK_MONOTONIC: deadlines. */
long long engineclient_now_ms(void);
/* Write a message to err (errsz bytes); err may be NULL. */
void engineclient_seterr(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

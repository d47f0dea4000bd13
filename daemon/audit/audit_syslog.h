/* SPDX-License-Identifier: Apache-2.0 */
/* Forwarding the audit log to syslog (--syslog udp:HOST:PORT | tcp:HOST:PORT
 * | tls:HOST:PORT | unix:PATH). One thread reads committed rows in id order
 * from its own read connection and sends each as an RFC 5424 message; TCP
 * and TLS frame them by octet counting (RFC 6587, RFC 5425). Forwarding never
 * blocks or changes the local record: the writer does not wait for it.
 *
 * Delivery over TCP and TLS (and to a local unix datagram socket) is at least
 * once, from a cursor kept in SQLite (syslog_cursor): a row counts as
 * delivered once the receiver's TCP has acknowledged every byte up to it
 * (the socket's send queue is empty) and the connection has then stayed up
 * for AUDIT_SYSLOG_GRACE_MS, so a receiver that dies with rows in its own
 * queue gets them again. After an outage or a restart forwarding resumes at
 * the cursor; the rows sent again carry their id, by which duplicates are
 * recognised. UDP is best effort.
 *
 * Each message: <PRI>1 TIME HOST lockset PID ACTION [lockset@32473 id=".."
 * hash=".." action=".." actor=".." subject=".." component=".." decision=".."
 * rules="a,b" policyVersion=".."] DATA, where PRI is facility 13 (log audit)
 * with severity warning for denies and notice otherwise, TIME/HOST/ACTION are
 * the row's, empty parameters are left out, and DATA is the row's data JSON,
 * cut so that the message fits AUDIT_SYSLOG_MAX bytes. 32473 is the
 * documentation enterprise number of RFC 5612.
 */
#ifndef LOCKSET_AUDIT_SYSLOG_H
#define LOCKSET_AUDIT_SYSLOG_H

#include "audit.h"

#include <stdio.h>

#define AUDIT_SYSLOG_MAX      8192 /* bytes per message: rsyslog's default */
#define AUDIT_SYSLOG_GRACE_MS 1000
#define AUDIT_SYSLOG_SD_ID    "lockset@32473"

enum audit_syslog_proto { SYSLOG_UDP, SYSLOG_TCP, SYSLOG_TLS, SYSLOG_UNIX };

struct audit_syslog_target {
	enum audit_syslog_proto proto;
	char host[256]; /* udp, tcp, tls; "[v6]" written without brackets */
	char port[8];
	char path[108]; /* unix */
};

/* Parse a --syslog value. 0, or -1 with *err (malloc'd). */
int audit_syslog_parse_target(const char *spec, struct audit_syslog_target *t, char **err);

/* The RFC 5424 message for r (without framing), sent by process pid: malloc'd,
 * at most AUDIT_SYSLOG_MAX bytes, length in *len; NULL on ENOMEM. */
char *audit_syslog_format(const struct audit_row *r, long pid, size_t *len);

/* Start forwarding a's rows to spec (CA certificates for tls: cacert, NULL
 * for the system's). 0, or -1 with *err (malloc'd). */
int audit_syslog_start(struct audit *a, const char *spec, const char *cacert, char **err);
/* Stop the thread and save the cursor. Safe when not started; audit_close
 * does it too. */
void audit_syslog_stop(struct audit *a);
/* Prometheus text: rows sent, failures, lag, connection state (nothing when
 * not forwarding). */
void audit_syslog_metrics(struct audit *a, FILE *out);

#endif

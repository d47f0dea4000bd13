/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of syslog forwarding shared by audit_syslog.c (the thread,
 * cursor and delivery) and audit_syslog_net.c (the sockets). */
#ifndef LOCKSET_AUDIT_SYSLOG_INT_H
#define LOCKSET_AUDIT_SYSLOG_INT_H

#include "audit_syslog.h"

#include <openssl/ssl.h>

/* One connection to the receiver. */
struct syslog_conn {
	int fd;
	SSL *ssl;   /* tls only */
	int stream; /* tcp or tls: octet-counted frames, acknowledgements */
	char error[512];
};

/* A client context verifying the receiver against cacert (NULL: the
 * system's store), TLS 1.2 or later. NULL with *err (malloc'd). */
SSL_CTX *syslog_tls_ctx(const char *cacert, char **err);
/* Connect to t (ctx for tls). 0, or -1 with c->error set. */
int syslog_conn_open(struct syslog_conn *c, const struct audit_syslog_target *t, SSL_CTX *ctx);
void syslog_conn_close(struct syslog_conn *c);
/* Write all of p. 0, or -1 with c->error set. */
int syslog_conn_write(struct syslog_conn *c, const char *p, size_t len);
/* 1 when every byte written so far has been acknowledged by the receiver's
 * TCP (always 1 for datagrams). */
int syslog_conn_acked(struct syslog_conn *c);
/* 0 when the receiver has closed or reset the connection (c->error set). */
int syslog_conn_alive(struct syslog_conn *c);

#endif

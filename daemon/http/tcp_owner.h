/* SPDX-License-Identifier: Apache-2.0 */
/* Who is at the other end of a loopback TCP connection. Any local user can
 * connect from any address of 127.0.0.0/8, so on loopback an address names
 * nobody: the kernel's socket table (NETLINK_SOCK_DIAG) does, since the
 * client's socket lives in this host's network namespace with the uid that
 * opened it. Internal to the HTTP front door. */
#ifndef LOCKSET_HTTP_TCP_OWNER_H
#define LOCKSET_HTTP_TCP_OWNER_H

#include <sys/socket.h>
#include <sys/types.h>

/* Is sa a loopback address (127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104)? */
int tcp_addr_is_loopback(const struct sockaddr *sa);

/* The uid that owns the client's end of fd, an accepted TCP connection
 * whose peer is a loopback address. 0 with *uid set, or -1 when the kernel
 * does not say (the client's socket is gone or closing, or sock_diag is not
 * there): the caller then knows no one. */
int tcp_owner_uid(int fd, uid_t *uid);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Tickets: how the docker socket proxy tells the authorization plugin that
 * it judged a request itself, with more than the plugin can know (the
 * caller, the whole body, the form). The proxy adds a random single-use
 * ticket header to each request it forwards; when dockerd asks the plugin
 * about that request, the plugin redeems the ticket: the same method and
 * URI (and, when dockerd forwards the body, the same body) mean the same
 * request, already judged; anything else is judged as usual. A client never
 * sees a ticket, and a header it sends under that name is removed. */
#ifndef LOCKSET_PROXY_TICKET_H
#define LOCKSET_PROXY_TICKET_H

#include <stddef.h>

struct proxy_tickets;

#define PROXY_TICKET_HEADER "X-Lockset-Ticket"
#define PROXY_TICKET_LEN    36    /* hex: 4 for the slot, 32 random */
#define PROXY_TICKETS       4096  /* issued and not yet redeemed, at most */
#define PROXY_TICKET_TTL_MS 30000 /* dockerd asks the plugin within this */

/* A new, empty table; NULL on ENOMEM. */
struct proxy_tickets *proxy_tickets_new(void);
/* Accepts NULL. */
void proxy_tickets_free(struct proxy_tickets *t);

/* Issue a ticket for the request method + uri (as sent), judged for user
 * ("" for none) with body (NULL when the proxy did not read it). Writes
 * PROXY_TICKET_LEN hex digits and a NUL to out. 0, or -1 when every slot is
 * taken (the request then goes without one). */
int proxy_ticket_issue(struct proxy_tickets *t, const char *user, const char *method,
                       size_t method_len, const char *uri, size_t uri_len, const char *body,
                       size_t body_len, char out[PROXY_TICKET_LEN + 1]);

/* The proxy is done with the request of ticket: free its slot. Returns 1
 * when the plugin redeemed it (dockerd asked the plugin, which then keeps
 * the container records too), else 0. */
int proxy_ticket_close(struct proxy_tickets *t, const char *ticket);

/* Redeem ticket (the header's value) for the request dockerd describes.
 * Returns 1 when it was issued for this very request: the proxy judged it
 * (the verdict was allow); 0 when it was issued for this method and URI but
 * the body dockerd forwards cannot be matched (the proxy streamed it, or it
 * differs): judge it, as user (copied to user); -1 when it is unknown,
 * expired, already redeemed or for another request. A ticket is redeemed
 * once. t may be NULL. */
int proxy_ticket_redeem(struct proxy_tickets *t, const char *ticket, const char *method,
                        const char *uri, const char *body, size_t body_len, char *user,
                        size_t usersz);

#endif

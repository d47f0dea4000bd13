/* SPDX-License-Identifier: Apache-2.0 */
/* The ticket table: fixed slots under one lock; a ticket names its slot and
 * carries 128 random bits; a slot holds the method and hashes of the URI and
 * body that were judged, and whether the plugin redeemed it, until the proxy
 * closes it (or it expires). */
#include "proxy_ticket.h"
#include "util/lockorder.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slot {
	unsigned char secret[16];
	long long expires_ms; /* 0: free */
	char method[16];
	unsigned char uri[SHA256_DIGEST_LENGTH];
	unsigned char body[SHA256_DIGEST_LENGTH];
	int has_body;
	int redeemed;
	char user[64];
};

struct proxy_tickets {
	pthread_mutex_t lock;
	size_t cursor;
	struct slot slots[PROXY_TICKETS];
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct proxy_tickets *
proxy_tickets_new(void)
{
	struct proxy_tickets *t = calloc(1, sizeof(*t));

	if (t != NULL)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
proxy_tickets_free(struct proxy_tickets *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	OPENSSL_cleanse(t->slots, sizeof(t->slots));
	free(t);
}

int
proxy_ticket_issue(struct proxy_tickets *t, const char *user, const char *method, size_t method_len,
                   const char *uri, size_t uri_len, const char *body, size_t body_len,
                   char out[PROXY_TICKET_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	long long now = now_ms();
	struct slot s = {0};
	size_t i, k;

	if (t == NULL || RAND_bytes(s.secret, sizeof(s.secret)) != 1)
		return -1;
	if (method_len >= sizeof(s.method))
		return -1;
	s.expires_ms = now + PROXY_TICKET_TTL_MS;
	memcpy(s.method, method, method_len);
	SHA256((const unsigned char *)uri, uri_len, s.uri);
	if ((s.has_body = body != NULL))
		SHA256((const unsigned char *)body, body_len, s.body);
	snprintf(s.user, sizeof(s.user), "%s", user != NULL ? user : "");
	lockorder_lock(&t->lock, LOCK_PROXY_TICKET);
	for (k = 0; k < PROXY_TICKETS; k++) {
		i = (t->cursor + k) % PROXY_TICKETS;
		if (t->slots[i].expires_ms <= now)
			break;
	}
	if (k == PROXY_TICKETS) {
		lockorder_unlock(&t->lock, LOCK_PROXY_TICKET);
		return -1;
	}
	t->slots[i] = s;
	t->cursor = (i + 1) % PROXY_TICKETS;
	lockorder_unlock(&t->lock, LOCK_PROXY_TICKET);
	for (k = 0; k < 4; k++)
		out[k] = hex[(i >> (12 - 4 * k)) & 15];
	for (k = 0; k < sizeof(s.secret); k++) {
		out[4 + 2 * k] = hex[s.secret[k] >> 4];
		out[5 + 2 * k] = hex[s.secret[k] & 15];
	}
	out[PROXY_TICKET_LEN] = '\0';
	OPENSSL_cleanse(&s, sizeof(s));
	return 0;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The ticket's slot and secret. 0, or -1 when it is not one of ours. */
static int
ticket_parse(const char *ticket, size_t *slot, unsigned char secret[16])
{
	size_t v = 0, k;

	if (ticket == NULL || strlen(ticket) != PROXY_TICKET_LEN)
		return -1;
	for (k = 0; k < PROXY_TICKET_LEN; k++)
		if (hexval(ticket[k]) < 0)
			return -1;
	for (k = 0; k < 4; k++)
		v = v * 16 + (size_t)hexval(ticket[k]);
	if (v >= PROXY_TICKETS)
		return -1;
	*slot = v;
	for (k = 0; k < 16; k++)
		secret[k] =
		    (unsigned char)(hexval(ticket[4 + 2 * k]) << 4 | hexval(ticket[5 + 2 * k]));
	return 0;
}

int
proxy_ticket_redeem(struct proxy_tickets *t, const char *ticket, const char *method,
                    const char *uri, const char *body, size_t body_len, char *user, size_t usersz)
{
	unsigned char secret[16], uh[SHA256_DIGEST_LENGTH], bh[SHA256_DIGEST_LENGTH];
	struct slot s;
	size_t i;

	if (t == NULL || method == NULL || uri == NULL || ticket_parse(ticket, &i, secret) != 0)
		return -1;
	lockorder_lock(&t->lock, LOCK_PROXY_TICKET);
	s = t->slots[i];
	if (s.expires_ms > now_ms() && !s.redeemed &&
	    CRYPTO_memcmp(s.secret, secret, sizeof(secret)) == 0)
		t->slots[i].redeemed = 1; /* used once */
	else
		s.expires_ms = 0;
	lockorder_unlock(&t->lock, LOCK_PROXY_TICKET);
	SHA256((const unsigned char *)uri, strlen(uri), uh);
	if (s.expires_ms == 0 || strcmp(s.method, method) != 0 ||
	    memcmp(s.uri, uh, sizeof(uh)) != 0)
		return -1;
	snprintf(user, usersz, "%s", s.user);
	if (body == NULL)
		return 1; /* dockerd forwards no body: the proxy saw all there was */
	SHA256((const unsigned char *)body, body_len, bh);
	return s.has_body && memcmp(s.body, bh, sizeof(bh)) == 0 ? 1 : 0;
}

int
proxy_ticket_close(struct proxy_tickets *t, const char *ticket)
{
	unsigned char secret[16];
	int redeemed = 0;
	size_t i;

	if (t == NULL || ticket_parse(ticket, &i, secret) != 0)
		return 0;
	lockorder_lock(&t->lock, LOCK_PROXY_TICKET);
	if (t->slots[i].expires_ms != 0 &&
	    CRYPTO_memcmp(t->slots[i].secret, secret, sizeof(secret)) == 0) {
		redeemed = t->slots[i].redeemed;
		OPENSSL_cleanse(&t->slots[i], sizeof(t->slots[i]));
	}
	lockorder_unlock(&t->lock, LOCK_PROXY_TICKET);
	return redeemed;
}

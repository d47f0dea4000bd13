/* SPDX-License-Identifier: Apache-2.0 */
/* The served policy and its long-poll waiters: install, acquire and release
 * across a swap, the change generation, org waiters woken by a new ETag,
 * "any" waiters by every change, per-user waiters re-checked by the waiters'
 * thread, deadlines, clients that went away, and the wake-up at shutdown. */
#include "check.h"
#include "testsrv.h"
#include "testutil.h"
#include "server.h"
#include "audit/audit.h"
#include "policy/policystore.h"
#include "policy/served.h"
#include "policy/userpolicy.h"
#include "util/etag.h"
#include "policy/settings.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The objects main.c would make, made by main() below and passed in. */
static struct server srv;

#define DOC_A                                                                                   \
	"{\"configurationFileVersion\": 2, \"blockDockerLoad\": {\"locked\": true, \"value\": " \
	"true}}"
#define DOC_B                                                                        \
	"{\"configurationFileVersion\": 2, \"blockDockerLoad\": {\"locked\": true, " \
	"\"value\": false}}"

/* A waiter and the number of times it fired (fire runs on any thread). */
struct tw {
	struct served_waiter w; /* first: fire() gets its address */
	int hits;
};

static void
on_fire(struct served_waiter *w)
{
	__atomic_add_fetch(&((struct tw *)w)->hits, 1, __ATOMIC_RELEASE);
}

static int
hits(struct tw *t)
{
	return __atomic_load_n(&t->hits, __ATOMIC_ACQUIRE);
}

/* A waiter with its deadline secs from now (CLOCK_MONOTONIC, as served_wait.c). */
static void
tw_init(struct tw *t, const char *etag, const char *user, int secs)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->w.etag, sizeof(t->w.etag), "%s", etag);
	clock_gettime(CLOCK_MONOTONIC, &t->w.deadline);
	t->w.deadline.tv_sec += secs;
	t->w.fire = on_fire;
	t->w.user = user;
	t->w.fd = -1;
}

static int
has_fired(void *arg)
{
	return hits(arg) > 0;
}

static int
install(const char *text, long long version)
{
	json_t *doc = json_loads(text, 0, NULL);

	return doc != NULL ? served_install(srv.served, doc, version) : -1;
}

/* The ETag of the policy served now, into out (72 bytes). */
static void
current_etag(char *out)
{
	struct served *s = served_acquire(srv.served);

	snprintf(out, 72, "%s", s != NULL ? s->etag : "");
	served_release(s);
}

/* ------------------------------------------------------------------------ */
/* Per-user replies: built by userpolicy_reply over a real audit log and
 * policy history, as the daemon builds them. */

#define DOC_USER                                                                      \
	"{\"configurationFileVersion\": 2, \"analyticsEnabled\": {\"locked\": true, " \
	"\"value\": false}}"

static char dir[] = "/tmp/lockset-test-served-XXXXXX";

/* The ETag of user's reply now, into out (72 bytes). */
static void
user_etag(const char *user, char *out)
{
	int unavailable;
	struct served_user_reply *r = userpolicy_reply(srv.userpolicy, user, &unavailable);

	snprintf(out, 72, "%s", r != NULL ? r->etag : "");
	served_user_reply_release(r);
}

/* Give user a policy of their own (which notifies their waiters). */
static int
set_user_policy(const char *user)
{
	json_t *doc = json_loads(DOC_USER, 0, NULL);
	long long v = 0;
	int rc = userpolicy_set(srv.userpolicy, user, doc, "test", NULL, &v, NULL, NULL);

	json_decref(doc);
	return rc;
}

static unsigned long long builds_seen;

/* The waiters' thread finished a re-check: its build count passed
 * builds_seen (counted and acted on under the waiters' lock). */
static int
recheck_done(void *arg)
{
	size_t all, users;
	unsigned long long b;

	(void)arg;
	served_wait_count(srv.served, &all, &users, &b);
	return b > builds_seen;
}

static void
note_builds(void)
{
	size_t all, users;

	served_wait_count(srv.served, &all, &users, &builds_seen);
}

/* ------------------------------------------------------------------------ */

static void
test_acquire_is_null_before_the_first_install(void)
{
	CHECK(served_acquire(srv.served) == NULL);
}

static void
test_install_builds_the_settings_reply_and_its_etag(void)
{
	struct served *s;
	char etag[72];

	CHECK_INT_EQ(install(DOC_A, 1), 0);
	s = served_acquire(srv.served);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT_EQ(s->version, 1);
	CHECK(s->dp != NULL);
	CHECK(s->text != NULL && s->text_len == strlen(s->text));
	etag_of(s->text, s->text_len, etag);
	CHECK_STR_EQ(s->etag, etag);
	CHECK_INT_EQ(json_integer_value(json_object_get(s->effective, "policyVersion")), 1);
	CHECK(json_is_true(
	    json_object_get(json_object_get(s->effective, "blockDockerLoad"), "value")));
	served_release(s);
}

/* A reader keeps the version it acquired, whole, across a swap. */
static void
test_reference_survives_a_swap(void)
{
	struct served *old = served_acquire(srv.served), *now;
	unsigned long long gen = served_generation(srv.served);

	CHECK(old != NULL);
	if (old == NULL)
		return;
	CHECK_INT_EQ(install(DOC_B, 2), 0);
	CHECK(served_generation(srv.served) > gen);
	now = served_acquire(srv.served);
	CHECK(now != NULL && now != old);
	CHECK_INT_EQ(old->version, 1);
	CHECK(strstr(old->text, "\"policyVersion\": 1") != NULL);
	if (now != NULL) {
		CHECK_INT_EQ(now->version, 2);
		CHECK(now->build > old->build);
		CHECK(strcmp(now->etag, old->etag) != 0);
	}
	CHECK(served_ref(old) == old);
	served_release(old);
	served_release(old);
	served_release(now);
}

/* Rebuilding the same document gives the same ETag and a new build. */
static void
test_rebuild_keeps_the_etag(void)
{
	struct served *before = served_acquire(srv.served), *after;

	CHECK_INT_EQ(served_rebuild(srv.served), 0);
	after = served_acquire(srv.served);
	CHECK(before != NULL && after != NULL);
	if (before != NULL && after != NULL) {
		CHECK_STR_EQ(after->etag, before->etag);
		CHECK_INT_EQ(after->version, before->version);
		CHECK(after->build > before->build);
	}
	served_release(before);
	served_release(after);
}

static void
test_org_waiter_with_a_stale_etag_answers_at_once(void)
{
	struct tw t;
	size_t all, users;
	unsigned long long b;

	tw_init(&t, "\"stale\"", NULL, 3600);
	CHECK_INT_EQ(served_wait_add(srv.served, &t.w), 1);
	served_wait_count(srv.served, &all, &users, &b);
	CHECK_INT_EQ(all, 0);
	CHECK_INT_EQ(hits(&t), 0);
}

/* An org waiter sleeps through a rebuild (same ETag) and wakes, within the
 * install, when the ETag changes; an "any" waiter wakes on both. */
static void
test_org_waiter_wakes_on_a_new_etag_only(void)
{
	struct tw org, any;
	char etag[72];
	size_t all, users;
	unsigned long long b;

	current_etag(etag);
	tw_init(&org, etag, NULL, 3600);
	tw_init(&any, "", NULL, 3600);
	CHECK_INT_EQ(served_wait_add(srv.served, &org.w), 0);
	served_wait_add_any(srv.served, &any.w);
	served_wait_count(srv.served, &all, &users, &b);
	CHECK_INT_EQ(all, 2);
	CHECK_INT_EQ(served_rebuild(srv.served), 0);
	CHECK_INT_EQ(hits(&org), 0);
	CHECK_INT_EQ(hits(&any), 1);
	CHECK_INT_EQ(install(DOC_A, 3), 0);
	CHECK_INT_EQ(hits(&org), 1);
	CHECK_INT_EQ(hits(&any), 1);
	served_wait_count(srv.served, &all, &users, &b);
	CHECK_INT_EQ(all, 0);
	served_wait_remove(srv.served, &org.w); /* twice is safe */
	served_wait_remove(srv.served, &org.w);
}

/* A removed waiter is not woken, and internal waiters are not counted. */
static void
test_removed_waiter_is_not_woken(void)
{
	struct tw gone, internal;
	char etag[72];
	size_t all, users;
	unsigned long long b;

	current_etag(etag);
	tw_init(&gone, etag, NULL, 3600);
	tw_init(&internal, "", NULL, 3600);
	CHECK_INT_EQ(served_wait_add(srv.served, &gone.w), 0);
	served_wait_add_internal(srv.served, &internal.w);
	served_wait_count(srv.served, &all, &users, &b);
	CHECK_INT_EQ(all, 1);
	served_wait_remove(srv.served, &gone.w);
	served_wait_count(srv.served, &all, &users, &b);
	CHECK_INT_EQ(all, 0);
	CHECK_INT_EQ(install(DOC_B, 4), 0);
	CHECK_INT_EQ(hits(&gone), 0);
	CHECK_INT_EQ(hits(&internal), 1);
}

/* A user's change wakes "any" waiters at once, bumps the generation, and has
 * the thread re-check that user's waiters, not another user's: only a new
 * ETag wakes them, with the new reply handed over. */
static void
test_user_waiters_wake_on_their_own_new_reply(void)
{
	struct tw alice, bob, any;
	unsigned long long gen = served_generation(srv.served);
	char ea[72], eb[72];
	size_t all, users;
	unsigned long long b;

	user_etag("alice", ea);
	user_etag("bob", eb);
	CHECK(ea[0] == '"' && eb[0] == '"');
	tw_init(&alice, ea, "alice", 3600);
	tw_init(&bob, eb, "bob", 3600);
	tw_init(&any, "", NULL, 3600);
	served_wait_add_user(srv.served, &alice.w);
	served_wait_add_user(srv.served, &bob.w);
	served_wait_add_any(srv.served, &any.w);
	served_wait_count(srv.served, &all, &users, &b);
	CHECK_INT_EQ(users, 2);
	note_builds();
	served_notify_user(srv.served, "alice"); /* nothing of hers changed */
	CHECK(served_generation(srv.served) > gen);
	CHECK_INT_EQ(hits(&any), 1);
	CHECK(check_wait(recheck_done, NULL));
	CHECK_INT_EQ(hits(&alice), 0); /* same ETag: keeps waiting */
	CHECK_INT_EQ(hits(&bob), 0);

	CHECK_INT_EQ(set_user_policy("alice"), UP_OK);
	CHECK(check_wait(has_fired, &alice));
	CHECK(alice.w.reply != NULL);
	if (alice.w.reply != NULL)
		CHECK(strcmp(alice.w.reply->etag, ea) != 0);
	CHECK_INT_EQ(hits(&bob), 0); /* not bob's change */
	served_wait_remove(srv.served, &alice.w);
	CHECK(alice.w.reply == NULL);
	/* Bob's own change does wake him. */
	CHECK_INT_EQ(set_user_policy("bob"), UP_OK);
	CHECK(check_wait(has_fired, &bob));
	served_wait_remove(srv.served, &bob.w);
}

/* A new org policy re-checks every user's waiters. */
static void
test_org_change_rechecks_user_waiters(void)
{
	struct tw alice;
	char ea[72];

	user_etag("alice", ea);
	tw_init(&alice, ea, "alice", 3600);
	served_wait_add_user(srv.served, &alice.w);
	CHECK_INT_EQ(install(DOC_A, 5), 0);
	CHECK(check_wait(has_fired, &alice));
	if (alice.w.reply != NULL)
		CHECK(strcmp(alice.w.reply->etag, ea) != 0);
	served_wait_remove(srv.served, &alice.w);
}

static void
test_waiter_fires_at_its_deadline(void)
{
	struct tw t;
	char etag[72];

	current_etag(etag);
	tw_init(&t, etag, NULL, 0);
	CHECK_INT_EQ(served_wait_add(srv.served, &t.w), 0);
	CHECK(check_wait(has_fired, &t));
	CHECK_INT_EQ(t.w.gone, 0);
	served_wait_remove(srv.served, &t.w);
}

/* A client that closed its connection is answered before its deadline. */
static void
test_gone_client_fires_with_gone_set(void)
{
	struct tw t;
	char etag[72];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		CHECK(0);
		return;
	}
	current_etag(etag);
	tw_init(&t, etag, NULL, 3600);
	t.w.fd = sv[0];
	CHECK_INT_EQ(served_wait_add(srv.served, &t.w), 0);
	close(sv[1]);
	CHECK(check_wait(has_fired, &t));
	CHECK_INT_EQ(t.w.gone, 1);
	served_wait_remove(srv.served, &t.w);
	close(sv[0]);
}

/* Among waiters with and without a socket, only the one whose client went
 * is answered: the sockets polled are matched to the right waiters. */
static void
test_gone_client_among_others_fires_alone(void)
{
	struct tw stays, unwatched, goes;
	char etag[72];
	int a[2], b[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, a) != 0) {
		CHECK(0);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, b) != 0) {
		CHECK(0);
		close(a[0]);
		close(a[1]);
		return;
	}
	current_etag(etag);
	tw_init(&goes, etag, NULL, 3600);
	tw_init(&unwatched, etag, NULL, 3600);
	tw_init(&stays, etag, NULL, 3600);
	goes.w.fd = b[0];
	stays.w.fd = a[0];
	CHECK_INT_EQ(served_wait_add(srv.served, &goes.w), 0);
	CHECK_INT_EQ(served_wait_add(srv.served, &unwatched.w), 0);
	CHECK_INT_EQ(served_wait_add(srv.served, &stays.w), 0);
	close(b[1]);
	CHECK(check_wait(has_fired, &goes));
	CHECK_INT_EQ(goes.w.gone, 1);
	CHECK_INT_EQ(hits(&stays), 0);
	CHECK_INT_EQ(hits(&unwatched), 0);
	served_wait_remove(srv.served, &stays.w);
	served_wait_remove(srv.served, &unwatched.w);
	served_wait_remove(srv.served, &goes.w);
	close(a[0]);
	close(a[1]);
	close(b[0]);
}

static void
test_wake_all_answers_every_waiter(void)
{
	struct tw a, u;
	char etag[72];
	size_t all, users;
	unsigned long long b;

	current_etag(etag);
	tw_init(&a, etag, NULL, 3600);
	tw_init(&u, "\"alice-3\"", "alice", 3600);
	CHECK_INT_EQ(served_wait_add(srv.served, &a.w), 0);
	served_wait_add_user(srv.served, &u.w);
	CHECK_INT_EQ(served_shutting_down(srv.served), 0);
	served_wake_all(srv.served);
	CHECK_INT_EQ(served_shutting_down(srv.served), 1);
	CHECK_INT_EQ(hits(&a), 1);
	CHECK_INT_EQ(hits(&u), 1);
	served_wait_count(srv.served, &all, &users, &b);
	CHECK_INT_EQ(all, 0);
	CHECK_INT_EQ(users, 0);
}

/* Two hubs, two policies: installing, waiting, notifying and shutting
 * down in one leaves the other as it was. */
static void
test_two_hubs_share_nothing(void)
{
	struct settings_env env;
	struct served_hub *other;
	struct served *mine, *theirs;
	struct tw t;
	unsigned long long gen = served_generation(srv.served);
	size_t all, users;
	unsigned long long b;

	settings_env_default(&env);
	other = served_hub_new("/nonexistent/other-settings.json", &env);
	CHECK(other != NULL);
	CHECK(served_acquire(other) == NULL); /* nothing installed there yet */
	CHECK_STR_EQ(served_settings_path(other), "/nonexistent/other-settings.json");
	CHECK_STR_EQ(served_settings_path(srv.served), "/nonexistent/admin-settings.json");
	CHECK_INT_EQ(served_install(other, json_loads(DOC_B, 0, NULL), 42), 0);
	mine = served_acquire(srv.served);
	theirs = served_acquire(other);
	CHECK(mine != NULL && theirs != NULL && mine != theirs);
	CHECK_INT_EQ(theirs->version, 42);
	CHECK(mine->version != 42);
	CHECK(served_generation(srv.served) == gen); /* the other's install is not ours */
	CHECK(served_generation(other) > 0);
	/* A waiter in the other hub is counted and woken there alone. */
	tw_init(&t, theirs->etag, NULL, 60);
	CHECK_INT_EQ(served_wait_add(other, &t.w), 0);
	served_wait_count(other, &all, &users, &b);
	CHECK_INT_EQ(all, 1);
	served_wait_count(srv.served, &all, &users, &b);
	CHECK_INT_EQ(all, 0);
	served_notify_user(srv.served, "alice");
	CHECK_INT_EQ(hits(&t), 0);
	CHECK_INT_EQ(served_shutting_down(srv.served), 1); /* from the test before */
	CHECK_INT_EQ(served_shutting_down(other), 0);
	served_wake_all(other);
	CHECK_INT_EQ(hits(&t), 1);
	served_release(mine);
	served_release(theirs);
	served_hub_free(other);
	/* Ours still serves what it served. */
	mine = served_acquire(srv.served);
	CHECK(mine != NULL && mine->version != 42);
	served_release(mine);
}

int
main(void)
{
	struct audit_opts aopts = {0};
	char cmd[128];

	if (mkdtemp(dir) == NULL || testsrv_open(&srv, dir, &aopts) != 0)
		return 99;
	if (served_start(srv.served, srv.userpolicy) != 0) {
		fprintf(stderr, "cannot start the waiters' thread\n");
		return 99;
	}
	RUN(test_acquire_is_null_before_the_first_install);
	RUN(test_install_builds_the_settings_reply_and_its_etag);
	RUN(test_reference_survives_a_swap);
	RUN(test_rebuild_keeps_the_etag);
	RUN(test_org_waiter_with_a_stale_etag_answers_at_once);
	RUN(test_org_waiter_wakes_on_a_new_etag_only);
	RUN(test_removed_waiter_is_not_woken);
	RUN(test_user_waiters_wake_on_their_own_new_reply);
	RUN(test_org_change_rechecks_user_waiters);
	RUN(test_waiter_fires_at_its_deadline);
	RUN(test_gone_client_fires_with_gone_set);
	RUN(test_gone_client_among_others_fires_alone);
	RUN(test_wake_all_answers_every_waiter);
	RUN(test_two_hubs_share_nothing);
	served_stop(srv.served);
	testsrv_close(&srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}

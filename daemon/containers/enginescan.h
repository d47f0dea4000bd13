/* SPDX-License-Identifier: Apache-2.0 */
/* The engine's containers judged as their start would be judged now. A
 * container made before the policy (or in audit mode) keeps what it was
 * made with: a --privileged one that runs goes on running so, and dockerd
 * starts one with a restart policy again by itself, where no plugin sees
 * it. No request shows what already runs; this scan names it. Each of the
 * first ENGINECLIENT_SCAN_MAX containers of GET /containers/json?all=1 is
 * described by the engine as a start's lookup describes it
 * (engineclient_container_with, GET /info asked once a scan) and judged by
 * decide_eval as POST /containers/{id}/start with the policy of the user
 * who made it, when lockset saw the create and its caller has a policy of
 * their own, else the organisation's: the rules, the messages and the
 * windows are a start's. Called on engineinfo's checker
 * thread, without its lock. */
#ifndef LOCKSET_ENGINESCAN_H
#define LOCKSET_ENGINESCAN_H

#include "engine/decide.h"

#include <jansson.h>
#include <stddef.h>

struct containers;
struct served;
struct userpolicy;

#define ENGINESCAN_LIST_MAX   20 /* containers /v1/health lists (the result keeps them all) */
#define ENGINESCAN_MAX_MISSES 3  /* containers in a row the engine does not describe: failed */

/* What a scan is judged with. Borrowed for the scan. */
struct enginescan_in {
	const char *socket; /* the engine (--engine-socket) */
	int timeout_ms;
	const struct decide_policy *dp; /* the organisation's policy */
	/* Who made each container (containers_creator) and the users' own
	 * policies: one made by a user with a policy of their own is judged by
	 * it. NULL: every container by dp. */
	struct containers *records;
	struct userpolicy *up;
	const struct served *served; /* what dp was compiled from, for up */
	enum decide_userns userns;   /* what the engine said, as a judgement has it */
	enum decide_cgroupns cgroupns;
	const char *const *sockets; /* the engine's sockets, as the judge has them */
	size_t nsockets;
	/* Asked between two containers: nonzero ends the scan early (a check
	 * is wanted, lockset stops). NULL: never. */
	int (*stop)(void *arg);
	void *stop_arg;
};

/* The last scan's result. */
struct enginescan {
	int count;   /* containers whose start the policy would refuse (audit mode:
	                  report); -1 when the engine's list could not be had */
	int scanned; /* containers judged (the first ENGINECLIENT_SCAN_MAX at most) */
	int listed;  /* containers the engine listed */
	/* Of those described, the ones in the host's user namespace
	 * (--userns=host, or joined to one that is), whatever the policy: how
	 * many, and their names (", "-separated, cut to fit). */
	int host_userns;
	char host_userns_names[512];
	/* Every one: [{"id" (short), "fullId", "name", "state", "rules",
	 * "refused" (false: audit mode, reported only), "user" (who made it,
	 * when known)}] (owned). */
	json_t *list;
	char names[512]; /* "name [rule, rule]; ..." cut to fit */
};

/* Scan into *out (zeroed first; release with enginescan_clear). Returns 0,
 * 1 when in->stop ended it early (*out then cleared), or -1 when the list
 * could not be had, the engine stopped describing its containers
 * (ENGINESCAN_MAX_MISSES in a row) or on ENOMEM (out->count -1, reason in
 * err). A container removed since the list is skipped. */
int enginescan_run(const struct enginescan_in *in, struct enginescan *out, char *err, size_t errsz);
/* Free what s holds and zero it. Accepts NULL. */
void enginescan_clear(struct enginescan *s);

#endif

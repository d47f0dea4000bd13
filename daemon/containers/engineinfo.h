/* SPDX-License-Identifier: Apache-2.0 */
/* Does the engine run containers in user namespaces? Enhanced Container
 * Isolation locked on requires it (rule engine-userns). lockset asks the
 * engine (GET /info on --engine-socket, engineclient_info) at start-up,
 * after every policy change, whenever dockerd activates the plugin (it does
 * on every start), every ENGINEINFO_PERIOD_S seconds, and when a judgement
 * needs an answer it does not have. A judgement that comes while a wanted
 * check has not finished waits for it (engineinfo_wait), without holding a
 * server thread: a check in flight may be the one that tells a restarted
 * engine from the one before.
 *
 * Threads: one checker thread asks the engine and calls the waiters'
 * done(); server and lookup threads read the state and queue waiters. Lock
 * order: served's waiter lock, then this module's lock (the policy-change
 * waiter fires under the former); no lock is held while the engine is
 * asked or a done() runs. */
#ifndef LOCKSET_ENGINEINFO_H
#define LOCKSET_ENGINEINFO_H

#include "engine/decide.h"

#include <jansson.h>
#include <stdio.h>

struct containers;
struct engineinfo;
struct served_hub;
struct userpolicy;

#define ENGINEINFO_PERIOD_S    60   /* re-check at least this often */
#define ENGINEINFO_RETRY_MS    1000 /* after a failed check, a judgement asks again after this */
#define ENGINEINFO_MAX_WAITERS 4096 /* judgements waiting at once; more: not waited for */

/* Start the checker thread; the first check runs at once, and again after
 * every change of served's policy (borrowed; it must outlive e). socket (copied)
 * NULL or "": no engine is configured and nothing is asked: the answer
 * stays unknown. timeout_ms <= 0: the engine client's default. Returns NULL
 * on failure (logged). */
struct engineinfo *engineinfo_new(struct served_hub *served, const char *socket, int timeout_ms);
/* Stop the thread; every waiter's done() is called first (the state then
 * stands as it is). Call before http_stop. Accepts NULL. */
void engineinfo_stop(struct engineinfo *e);
/* Stop (if need be) and free. Accepts NULL. */
void engineinfo_free(struct engineinfo *e);

/* Ask the engine again soon (dockerd activated the plugin). Never blocks on
 * the engine. Accepts NULL. */
void engineinfo_trigger(struct engineinfo *e);

/* The last answer: DECIDE_USERNS_YES (userns-remap or rootless),
 * DECIDE_USERNS_NO, or DECIDE_USERNS_UNKNOWN (never answered, or the last
 * check failed). NULL: unknown. */
enum decide_userns engineinfo_userns(struct engineinfo *e);

/* From the same answer: the cgroup namespace the engine gives a container
 * that names no mode. NULL: unknown. */
enum decide_cgroupns engineinfo_cgroupns(struct engineinfo *e);

/* A judgement needs the answer: when a wanted check has not finished (or
 * there is no answer and none was tried within ENGINEINFO_RETRY_MS, which
 * starts one), queue done(arg), called on the checker thread once that check
 * finished. Returns 0 when queued, or -1 when there is nothing to wait for
 * (the answer is current, no engine is configured, stopping, too many
 * waiting): the caller judges with engineinfo_userns now. */
int engineinfo_wait(struct engineinfo *e, void (*done)(void *arg), void *arg);

/* 1 when the effective settings (borrowed) lock ECI on, so the engine must
 * run containers in user namespaces. */
int engineinfo_required(const json_t *effective);

/* When the engine does not run containers in user namespaces (or cannot be
 * asked), what is wrong and how to fix it, into buf; audit: the policy only
 * reports. Returns 0 when all is well (buf ""), 1 when the engine said it
 * does not, 2 when it could not be asked, 3 when it does but (ECI locked on)
 * some of its containers run in the host's user namespace all the same
 * (buf set for 1 to 3). */
int engineinfo_problem(struct engineinfo *e, int audit, char *buf, size_t bufsz);

/* Judge the engine's containers as their starts after every check it
 * answers (enginescan.h), with the engine's sockets (copied) as the judge
 * compares them, who made each container (records) and the users' own
 * policies (up; both borrowed, may be NULL, must outlive e), and found
 * (NULL: none) told of each container a scan names anew: until this is
 * called, none are scanned. Once only; later calls change nothing. 0, or
 * -1 on ENOMEM. */
/* A container a scan names that the last successful scan did not (by its
 * full id), as policyContainerList has it plus "fullId" and "refused" (0:
 * audit mode), judged by policy version: reported once, not at every
 * scan. Called on the checker thread, without any lock. */
typedef void (*engineinfo_found_fn)(void *arg, const json_t *container, long long version);
int engineinfo_scan_with(struct engineinfo *e, const char *const *sockets, size_t n,
                         struct containers *records, struct userpolicy *up,
                         engineinfo_found_fn found, void *found_arg);

/* The last scan, for /v1/health's checks.containers: "ok" (returns 0), the
 * containers whose start the policy would refuse, by name with their rules,
 * and what to do (returns 1), or "not checked: " and why (returns 2). */
int engineinfo_policy_problem(struct engineinfo *e, char *buf, size_t bufsz);

/* The engine's runtimes, for /v1/health's checks.runtimes: "ok" (returns 0)
 * when it runs containers with runc only, or with runc by default and
 * runtime_denied (the policy denies --runtime); else which runtimes, how a
 * container gets one, and what to do (returns 1); or "not checked: " and
 * why (returns 2). Informational: what a runtime adds is not judged. */
int engineinfo_runtimes_problem(struct engineinfo *e, int runtime_denied, char *buf, size_t bufsz);

/* {"socket","userns":"yes"|"no"|"unknown","isolation":"userns"|"rootless"|
 * "none"|null,"cgroupns":"private"|"host"|null,"securityOptions",
 * "serverVersion","checkedAt","error","hostUsernsContainers",
 * "policyContainers","policyContainerList","policyContainersJudged",
 * "policyScannedVersion"}: the
 * last answer, for /v1/health. New reference, NULL on ENOMEM. */
json_t *engineinfo_json(struct engineinfo *e);

/* Prometheus text: the checks made, by result, and the current answer. */
void engineinfo_metrics(struct engineinfo *e, FILE *out);

#endif

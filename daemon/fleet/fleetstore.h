/* SPDX-License-Identifier: Apache-2.0 */
/* SQLite side of fleet mode (schema/sql/0005-fleet.sql): the numbers of the
 * bundles a central lockset issues (bundle_versions) and the status its hosts
 * report (hosts). Storage only: no HTTP, no validation. A struct fleetstore
 * names the database; main.c opens the daemon's one. */
#ifndef LOCKSET_FLEETSTORE_H
#define LOCKSET_FLEETSTORE_H

#include <jansson.h>

struct db;
struct fleetstore;

#define FLEET_TIME_LEN 27 /* "2026-11-28T12:34:56.123456Z" */

/* A store over db (borrowed, must outlive the store) for every call below
 * taking it. NULL when out of memory. */
struct fleetstore *fleetstore_open(struct db *db);
/* Release fs; accepts NULL. */
void fleetstore_close(struct fleetstore *fs);

/* Now as RFC 3339 UTC with microseconds, or now - ago_seconds. */
void fleetstore_time(long ago_seconds, char out[FLEET_TIME_LEN + 1]);

/* The number of the bundle whose content hashes to hash (64 hex): the newest
 * number when the newest row has that hash, else a new row issued now. Fills
 * *version and issued. 0, or -1 on a database error. */
int fleetstore_bundle_number(struct fleetstore *fs, const char *hash, long long *version,
                             char issued[FLEET_TIME_LEN + 1]);

/* One status report from a host. Strings are borrowed. */
struct fleet_report {
	const char *host;
	const char *lockset_version;
	long long bundle_version;
	const char *last_sync;
	const char *mode;
	const char *status;
	const char *last_error;
	long long decisions; /* since the host's previous report */
	long long denies;
	const char *reporter;        /* the caller's identity */
	const char *checkpoint_key;  /* hex public key of the report's audit checkpoint, or NULL */
	long long checkpoint_id;     /* ... its row id (0: no checkpoint) */
	const char *checkpoint_hash; /* ... and that row's hash */
	const char *bundle_expires;  /* when its bundle expires (bundle.h), or NULL: never */
	long long max_hosts;         /* a host not yet known is refused at this many; 0: no limit */
};

/* What a host is pinned to: the first caller that reported it, and the first
 * checkpoint key it showed ("" none yet). */
struct fleet_pins {
	char reporter[128];
	char checkpoint_key[65];
	long long checkpoint_id; /* the last checkpoint taken (0: none) */
	char checkpoint_hash[65];
};

enum fleet_report_result {
	FLEET_REPORT_ERROR = -1,
	FLEET_REPORT_STORED = 0,
	FLEET_REPORT_OTHER_REPORTER,  /* the host is pinned to another caller */
	FLEET_REPORT_OTHER_KEY,       /* ... to another checkpoint key */
	FLEET_REPORT_FULL,            /* a new host, and r->max_hosts are known */
	FLEET_REPORT_CHECKPOINT_BACK, /* its checkpoint does not continue the last one */
};

/* Record r unless the host is pinned to another caller or checkpoint key
 * (then nothing is written, and *pins says to what), or is new and there
 * are r->max_hosts hosts already (FLEET_REPORT_FULL): the host's row is
 * created (pinned to r's caller, and to its key if it has one) or replaced,
 * its counts added to. */
enum fleet_report_result fleetstore_report(struct fleetstore *fs, const struct fleet_report *r,
                                           struct fleet_pins *pins);

/* Forget a host: its row and pins. 1 forgotten, 0 not known, -1 on error. */
int fleetstore_forget(struct fleetstore *fs, const char *host);

/* Filters of the compliance view; NULL/-1 fields do not filter. */
struct fleet_query {
	const char *host;         /* exact, or a prefix ending in '*' */
	long long bundle_version; /* -1: any */
	const char *mode, *status;
	int stale;                /* -1 any, 1 only stale, 0 only fresh */
	int behind;               /* -1 any, 1 only behind current, 0 only current */
	int expired;              /* -1 any, 1 only hosts whose bundle expired, 0 only others */
	const char *stale_before; /* last_seen earlier than this is stale */
	const char *now;          /* bundle_expires at or before this has expired */
	int signs_expiring;       /* bundles that expire are served: a host that reports
	                             none (a v1 bundle) counts as expired too */
	long long current;        /* the bundle version being served; 0: none */
	const char *after;        /* paging: hosts after this name */
	int limit;                /* 1..1000 */
};

/* Up to q->limit hosts in name order, each {"host", "locksetVersion",
 * "bundleVersion", "bundleExpires", "lastSync", "mode", "status", "lastError",
 * "decisions", "denies", "lastReport": {"decisions", "denies"}, "reporter",
 * "firstSeen", "lastSeen", "stale", "behind", "expired"}. *more is set when
 * further hosts match. New reference, NULL on a read error. */
json_t *fleetstore_hosts(struct fleetstore *fs, const struct fleet_query *q, int *more);

/* Over every host: {"hosts", "stale", "behind", "expired", "current",
 * "denies", "versions": {"12": n, ...}}, judged by q's current,
 * stale_before, now and signs_expiring (its filters do not apply). New
 * reference, NULL on a read error. */
json_t *fleetstore_summary(struct fleetstore *fs, const struct fleet_query *q);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* A host's bundles in its audit log: the rows it writes (installed, refused,
 * expired), and what it reads back from them at start-up, whatever became of
 * upstream-bundle.json: its rollback floor, whether it held a bundle that
 * expires, and the last expiry it reported. */
#include "build-config.h"

#include "upstream_int.h"

#include "audit/audit.h"
#include "log.h"
#include "store/db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

void
upstream_audit_bundle(struct upstream *u, const char *action, const char *decision,
                      const struct bundle_info *info, const char *detail)
{
	json_t *data =
	    json_pack("{s:s, s:I, s:s?, s:s?, s:s?, s:s?}", "upstream", u->base, "bundleVersion",
	              (json_int_t)info->version, "issued", info->issued[0] ? info->issued : NULL,
	              "expires", info->expires[0] ? info->expires : NULL, "keyId",
	              info->key_id[0] ? info->key_id : NULL, "detail", detail);
	if (audit_record(u->audit, action, "upstream", "upstream", u->base, decision, -1, data) !=
	    0)
		log_warnx("audit: could not record %s", action);
	json_decref(data);
}

/* One value of the newest row of the audit log that sql selects; into out
 * (outsz bytes), "" when there is none. */
static void
audit_newest(sqlite3 *c, const char *sql, char *out, size_t outsz)
{
	sqlite3_stmt *st = db_prepare(c, sql);

	out[0] = '\0';
	if (st != NULL && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, outsz, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* What this host's audit log says it held before, whatever became of
 * upstream-bundle.json (lost, unreadable, no longer installing):
 * - the newest bundle version it installed (policy.bundle.installed, or
 *   the bundleFloor of the audit.pruned anchors that retention leaves in
 *   their place): a floor no bundle may go below;
 * - whether it installed one that expires (or an anchor says so): then no
 *   v1 bundle is taken;
 * - the bundle and expiry of its newest policy.bundle.expired row, which
 *   is not written again for the same expiry. */
void
upstream_read_audit_log(struct upstream *u)
{
	struct db *d = u->audit != NULL ? audit_db(u->audit) : NULL;
	sqlite3 *c = d != NULL ? db_reader_get(d) : NULL;
	char v[64];

	if (c == NULL)
		return;
	audit_newest(c,
	             "SELECT json_extract(data, '$.bundleVersion') FROM events WHERE "
	             "action = 'policy.bundle.installed' ORDER BY id DESC LIMIT 1",
	             v, sizeof(v));
	u->have.floor = strtoll(v, NULL, 10);
	/* What retention pruned, its anchors carry (audit_writer.c). */
	audit_newest(c,
	             "SELECT max(json_extract(data, '$.bundleFloor')) FROM events WHERE "
	             "action = 'audit.pruned' AND json_extract(data, '$.bundleFloor') IS NOT NULL",
	             v, sizeof(v));
	if (strtoll(v, NULL, 10) > u->have.floor)
		u->have.floor = strtoll(v, NULL, 10);
	audit_newest(c,
	             "SELECT 1 FROM events WHERE (action = 'policy.bundle.installed' AND "
	             "json_extract(data, '$.expires') IS NOT NULL) OR (action = 'audit.pruned' "
	             "AND json_extract(data, '$.bundleExpiring') = 1) LIMIT 1",
	             v, sizeof(v));
	u->have.expiring_seen = v[0] != '\0';
	audit_newest(c,
	             "SELECT json_extract(data, '$.bundleVersion') || ' ' || "
	             "json_extract(data, '$.expires') FROM events WHERE "
	             "action = 'policy.bundle.expired' ORDER BY id DESC LIMIT 1",
	             u->expired_last, sizeof(u->expired_last));
	db_reader_put(d, c);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The chain head kept beside the database: <state>/audit-head holds the id
 * and hash of the last committed row, rewritten after every commit. At
 * start-up a log that ends before that row, or holds another row there,
 * was truncated or rolled back (an older backup restored) while lockset was
 * stopped: the new log's first row says so (audit.rollback), and verify
 * reports it from then on. The file is written without fsync, after each
 * commit: with --audit-sync full (the default) a crash leaves it behind the
 * database, never ahead; with normal, a power loss can take commits the
 * file had recorded, and the row that says so is true. */
#include "audit_int.h"

#include "log.h"
#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEAD_LEN 86 /* "%020lld %64s\n" */

/* The hash of row id into hash (65 bytes): 1 found, 0 no such row, -1. */
static int
row_hash(struct audit *a, long long id, char hash[65])
{
	sqlite3 *c = db_reader_get(a->db);
	sqlite3_stmt *st = c ? db_prepare(c, "SELECT hash FROM events WHERE id = ?1") : NULL;
	int rc = -1;

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			snprintf(hash, 65, "%s", db_column_text(st, 0));
		rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(st);
	if (c != NULL)
		db_reader_put(a->db, c);
	return rc;
}

/* Compare what the file recorded with the database; a->rollback set when
 * rows it had committed are gone or different. */
static void
compare(struct audit *a, const char *buf, ssize_t n)
{
	char rec[HEAD_LEN + 1], hash[65], have[65];
	long long id;
	int found;

	if (n <= 0)
		return; /* none yet: nothing to hold to */
	memcpy(rec, buf, n < HEAD_LEN ? (size_t)n : HEAD_LEN);
	rec[n < HEAD_LEN ? n : HEAD_LEN] = '\0';
	if (n != HEAD_LEN || sscanf(rec, "%20lld %64[0-9a-f]", &id, hash) != 2 ||
	    strlen(hash) != 64 || id <= 0) {
		/* A head that says nothing readable hides where the log ended:
		 * said as a rollback from an unknown row (-1), unless the log is
		 * new (only the first write, interrupted, leaves one short). */
		if (a->last_id > 1) {
			a->rollback.recorded_id = -1;
			snprintf(a->rollback.recorded_hash, sizeof(a->rollback.recorded_hash), "%s",
			         "unreadable");
			a->rollback.found_id = a->last_id;
		}
		return;
	}
	found = id <= a->last_id ? row_hash(a, id, have) : 0;
	if (found == 1 && strcmp(have, hash) == 0)
		return;
	if (found == -1) {
		log_warnx("audit: cannot read row %lld to compare it with the recorded head", id);
		return;
	}
	a->rollback.recorded_id = id;
	memcpy(a->rollback.recorded_hash, hash, sizeof(hash));
	a->rollback.found_id = a->last_id;
}

int
audit_head_open(struct audit *a, const char *state_dir, char **err)
{
	char *path = NULL, buf[HEAD_LEN + 2];
	ssize_t n;

	a->head_fd = -1;
	if (asprintf(&path, "%s/audit-head", state_dir) < 0)
		return -1;
	a->head_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (a->head_fd < 0) {
		audit_seterr(err, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	n = pread(a->head_fd, buf, sizeof(buf), 0);
	/* A log started afresh (--audit-reset) holds nothing of the old one. */
	if (a->reset_reason == NULL)
		compare(a, buf, n);
	audit_head_write(a);
	return 0;
}

void
audit_head_write(struct audit *a)
{
	char buf[HEAD_LEN + 1];

	if (a->head_fd < 0 || a->last_id <= 0)
		return;
	snprintf(buf, sizeof(buf), "%020lld %.64s\n", a->last_id, a->last_hash);
	if (pwrite(a->head_fd, buf, HEAD_LEN, 0) != HEAD_LEN && !a->head_warned) {
		log_warnx("audit: cannot record the chain head beside the database: %s",
		          strerror(errno));
		a->head_warned = 1;
	}
}

int
audit_head_record_rollback(struct audit *a)
{
	long long id;

	if (a->rollback.recorded_id == 0)
		return 0;
	id = audit_record_own(a, "audit.rollback",
	                      json_pack("{s:I, s:s, s:I}", "recordedId",
	                                (json_int_t)a->rollback.recorded_id, "recordedHash",
	                                a->rollback.recorded_hash, "foundId",
	                                (json_int_t)a->rollback.found_id));
	if (id < 0)
		return -1;
	if (a->rollback.recorded_id < 0)
		log_warnx("audit: the head recorded beside the log is unreadable, so where the log "
		          "ended cannot be told: it may have been truncated while lockset was "
		          "stopped (audit.rollback, row %lld)",
		          id);
	else
		log_warnx("audit: the log ends at row %lld, but row %lld (%.16s...) had been "
		          "committed: it was truncated or rolled back while lockset was stopped "
		          "(audit.rollback, row %lld)",
		          a->rollback.found_id, a->rollback.recorded_id, a->rollback.recorded_hash,
		          id);
	return 0;
}

void
audit_head_close(struct audit *a)
{
	if (a->head_fd >= 0)
		close(a->head_fd);
	a->head_fd = -1;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The audit writer's metrics for /metrics: how many appends wait for the
 * writer, how long its group-commit transactions take, and its counters. */
#include "audit_int.h"

#include <pthread.h>

void
audit_metrics(struct audit *a, FILE *out)
{
	struct audit_counters c;
	size_t queued;

	if (a == NULL)
		return;
	lockorder_lock(&a->lock, LOCK_AUDIT);
	queued = a->nqueued;
	c = a->counters;
	lockorder_unlock(&a->lock, LOCK_AUDIT);
	fprintf(out,
	        "# HELP lockset_audit_queue_depth Audit appends waiting for the writer thread.\n"
	        "# TYPE lockset_audit_queue_depth gauge\nlockset_audit_queue_depth %llu\n"
	        "# HELP lockset_audit_events_total Audit events committed.\n"
	        "# TYPE lockset_audit_events_total counter\nlockset_audit_events_total %llu\n"
	        "# HELP lockset_audit_append_failures_total Audit appends that were not recorded.\n"
	        "# TYPE lockset_audit_append_failures_total counter\n"
	        "lockset_audit_append_failures_total %llu\n"
	        "# HELP lockset_audit_commits_total Audit write transactions committed (group "
	        "commits).\n"
	        "# TYPE lockset_audit_commits_total counter\nlockset_audit_commits_total %llu\n"
	        "# HELP lockset_audit_pruned_total Audit rows deleted by retention.\n"
	        "# TYPE lockset_audit_pruned_total counter\nlockset_audit_pruned_total %llu\n",
	        (unsigned long long)queued, c.appended, c.failed, c.commits, c.pruned);
	metrics_hist_header(out, "lockset_audit_commit_duration_seconds",
	                    "Time of one group-commit write transaction of the audit log.");
	metrics_hist_print(out, "lockset_audit_commit_duration_seconds", "", &a->commit_latency);
}

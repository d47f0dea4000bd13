/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark (not a test): CPU time per decision on the authorization plugin's
 * allow path, without HTTP: the AuthZReq envelope read, judge_start (served
 * policy, decide_eval, the input recorder with its secret redaction) and the
 * release, over the container-create bodies recorded from the docker CLI in
 * tests/cases/decisions that tests/e2e/policy.json allows. CPU time
 * (CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID), not wall time, so a
 * busy machine changes the figures little. Prints each stage next to the
 * reference (10 us) and the ratio; never fails on a number.
 * Usage: decision_cpu SRCDIR [ROUNDS] */
#include "server.h"
#include "audit/audit.h"
#include "api/authz_envelope.h"
#include "decisions/inputs.h"
#include "decisions/judge.h"
#include "log.h"
#include "policy/policylife.h"
#include "policy/policystore.h"
#include "decisions/redact.h"
#include "policy/served.h"
#include "policy/settings.h"
#include "policy/userpolicy.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The state main.c would own. */
static struct server srv;

#define MAX_BODIES   256
#define REFERENCE_US 10.0
#define REPEATS      7 /* measurements per stage; the median is shown */

struct sample {
	char *envelope; /* AuthZReq text */
	size_t len;
	struct decide_request req; /* decoded, pointing into arena */
	struct gojson_arena arena;
};

static struct sample samples[MAX_BODIES];
static size_t nsamples;
static size_t body_bytes;

static void
die(const char *what)
{
	fprintf(stderr, "decision_cpu: %s\n", what);
	exit(1);
}

static char *
base64(const unsigned char *in, size_t n)
{
	static const char d[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(n / 3 * 4 + 5), *o = out;

	if (out == NULL)
		die("out of memory");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		*o++ = d[v >> 18 & 63];
		*o++ = d[v >> 12 & 63];
		*o++ = i + 1 < n ? d[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? d[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* The body of a recorded container create (NULL for any other case). */
static char *
case_body(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char line[4096], *body = NULL;
	int create = 0;
	long at;

	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strcmp(line, "uri: /v1.41/containers/create\n") == 0)
			create = 1;
		if (strcmp(line, "body:\n") == 0)
			break;
	}
	at = ftell(f);
	if (create && fseek(f, 0, SEEK_END) == 0) {
		*len = (size_t)(ftell(f) - at);
		if ((body = malloc(*len + 1)) == NULL || fseek(f, at, SEEK_SET) != 0 ||
		    fread(body, 1, *len, f) != *len)
			die("cannot read a case");
	}
	fclose(f);
	return body;
}

/* The envelope dockerd would send for body, as tests/bench/bench-decisions.sh
 * builds it. */
static void
add_sample(const char *body, size_t len)
{
	static const char fmt[] =
	    "{\"User\":\"\",\"UserAuthNMethod\":\"\",\"RequestMethod\":\"POST\",\"RequestUri\":"
	    "\"/v1.41/containers/create\",\"RequestBody\":\"%s\",\"RequestHeaders\":{"
	    "\"Content-Length\":\"%zu\",\"Content-Type\":\"application/json\",\"User-Agent\":"
	    "\"Docker-Client/28.2.2 (linux)\"}}";
	struct sample *s = &samples[nsamples];
	char *b64 = base64((const unsigned char *)body, len), msg[512];
	int n = asprintf(&s->envelope, fmt, b64, len);

	free(b64);
	if (n < 0)
		die("out of memory");
	s->len = (size_t)n;
	gojson_arena_init(&s->arena);
	if (authz_envelope_read(&s->arena, s->envelope, s->len, &s->req, NULL, msg, sizeof(msg)) !=
	    0)
		die(msg);
	nsamples++;
}

/* Every recorded create body the policy allows. */
static void
load_corpus(const char *srcdir, const struct decide_policy *dp)
{
	char dir[4096], path[8192];
	struct dirent **names;
	int n;

	snprintf(dir, sizeof(dir), "%s/tests/cases/decisions", srcdir);
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0)
		die("cannot read tests/cases/decisions");
	for (int i = 0; i < n; i++) {
		size_t len = 0;
		char *body = NULL;
		struct decision d;

		if (strncmp(names[i]->d_name, "rec-", 4) == 0 && nsamples < MAX_BODIES) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			body = case_body(path, &len);
		}
		free(names[i]);
		if (body == NULL)
			continue;
		add_sample(body, len);
		/* The allow path only: a deny waits for its audit record. */
		if (decide_eval(dp, &samples[nsamples - 1].req, &d) != 0 || !d.allow) {
			gojson_arena_clear(&samples[--nsamples].arena);
			free(samples[nsamples].envelope);
		} else {
			body_bytes += len;
		}
		decision_clear(&d);
		free(body);
	}
	free(names);
	if (nsamples == 0)
		die("no recorded create body is allowed by tests/e2e/policy.json");
}

static double
cpu_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

enum stage { ST_ENVELOPE, ST_DECIDE, ST_JUDGE, ST_WHOLE, NSTAGES };

/* One decision's worth of the stage's work on sample s. */
static void
run_one(enum stage st, struct sample *s, const struct decide_policy *dp)
{
	struct gojson_arena arena;
	struct decide_request req;
	struct judgement j;
	struct decision d;
	char msg[512];

	switch (st) {
	case ST_ENVELOPE:
		gojson_arena_init(&arena);
		if (authz_envelope_read(&arena, s->envelope, s->len, &req, NULL, msg,
		                        sizeof(msg)) != 0)
			die(msg);
		gojson_arena_clear(&arena);
		break;
	case ST_DECIDE:
		if (decide_eval(dp, &s->req, &d) != 0 || !d.allow)
			die("decide_eval did not allow");
		decision_clear(&d);
		break;
	case ST_JUDGE:
		if (judge_start(srv.judge, &s->req, "authz", "dockerd", &j, NULL, NULL) != 0 ||
		    !j.d.allow)
			die("judge_start did not allow");
		judge_clear(&j);
		break;
	default:
		gojson_arena_init(&arena);
		if (authz_envelope_read(&arena, s->envelope, s->len, &req, NULL, msg,
		                        sizeof(msg)) != 0)
			die(msg);
		if (judge_start(srv.judge, &req, "authz", "dockerd", &j, NULL, NULL) != 0 ||
		    !j.d.allow)
			die("judge_start did not allow");
		judge_clear(&j);
		gojson_arena_clear(&arena);
		break;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Microseconds per decision of every stage, by thread and process CPU: the
 * stages take turns, REPEATS times, so that a busy moment of the machine
 * does not fall on one of them; the median is kept. The recorder's queue is
 * written out inside each measurement, so the process figure includes the
 * recorder thread's share. */
static void
measure(size_t rounds, const struct decide_policy *dp, double thread[NSTAGES],
        double process[NSTAGES])
{
	double t[NSTAGES][REPEATS], p[NSTAGES][REPEATS];
	size_t n = rounds * nsamples;

	for (int r = 0; r < REPEATS; r++)
		for (int st = 0; st < NSTAGES; st++) {
			double t0 = cpu_us(CLOCK_THREAD_CPUTIME_ID),
			       p0 = cpu_us(CLOCK_PROCESS_CPUTIME_ID);

			for (size_t i = 0; i < n; i++)
				run_one(st, &samples[i % nsamples], dp);
			inputs_flush(srv.inputs);
			t[st][r] = (cpu_us(CLOCK_THREAD_CPUTIME_ID) - t0) / (double)n;
			p[st][r] = (cpu_us(CLOCK_PROCESS_CPUTIME_ID) - p0) / (double)n;
		}
	for (int st = 0; st < NSTAGES; st++) {
		qsort(t[st], REPEATS, sizeof(t[st][0]), cmp_double);
		qsort(p[st], REPEATS, sizeof(p[st][0]), cmp_double);
		thread[st] = t[st][REPEATS / 2];
		process[st] = p[st][REPEATS / 2];
	}
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* The daemon's start-up, as main.c does it, on a state directory of our own. */
static void
start(const char *srcdir, char *state)
{
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	struct audit_opts aopts = {.synchronous_full = 1};
	/* The daemon's defaults. */
	struct inputs_limits lim = {100000, 64LL << 20, 30, 16384};
	static char policy[4096];
	struct settings_env env;
	char *err = NULL;
	json_t *doc;

	snprintf(policy, sizeof(policy), "%s/tests/e2e/policy.json", srcdir);
	settings_env_default(&env);
	if ((srv.served = served_hub_new(policy, &env)) == NULL)
		die("out of memory");
	if ((doc = served_load(srv.served, &errs, &warns)) == NULL)
		die("tests/e2e/policy.json does not load");
	if (mkdtemp(state) == NULL || (srv.audit = audit_open(state, &aopts, &err)) == NULL)
		die(err ? err : "cannot open the audit log");
	if ((srv.policystore = policystore_open(audit_db(srv.audit))) == NULL ||
	    (srv.policylife = policylife_new(srv.served, srv.policystore, srv.audit, 0)) == NULL ||
	    (srv.userpolicy = userpolicy_open(srv.served, srv.policystore, srv.audit, &err)) ==
	        NULL ||
	    policylife_start(srv.policylife, doc, &errs) != 0)
		die("cannot install the policy");
	if ((srv.redact = redact_open(state, &err)) == NULL ||
	    (srv.inputs = inputs_start(audit_db(srv.audit), &lim, srv.redact)) == NULL)
		die("cannot start the input recorder");
	if ((srv.judge =
	         judge_new(&(struct judge_deps){srv.audit, srv.redact, NULL, NULL, srv.served,
	                                        srv.userpolicy, srv.inputs, NULL, NULL})) == NULL)
		die("out of memory");
	problems_clear(&errs);
	problems_clear(&warns);
}

int
main(int argc, char **argv)
{
	static const char *const names[NSTAGES] = {
	    "envelope read (gojson, base64)", "decide_eval (engine only)",
	    "judge_start (+ policy, inputs recorder)", "whole allow path"};
	char state[] = "/tmp/lockset-decision-cpu.XXXXXX";
	size_t rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	double t[NSTAGES], p[NSTAGES];
	struct served *s;

	if (argc < 2) {
		fprintf(stderr, "usage: decision_cpu SRCDIR [ROUNDS]\n");
		return 2;
	}
	log_init(1, LOG_LVL_WARN);
	start(argv[1], state);
	s = served_acquire(srv.served);
	load_corpus(argv[1], s->dp);
	for (int st = 0; st < NSTAGES; st++) /* warm up */
		for (size_t i = 0; i < nsamples * 20; i++)
			run_one(st, &samples[i % nsamples], s->dp);
	printf("CPU per decision on the allow path, without HTTP: %zu recorded create bodies\n"
	       "that tests/e2e/policy.json allows (mean body %zu bytes), %zu decisions per\n"
	       "measurement, the stages in turn, median of %d; CPU time (thread / whole\n"
	       "process, the input recorder's thread included), not wall time\n",
	       nsamples, body_bytes / nsamples, rounds * nsamples, REPEATS);
	printf("  %-42s %9s %9s %9s %7s\n", "stage", "thread", "process", "reference", "ratio");
	measure(rounds, s->dp, t, p);
	for (int st = 0; st < NSTAGES; st++) {
		printf("  %-42s %7.2f us %7.2f us", names[st], t[st], p[st]);
		if (st == ST_WHOLE)
			printf(" %7.2f us %7.2f  (target < %.0f us: %s)", REFERENCE_US,
			       p[st] / REFERENCE_US, REFERENCE_US,
			       p[st] < REFERENCE_US ? "met" : "MISSED");
		printf("\n");
	}
	served_release(s);
	inputs_stop(srv.inputs);
	judge_free(srv.judge);
	userpolicy_close(srv.userpolicy);
	policylife_free(srv.policylife);
	policystore_close(srv.policystore);
	served_hub_free(srv.served);
	audit_close(srv.audit);
	redact_free(srv.redact);
	return nftw(state, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : 1;
}

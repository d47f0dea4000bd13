/* SPDX-License-Identifier: Apache-2.0 */
/* Runs every case file in tests/cases/decisions through decide_eval and compares
 * the verdict and the exact set of rule ids (format: README.md there).
 * "@TMP@" in a case's uri or body becomes a temporary directory holding the
 * symlinks the bypass cases need. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "engine/decide.h"
#include "util/embedded.h"

#define MIN_CASES 60

static char tmpdir[] = "/tmp/lockset-cases-XXXXXX";
/* The schema's registry of rule ids (containerPolicy.x-lockset-rule-ids):
 * every id a case expects or the engine reports must be in it, and every id
 * in it must be expected by some case. */
static json_t *rule_ids; /* id -> number of cases expecting it */
static char casedir[4096];

#define CASE_LOOKUPS 8

struct testcase {
	char settings[256], method[16], uri[8192], user[128], expect[16], rules[512];
	char content_type[256];
	char content_length[32];
	char engine_userns[16];   /* "yes", "no", "unknown"; "" = not judged */
	char engine_cgroupns[16]; /* "private", "host"; anything else: unknown */
	int root_only; /* "root: only": the fixtures' ownership matters (skipped otherwise) */
	/* "PATH none|r|rw": the caller's own access (any other path: rw); no
	 * line at all: access is not judged. */
	char access[CASE_LOOKUPS][1024];
	size_t naccess;
	/* "REF IMAGE SRC..." (IMAGE "-" for none), "REF DRIVER" and "ID
	 * CONTAINER" lines: what the container, network, volume and exec
	 * lookups answer (a volume's DRIVER "-": there is no such volume);
	 * anything else is unknown. */
	char containers[CASE_LOOKUPS][1024], networks[CASE_LOOKUPS][256];
	char volumes[CASE_LOOKUPS][256], execs[CASE_LOOKUPS][256];
	size_t ncontainers, nnetworks, nvolumes, nexecs;
	char *body; /* NULL when the case has no body */
	size_t body_len;
};

/* Replace every "@TMP@" in s (len bytes) with tmpdir; returns malloc'd. */
static char *
subst(const char *s, size_t len, size_t *outlen)
{
	size_t cap = len * 8 + 64, o = 0, i;
	char *r = malloc(cap + 1);

	if (r == NULL)
		abort();
	for (i = 0; i < len;) {
		if (len - i >= 5 && memcmp(s + i, "@TMP@", 5) == 0) {
			o += (size_t)sprintf(r + o, "%s", tmpdir);
			i += 5;
		} else {
			r[o++] = s[i++];
		}
	}
	r[o] = '\0';
	*outlen = o;
	return r;
}

static int
load_case(const char *path, struct testcase *tc)
{
	FILE *fp = fopen(path, "rb");
	char line[8192];

	memset(tc, 0, sizeof(*tc));
	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *v = strchr(line, ':');

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0' || v == NULL)
			continue;
		*v++ = '\0';
		while (*v == ' ')
			v++;
		if (strcmp(line, "body") == 0) {
			char buf[65536];
			size_t n = fread(buf, 1, sizeof(buf), fp);

			tc->body = subst(buf, n, &tc->body_len);
			break;
		}
		if (strcmp(line, "container") == 0 && tc->ncontainers < CASE_LOOKUPS) {
			size_t n;
			char *x = subst(v, strlen(v), &n);

			snprintf(tc->containers[tc->ncontainers++], sizeof(tc->containers[0]), "%s",
			         x);
			free(x);
		}
		if (strcmp(line, "access") == 0 && tc->naccess < CASE_LOOKUPS) {
			size_t n;
			char *x = subst(v, strlen(v), &n);

			snprintf(tc->access[tc->naccess++], sizeof(tc->access[0]), "%s", x);
			free(x);
		}
		if (strcmp(line, "network") == 0 && tc->nnetworks < CASE_LOOKUPS)
			snprintf(tc->networks[tc->nnetworks++], sizeof(tc->networks[0]), "%s", v);
		if (strcmp(line, "exec") == 0 && tc->nexecs < CASE_LOOKUPS)
			snprintf(tc->execs[tc->nexecs++], sizeof(tc->execs[0]), "%s", v);
		if (strcmp(line, "volume") == 0 && tc->nvolumes < CASE_LOOKUPS) {
			size_t n;
			char *x = subst(v, strlen(v), &n);

			snprintf(tc->volumes[tc->nvolumes++], sizeof(tc->volumes[0]), "%s", x);
			free(x);
		}
		if (strcmp(line, "content-type") == 0)
			snprintf(tc->content_type, sizeof(tc->content_type), "%s", v);
		if (strcmp(line, "content-length") == 0)
			snprintf(tc->content_length, sizeof(tc->content_length), "%s", v);
		if (strcmp(line, "engine-userns") == 0)
			snprintf(tc->engine_userns, sizeof(tc->engine_userns), "%s", v);
#define FIELD(name)                   \
	if (strcmp(line, #name) == 0) \
		snprintf(tc->name, sizeof(tc->name), "%s", v);
		FIELD(settings)
		FIELD(method)
		FIELD(uri)
		FIELD(user)
		FIELD(expect)
		FIELD(rules)
		FIELD(engine_userns)
#undef FIELD
		if (strcmp(line, "root") == 0)
			tc->root_only = strcmp(v, "only") == 0;
		if (strcmp(line, "engine-cgroupns") == 0)
			snprintf(tc->engine_cgroupns, sizeof(tc->engine_cgroupns), "%s", v);
	}
	fclose(fp);
	return tc->settings[0] && tc->method[0] && tc->uri[0] && tc->expect[0] ? 0 : -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, de-duplicated, space-separated rule ids. */
static void
rule_set(char **ids, size_t n, char *out, size_t outsz)
{
	size_t i;

	qsort(ids, n, sizeof(*ids), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(ids[i], ids[i - 1]) == 0)
			continue;
		if (out[0] != '\0')
			strncat(out, " ", outsz - strlen(out) - 1);
		strncat(out, ids[i], outsz - strlen(out) - 1);
	}
}

static void
count_rule(const char *casename, const char *rule)
{
	json_t *n = json_object_get(rule_ids, rule);

	if (n == NULL) {
		fprintf(stderr,
		        "not ok: %s: rule id %s is not in the schema's x-lockset-rule-ids\n",
		        casename, rule);
		check_failures++;
		return;
	}
	json_integer_set(n, json_integer_value(n) + 1);
}

static void
load_rule_ids(void)
{
	const struct embedded_file *f = embedded_find("admin-settings.schema.json");
	json_t *schema = f != NULL ? json_loads(f->data, 0, NULL) : NULL;
	json_t *reg = json_object_get(
	    json_object_get(json_object_get(schema, "properties"), "containerPolicy"),
	    "x-lockset-rule-ids");
	const char *id;
	json_t *v;

	rule_ids = json_object();
	json_object_foreach(reg, id, v) json_object_set_new(rule_ids, id, json_integer(0));
	json_decref(schema);
	CHECK(json_object_size(rule_ids) >= 20);
}

/* The README's deny table names every registered rule id as `id`. */
static void
check_readme_lists_every_rule(const char *src)
{
	char path[4200], needle[96];
	const char *id;
	json_t *v;
	FILE *fp;
	char *text;
	long n;

	snprintf(path, sizeof(path), "%s/README.md", src);
	fp = fopen(path, "rb");
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)n + 1);
	CHECK(text != NULL && fread(text, 1, (size_t)n, fp) == (size_t)n);
	fclose(fp);
	json_object_foreach(rule_ids, id, v)
	{
		snprintf(needle, sizeof(needle), "| `%s` |", id);
		if (text == NULL || strstr(text, needle) == NULL) {
			fprintf(stderr, "not ok: README.md's deny table does not list %s\n", id);
			check_failures++;
		}
		check_count++;
	}
	free(text);
}

static void
check_every_rule_is_exercised(void)
{
	const char *id;
	json_t *v;

	json_object_foreach(rule_ids, id, v) if (json_integer_value(v) == 0)
	{
		fprintf(stderr, "not ok: rule id %s is expected by no decision case\n", id);
		check_failures++;
	}
	check_count++;
	json_decref(rule_ids);
}

/* The namespace bits of a comma-separated list of pid, net, ipc, user. */
static unsigned
ns_bits(const char *s, size_t n)
{
	unsigned b = 0;

	if (n >= 3 && memmem(s, n, "pid", 3) != NULL)
		b |= DECIDE_NS_PID;
	if (n >= 3 && memmem(s, n, "net", 3) != NULL)
		b |= DECIDE_NS_NET;
	if (n >= 3 && memmem(s, n, "ipc", 3) != NULL)
		b |= DECIDE_NS_IPC;
	if (n >= 4 && memmem(s, n, "user", 4) != NULL)
		b |= DECIDE_NS_USER;
	return b;
}

/* The case's container lookup: its "container:" lines. A word
 * ns=KNOWN/SHARED (each a comma-separated list of pid, net, ipc, user) says which
 * namespaces are known and which of them the container shares with the
 * host; without one nothing is known of them. A word drivers=LIST (a
 * comma-separated list, maybe empty) names the drivers of its volumes;
 * without one they are not known. A word fs=TYPE|DEVICE|O is a local volume
 * it holds with those options. A word hc=HOSTCONFIG (JSON without spaces)
 * is what it runs with; without one that is not known. A word
 * cgroupns=host|private|unknown before it is the cgroup namespace the
 * engine gave it if it names none (private without one). */
static int
case_container(void *arg, const char *ref, struct decide_mounts *out)
{
	const struct testcase *tc = arg;
	enum decide_cgroupns unnamed = DECIDE_CGROUPNS_PRIVATE;
	char line[1024], *tok, *save;
	size_t i;

	for (i = 0; i < tc->ncontainers; i++) {
		snprintf(line, sizeof(line), "%s", tc->containers[i]);
		tok = strtok_r(line, " ", &save);
		if (tok == NULL || strcmp(tok, ref) != 0)
			continue;
		tok = strtok_r(NULL, " ", &save);
		if (tok != NULL && strcmp(tok, "-") != 0 && (out->image = strdup(tok)) == NULL)
			return -1;
		while ((tok = strtok_r(NULL, " ", &save)) != NULL) {
			if (strncmp(tok, "ns=", 3) == 0) {
				const char *slash = strchr(tok, '/');
				size_t kn =
				    slash != NULL ? (size_t)(slash - tok - 3) : strlen(tok + 3);

				out->ns_known = ns_bits(tok + 3, kn);
				out->ns_host =
				    slash != NULL
				        ? ns_bits(slash + 1, strlen(slash + 1)) & out->ns_known
				        : 0;
			} else if (strncmp(tok, "fs=", 3) == 0) {
				struct decide_volopts v = {0};
				char *dsave, *type = strtok_r(tok + 3, "|", &dsave);
				char *dev = strtok_r(NULL, "|", &dsave),
				     *o = strtok_r(NULL, "|", &dsave);

				if (decide_volopts_set(&v, "vol", type, o, dev) != 0 ||
				    decide_mounts_add_vol(out, &v) != 0) {
					decide_volopts_clear(&v);
					return -1;
				}
				decide_volopts_clear(&v);
			} else if (strncmp(tok, "cgroupns=", 9) == 0) {
				unnamed = strcmp(tok + 9, "host") == 0 ? DECIDE_CGROUPNS_HOST
				          : strcmp(tok + 9, "private") == 0
				              ? DECIDE_CGROUPNS_PRIVATE
				              : DECIDE_CGROUPNS_UNKNOWN;
			} else if (strncmp(tok, "hc=", 3) == 0 || strncmp(tok, "create=", 7) == 0) {
				char body[1024];

				/* What it runs with: its HostConfig (no spaces), as
				 * its create named it or the engine describes it, or
				 * its whole create body. */
				if (tok[0] == 'h')
					snprintf(body, sizeof(body), "{\"HostConfig\":%s}",
					         tok + 3);
				else
					snprintf(body, sizeof(body), "%s", tok + 7);
				free(out->flags);
				if (decide_container_flags(body, strlen(body), unnamed,
				                           &out->flags) != 0)
					return -1;
			} else if (strncmp(tok, "rw=", 3) == 0) {
				char *rsave, *r;

				out->rw_known = 1;
				for (r = strtok_r(tok + 3, ",", &rsave); r != NULL;
				     r = strtok_r(NULL, ",", &rsave))
					if (decide_mounts_add_rw(out, r) == -1)
						return -1;
			} else if (strncmp(tok, "drivers=", 8) == 0) {
				char *dsave, *d;

				out->drivers_known = 1;
				for (d = strtok_r(tok + 8, ",", &dsave); d != NULL;
				     d = strtok_r(NULL, ",", &dsave))
					if (decide_mounts_add_driver(out, d) == -1)
						return -1;
			} else if (decide_mounts_add(out, tok) == -1) {
				return -1;
			}
		}
		return 1;
	}
	return 0;
}

/* What a case's "REF DRIVER" lines (n of them) say of ref: 1 with DRIVER in
 * drv, 2 for DRIVER "-" (no such object), 0 when no line names ref. */
static int
case_driver(const char (*lines)[256], size_t n, const char *ref, char *drv, size_t drvsz)
{
	size_t len = strlen(ref);

	for (size_t i = 0; i < n; i++)
		if (strncmp(lines[i], ref, len) == 0 && lines[i][len] == ' ') {
			if (strcmp(lines[i] + len + 1, "-") == 0)
				return 2;
			snprintf(drv, drvsz, "%s", lines[i] + len + 1);
			return 1;
		}
	return 0;
}

/* The case's network lookup: its "network:" lines (a network is there or
 * unknown). */
static int
case_network(void *arg, const char *ref, char *drv, size_t drvsz)
{
	const struct testcase *tc = arg;
	int rc = case_driver((const char(*)[256])tc->networks, tc->nnetworks, ref, drv, drvsz);

	return rc == 2 ? 0 : rc;
}

/* The case's exec lookup: its "exec:" lines, "ID CONTAINER". */
static int
case_exec(void *arg, const char *id, char *container, size_t sz)
{
	const struct testcase *tc = arg;
	int rc = case_driver((const char(*)[256])tc->execs, tc->nexecs, id, container, sz);

	return rc == 2 ? 0 : rc;
}

/* The case's volume lookup: its "volume:" lines, "NAME DRIVER" and the
 * local driver's options as words type=, o= and device=. */
static int
case_volume(void *arg, const char *name, struct decide_volume *out)
{
	static const char *const keys[3] = {"type=", "o=", "device="};
	const struct testcase *tc = arg;
	char line[256], *tok, *save;
	const char *opt[3] = {NULL, NULL, NULL};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = case_driver((const char(*)[256])tc->volumes, tc->nvolumes, name, line, sizeof(line));
	if (rc != 1)
		return rc;
	tok = strtok_r(line, " ", &save);
	snprintf(out->driver, sizeof(out->driver), "%s", tok != NULL ? tok : "");
	while ((tok = strtok_r(NULL, " ", &save)) != NULL)
		for (size_t i = 0; i < 3; i++)
			if (strncmp(tok, keys[i], strlen(keys[i])) == 0)
				opt[i] = tok + strlen(keys[i]);
	return decide_volopts_set(&out->opts, name, opt[0], opt[1], opt[2]) == 0 ? 1 : -1;
}

/* The case's caller access: its "access:" lines. */
static int
case_access(void *arg, const char *path, int write, char *why, size_t whysz)
{
	const struct testcase *tc = arg;
	size_t i, n = strlen(path);

	for (i = 0; i < tc->naccess; i++) {
		const char *mode = tc->access[i] + n + 1;

		if (strncmp(tc->access[i], path, n) != 0 || tc->access[i][n] != ' ')
			continue;
		if (strcmp(mode, "rw") == 0 || (strcmp(mode, "r") == 0 && !write))
			return 1;
		snprintf(why, whysz, "permission denied");
		return 0;
	}
	return 1;
}

/* The request a case describes, as the plugin would hand it over. */
static void
case_request(struct testcase *tc, const char *uri, struct decide_request *req)
{
	memset(req, 0, sizeof(*req));
	req->content_type = tc->content_type[0] != '\0' ? tc->content_type : NULL;
	/* As the plugin has it: the body forwarded, or its Content-Length. */
	req->body_whole = decide_body_whole(
	    tc->body != NULL, tc->content_length[0] != '\0' ? tc->content_length : NULL);
	req->body_unseen =
	    decide_body_unseen(tc->body != NULL, req->content_type,
	                       tc->content_length[0] != '\0' ? tc->content_length : NULL);
	req->container = case_container;
	req->network = case_network;
	req->volume = case_volume;
	req->exec = case_exec;
	req->container_arg = tc;
	req->method = tc->method;
	req->uri = uri;
	req->user = tc->user;
	req->body = tc->body;
	req->body_len = tc->body_len;
	req->has_body = tc->body != NULL;
	if (tc->naccess > 0) {
		req->access = case_access;
		req->access_arg = tc;
	}
	req->engine_userns = strcmp(tc->engine_userns, "yes") == 0       ? DECIDE_USERNS_YES
	                     : strcmp(tc->engine_userns, "no") == 0      ? DECIDE_USERNS_NO
	                     : strcmp(tc->engine_userns, "unknown") == 0 ? DECIDE_USERNS_UNKNOWN
	                                                                 : DECIDE_USERNS_UNJUDGED;
	req->engine_cgroupns = strcmp(tc->engine_cgroupns, "private") == 0 ? DECIDE_CGROUPNS_PRIVATE
	                       : strcmp(tc->engine_cgroupns, "host") == 0  ? DECIDE_CGROUPNS_HOST
	                                                                  : DECIDE_CGROUPNS_UNKNOWN;
}

static int
run_case(const char *name)
{
	char path[8192], want[512], got[512], *ids[64], *tok, *save, *uri;
	struct testcase tc;
	struct decision d;
	struct decide_policy *dp;
	struct decide_request req;
	json_error_t err;
	json_t *eff;
	size_t n = 0, ul;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", casedir, name);
	if (load_case(path, &tc) == -1) {
		fprintf(stderr, "not ok: %s: cannot read case\n", name);
		return 0;
	}
	if (tc.root_only && geteuid() != 0) {
		printf("# %s: skipped, its fixtures are root's only when run as root\n", name);
		free(tc.body);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/settings/%s", casedir, tc.settings);
	eff = json_load_file(path, 0, &err);
	dp = eff != NULL ? decide_policy_new(eff) : NULL;
	if (dp == NULL) {
		fprintf(stderr, "not ok: %s: settings %s: %s\n", name, tc.settings, err.text);
		json_decref(eff);
		free(tc.body);
		return 0;
	}
	uri = subst(tc.uri, strlen(tc.uri), &ul);
	case_request(&tc, uri, &req);
	CHECK_INT_EQ(decide_eval(dp, &req, &d), 0);
	for (tok = strtok_r(tc.rules, " ", &save); tok != NULL && n < 64;
	     tok = strtok_r(NULL, " ", &save))
		ids[n++] = tok;
	rule_set(ids, n, want, sizeof(want));
	for (size_t i = 0; i < n; i++)
		count_rule(name, ids[i]);
	for (n = 0; n < d.nv && n < 64; n++) {
		ids[n] = (char *)d.v[n].rule;
		count_rule(name, ids[n]);
	}
	rule_set(ids, n, got, sizeof(got));
	ok = strcmp(want, got) == 0 && d.allow == (strcmp(tc.expect, "allow") == 0);
	/* Every judged route has its audit actions. */
	if (d.inspected && (d.route == NULL || d.action == NULL)) {
		fprintf(stderr, "not ok: %s: route %s has no audit action\n", name,
		        d.route != NULL ? d.route : "(none)");
		ok = 0;
	}
	if (!ok) {
		char *msg = decision_deny_message(&d, 0, "test");

		fprintf(stderr, "not ok: %s: want %s [%s], got %s [%s]\n  %s\n", name, tc.expect,
		        want, d.allow ? "allow" : "deny", got, msg);
		free(msg);
	}
	decision_clear(&d);
	decide_policy_free(dp);
	json_decref(eff);
	free(uri);
	free(tc.body);
	return ok;
}

static void
make_fixtures(void)
{
	char p[4200], t[4200];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
#define LINK(target, name)                             \
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name); \
	if (symlink(target, p) == -1)                  \
		perror(p);
	LINK("/etc", "etc-link")
	LINK("/home/alice/.ssh", "ssh-link")
	LINK("/var/run/docker.sock", "sock-link")
	LINK("/", "root-link")
	LINK("data", "data-link")
	LINK("loop-b", "loop-a")
	LINK("loop-a", "loop-b")
	/* Through procfs: /proc/self/root is this process's root, but the
	 * kernel follows such a link into whichever process's view it names. */
	LINK("/proc/self/root/tmp", "proc-link")
	/* l1/../docker.sock is the socket once l1 is followed (/var/run/x/..),
	 * but dockerd mounts its clean form, docker.sock: /etc. */
	LINK("/var/run/lockset-cases-nothing", "l1")
	LINK("/etc", "docker.sock")
	/* A target of 4,095 bytes that cleans to "/etc". */
	strcpy(t, "//");
	for (int i = 0; i < 2045; i++)
		strcat(t, "./");
	strcat(t, "etc");
	LINK(t, "long-link")
	snprintf(t, sizeof(t), "%s/data", tmpdir);
	mkdir(t, 0700);
#undef LINK
	/* Directories anyone may change (open/) and a sticky one (sticky/),
	 * each with a directory x inside. */
	for (int i = 0; i < 2; i++) {
		const char *d = i == 0 ? "open" : "sticky";

		snprintf(t, sizeof(t), "%s/%s", tmpdir, d);
		mkdir(t, 0700);
		chmod(t, i == 0 ? 0777 : 01777);
		snprintf(t, sizeof(t), "%s/%s/x", tmpdir, d);
		mkdir(t, 0755);
	}
}

static void
remove_fixtures(void)
{
	const char *names[] = {"etc-link",  "ssh-link", "sock-link",  "root-link",
	                       "data-link", "loop-a",   "loop-b",     "long-link",
	                       "proc-link", "l1",       "docker.sock"};
	char p[4200];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/data", tmpdir);
	rmdir(p);
	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s/x", tmpdir, i == 0 ? "open" : "sticky");
		rmdir(p);
		snprintf(p, sizeof(p), "%s/%s", tmpdir, i == 0 ? "open" : "sticky");
		rmdir(p);
	}
	rmdir(tmpdir);
}

static int
is_case(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 5 && strcmp(e->d_name + n - 5, ".case") == 0;
}

int
main(void)
{
	const char *src = getenv("LOCKSET_SRCDIR");
	struct dirent **list;
	int n, i, passed = 0;

	snprintf(casedir, sizeof(casedir), "%s/tests/cases/decisions", src ? src : ".");
	n = scandir(casedir, &list, is_case, alphasort);
	if (n < 0) {
		fprintf(stderr, "cannot read %s: %s\n", casedir, strerror(errno));
		return 99;
	}
	make_fixtures();
	load_rule_ids();
	for (i = 0; i < n; i++) {
		int ok = run_case(list[i]->d_name);

		check_count++;
		if (!ok)
			check_failures++;
		passed += ok;
		printf("%s %s\n", ok ? "ok" : "not ok", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	remove_fixtures();
	check_readme_lists_every_rule(src ? src : ".");
	check_every_rule_is_exercised();
	printf("# %d of %d decision cases passed\n", passed, n);
	CHECK(n >= MIN_CASES);
	return CHECK_DONE();
}

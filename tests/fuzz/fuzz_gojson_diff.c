/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: gojson against Go's encoding/json (differential). Each
 * input is decoded by the Go oracle (gojson_oracle.go, a child process) into
 * structs shaped like dockerd's, and read through gojson's views the way the
 * engine reads a create body; the two dumps must agree on syntax (what is
 * JSON at all, numbers included), key folding, duplicate keys, null, and
 * merging. Known, deliberate differences that only make lockset stricter:
 *  - gojson refuses nesting deeper than 1000 (Go: 10000): the request is
 *    denied as having no body;
 *  - where Go's result depends on the capacity of a reused backing array (an
 *    element Go zeroes, gojson keeps the earlier value): an element that Go
 *    leaves empty may be non-empty in gojson, never the reverse (a bool, such
 *    as a mount's ReadOnly, is compared exactly);
 *  - bodies Go refuses with a type error are not compared (dockerd answers
 *    them 400 before any container exists).
 * The oracle is $LOCKSET_GOJSON_ORACLE, else the build's tests/fuzz/gojson-oracle. */
#include "fuzz.h"
#include "engine/gojson.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int to_oracle = -1, from_oracle = -1;
static const char *const map_keys[] = {"a", "kernel.msgmax", "K", "s"};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("LOCKSET_GOJSON_ORACLE");
	int in[2], out[2];
	pid_t pid;

	if (path == NULL || path[0] == '\0')
		path = FUZZ_ORACLE;
	signal(SIGPIPE, SIG_IGN);
	if (access(path, X_OK) != 0) {
		fprintf(stderr, "fuzz_gojson_diff: the Go oracle %s is not built\n", path);
		exit(77);
	}
	if (pipe(in) != 0 || pipe(out) != 0 || (pid = fork()) < 0)
		abort();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	to_oracle = in[1];
	from_oracle = out[0];
	return 0;
}

/* Whole reads and writes on the pipes; libFuzzer's timers interrupt them. */
static int
xfer(int fd, void *buf, size_t n, int writing)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = writing ? write(fd, p, n) : read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static char *
ask_oracle(const uint8_t *data, size_t size)
{
	unsigned char len[4] = {size & 0xff, size >> 8 & 0xff, size >> 16 & 0xff, size >> 24};
	char *answer;
	size_t n;

	if (xfer(to_oracle, len, 4, 1) != 0 || xfer(to_oracle, (void *)data, size, 1) != 0 ||
	    xfer(from_oracle, len, 4, 0) != 0) {
		fprintf(stderr, "fuzz_gojson_diff: the Go oracle stopped answering\n");
		abort();
	}
	n = (size_t)len[0] | (size_t)len[1] << 8 | (size_t)len[2] << 16 | (size_t)len[3] << 24;
	if ((answer = malloc(n + 1)) == NULL || xfer(from_oracle, answer, n, 0) != 0)
		abort();
	answer[n] = '\0';
	return answer;
}

/* ------------------------------------------------------------------------ */
/* gojson's side, in the oracle's format                                    */

struct out {
	char *p;
	size_t n;
};

static void
put(struct out *o, const char *key, const char *fmt_value, const char *s)
{
	size_t need = strlen(key) + 2 + (s ? 2 * strlen(s) : strlen(fmt_value)) + 1;
	char *q;

	if ((o->p = realloc(o->p, o->n + need + 1)) == NULL)
		abort();
	q = o->p + o->n;
	q += sprintf(q, "%s=", key);
	if (s != NULL)
		for (; *s != '\0'; s++)
			q += sprintf(q, "%02x", (unsigned char)*s);
	else
		q += sprintf(q, "%s", fmt_value);
	*q++ = '\n';
	*q = '\0';
	o->n = (size_t)(q - o->p);
}

static void
put_hex(struct out *o, const char *key, const char *s)
{
	put(o, key, NULL, s != NULL ? s : "");
}

static void
put_strs(struct gojson_arena *a, struct out *o, const struct gojson_view *v, const char *name,
         int strslice)
{
	const struct gojson_value *s, *e;
	char key[64], num[32];
	size_t i;

	if (gojson_view_slice(a, v, name, strslice, &s) != 0)
		abort();
	if (s == NULL) {
		put(o, name, "nil", NULL);
		return;
	}
	snprintf(key, sizeof(key), "%s.len", name);
	snprintf(num, sizeof(num), "%zu", s->type == GOJSON_STRING ? 1 : s->n);
	put(o, key, num, NULL);
	if (s->type == GOJSON_STRING) {
		snprintf(key, sizeof(key), "%s[0]", name);
		put_hex(o, key, s->s);
		return;
	}
	for (i = 0, e = s->child; e != NULL; i++, e = e->next) {
		snprintf(key, sizeof(key), "%s[%zu]", name, i);
		put_hex(o, key, e->type == GOJSON_STRING ? e->s : "");
	}
}

static void
put_host_config(struct gojson_arena *a, struct out *o, const struct gojson_view *hc)
{
	struct gojson_view m, *mounts;
	char key[64], num[32];
	size_t i, nm;

	put(o, "Privileged", gojson_view_bool(hc, "Privileged") ? "true" : "false", NULL);
	put_hex(o, "PidMode", gojson_view_string(hc, "PidMode"));
	put_strs(a, o, hc, "Binds", 0);
	put_strs(a, o, hc, "SecurityOpt", 0);
	put_strs(a, o, hc, "CapAdd", 1);
	if (gojson_view_map(a, hc, "Sysctls", &m) != 0)
		abort();
	put(o, "Sysctls", m.n == 0 ? "nil" : "set", NULL);
	for (i = 0; m.n > 0 && i < sizeof(map_keys) / sizeof(map_keys[0]); i++) {
		const char *v = gojson_map_get(&m, map_keys[i]);

		snprintf(key, sizeof(key), "Sysctls[%s]", map_keys[i]);
		if (v != NULL)
			put_hex(o, key, v);
	}
	if (gojson_view_struct_slice(a, hc, "Mounts", &mounts, &nm) != 0)
		abort();
	/* A nil slice and an empty one differ in Go; gojson_view_slice tells. */
	{
		const struct gojson_value *raw;

		if (gojson_view_slice(a, hc, "Mounts", 0, &raw) != 0)
			abort();
		if (raw == NULL) {
			put(o, "Mounts", "nil", NULL);
			return;
		}
	}
	snprintf(num, sizeof(num), "%zu", nm);
	put(o, "Mounts.len", num, NULL);
	for (i = 0; i < nm; i++) {
		snprintf(key, sizeof(key), "Mounts[%zu].Type", i);
		put_hex(o, key, gojson_view_string(&mounts[i], "Type"));
		snprintf(key, sizeof(key), "Mounts[%zu].Source", i);
		put_hex(o, key, gojson_view_string(&mounts[i], "Source"));
		snprintf(key, sizeof(key), "Mounts[%zu].ReadOnly", i);
		put(o, key, gojson_view_bool(&mounts[i], "ReadOnly") ? "true" : "false", NULL);
	}
}

/* Dump root as the oracle does; NULL when Go would refuse it with a type
 * error (not compared). */
static char *
dump(struct gojson_arena *a, const struct gojson_value *root)
{
	static const struct gojson_value empty = {.type = GOJSON_OBJECT};
	struct out o;
	struct gojson_view top, hc, spec, inner;

	if (root->type == GOJSON_NULL)
		root = &empty; /* null into a struct: nothing changes */
	if (root->type != GOJSON_OBJECT)
		return NULL;
	top.obj = &root;
	top.n = 1;
	if ((o.p = strdup("ok\n")) == NULL)
		abort();
	o.n = 3;
	put_hex(&o, "Image", gojson_view_string(&top, "Image"));
	put_hex(&o, "Kind", gojson_view_string(&top, "Kind"));
	put_strs(a, &o, &top, "Entrypoint", 1);
	if (gojson_view_struct_value(a, &top, "Spec", &spec) != 0 ||
	    gojson_view_struct(a, &spec, "Inner", &inner) != 0)
		abort();
	put_hex(&o, "Spec.Name", gojson_view_string(&spec, "Name"));
	put(&o, "Spec.Inner", inner.n == 0 ? "nil" : "set", NULL);
	if (inner.n > 0)
		put_hex(&o, "Spec.Inner.X", gojson_view_string(&inner, "X"));
	if (gojson_view_struct(a, &top, "HostConfig", &hc) != 0)
		abort();
	if (hc.n == 0) {
		put(&o, "HostConfig", "nil", NULL);
		return o.p;
	}
	put(&o, "HostConfig", "set", NULL);
	put_host_config(a, &o, &hc);
	return o.p;
}

/* ------------------------------------------------------------------------ */
/* Comparing                                                                */

/* The value of key in a dump ("" when absent). */
static const char *
value_of(const char *dump, const char *key, char *buf, size_t bufsz)
{
	size_t klen = strlen(key);
	const char *p = dump;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == dump || p[-1] == '\n') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, "\n");

			snprintf(buf, bufsz, "%.*s", (int)n, p + klen + 1);
			return buf;
		}
		p += klen;
	}
	return "";
}

/* Every key of a must have the same value in b, except that an element or
 * map value ('[' in the key) that Go (go_side) leaves empty may be set in
 * gojson. */
static int
agrees(const char *go, const char *c, const char *a, int go_side)
{
	static char key[256], va[65536 * 2 + 8], vb[65536 * 2 + 8];
	const char *p = a;

	while (*p != '\0') {
		size_t klen = strcspn(p, "=\n"), llen = strcspn(p, "\n");
		const char *x, *y;

		if (klen < llen && klen < sizeof(key)) {
			memcpy(key, p, klen);
			key[klen] = '\0';
			x = value_of(go, key, va, sizeof(va));
			y = value_of(c, key, vb, sizeof(vb));
			if (strcmp(x, y) != 0 && !(strchr(key, '[') != NULL && x[0] == '\0')) {
				fprintf(stderr,
				        "fuzz_gojson_diff: %s: Go %s, gojson %s (%s side)\n", key,
				        x, y, go_side ? "Go" : "gojson");
				return 0;
			}
		}
		p += llen + (p[llen] == '\n');
	}
	return 1;
}

static void
differ(const char *go, const char *c)
{
	fprintf(stderr,
	        "fuzz_gojson_diff: Go's encoding/json and gojson disagree\n--- Go\n%s\n"
	        "--- gojson\n%s\n",
	        go, c != NULL ? c : "(refused)");
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gojson_arena a;
	const struct gojson_value *root;
	const char *why = NULL;
	char *go = ask_oracle(data, size), *c = NULL;
	size_t at;
	int rc;

	gojson_arena_init(&a);
	rc = gojson_parse(&a, (const char *)data, size, &root, &why, &at);
	if (rc == -1)
		abort();
	if (strcmp(go, "syntax") == 0) {
		if (rc == 0)
			differ(go, "(parsed)");
	} else if (rc == 1) {
		if (strcmp(why, "nesting too deep") != 0)
			differ(go, why);
	} else if (a.nul) {
		/* A string that holds U+0000: the engine reads nothing of such a
		 * document (rule nul-byte), and the dump below is of C strings. */
	} else if (strcmp(go, "type") != 0) {
		c = dump(&a, root);
		if (c == NULL || !agrees(go, c, go, 1) || !agrees(go, c, c, 0))
			differ(go, c);
	}
	free(c);
	free(go);
	gojson_arena_clear(&a);
	return 0;
}

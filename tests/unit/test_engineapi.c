/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for engineapi.c (routes, query, Go-compatible body reader),
 * hostpath.c (cleaning, resolution, component prefixes) and imageref.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "engine/engineapi.h"
#include "engine/hostpath.h"
#include "engine/imageref.h"

static enum engineapi_route
route_of(const char *method, const char *uri, char *id, size_t idsz)
{
	struct engineapi_target t;
	enum engineapi_route r;

	CHECK_INT_EQ(engineapi_classify(method, uri, &t), 0);
	r = t.route;
	if (id != NULL)
		snprintf(id, idsz, "%s", t.id != NULL ? t.id : "");
	engineapi_target_clear(&t);
	return r;
}

static void
test_route_version_prefix_is_optional(void)
{
	CHECK_INT_EQ(route_of("POST", "/v1.47/containers/create", NULL, 0),
	             ENGINEAPI_CONTAINER_CREATE);
	CHECK_INT_EQ(route_of("POST", "/containers/create", NULL, 0), ENGINEAPI_CONTAINER_CREATE);
	CHECK_INT_EQ(route_of("POST", "/v1/containers/create", NULL, 0),
	             ENGINEAPI_CONTAINER_CREATE);
	CHECK_INT_EQ(route_of("POST", "/vx/containers/create", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("POST", "/v1.51/swarm/join", NULL, 0), ENGINEAPI_SWARM_JOIN);
	CHECK_INT_EQ(route_of("POST", "/swarm/join", NULL, 0), ENGINEAPI_SWARM_JOIN);
}

static void
test_route_double_slash_and_dots_collapse(void)
{
	CHECK_INT_EQ(route_of("POST", "//v1.47//containers//create", NULL, 0),
	             ENGINEAPI_CONTAINER_CREATE);
	CHECK_INT_EQ(route_of("POST", "/v1.47/images/../containers/./create", NULL, 0),
	             ENGINEAPI_CONTAINER_CREATE);
}

static void
test_route_percent_escapes_are_decoded_first(void)
{
	char id[64];

	CHECK_INT_EQ(route_of("POST", "/v1.47/containers%2Fcreate", NULL, 0),
	             ENGINEAPI_CONTAINER_CREATE);
	CHECK_INT_EQ(route_of("POST", "/v1.47/%63ontainers/abc%2Fexec", id, sizeof(id)),
	             ENGINEAPI_EXEC_CREATE);
	CHECK_STR_EQ(id, "abc");
	CHECK_INT_EQ(route_of("POST", "/v1.47/containers/create%zz", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("POST", "/v1.51/swarm%2Fjoin", NULL, 0), ENGINEAPI_SWARM_JOIN);
	CHECK_INT_EQ(route_of("POST", "/v1.51/plugins/x%2Fset", id, sizeof(id)),
	             ENGINEAPI_PLUGIN_SET);
	CHECK_STR_EQ(id, "x");
}

static void
test_route_query_is_ignored_for_routing(void)
{
	struct engineapi_target t;

	CHECK_INT_EQ(engineapi_classify("POST", "/v1.47/containers/create?name=x/exec", &t), 0);
	CHECK_INT_EQ(t.route, ENGINEAPI_CONTAINER_CREATE);
	CHECK_STR_EQ(t.query, "name=x/exec");
	engineapi_target_clear(&t);
}

static void
test_route_case_sensitive_methods_and_paths(void)
{
	/* dockerd routes neither: a mutating request it would not route is unknown. */
	CHECK_INT_EQ(route_of("POST", "/v1.47/Containers/create", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("post", "/v1.47/containers/create", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("GET", "/v1.47/containers/create", NULL, 0), ENGINEAPI_OTHER);
}

static void
test_route_table(void)
{
	char id[64];

	CHECK_INT_EQ(route_of("POST", "/v1.47/containers/a/b/exec", id, sizeof(id)),
	             ENGINEAPI_EXEC_CREATE);
	CHECK_STR_EQ(id, "a/b");
	CHECK_INT_EQ(route_of("POST", "/v1.47/containers/c1/update", id, sizeof(id)),
	             ENGINEAPI_CONTAINER_UPDATE);
	CHECK_INT_EQ(route_of("POST", "/v1.47/containers/c1/start", id, sizeof(id)),
	             ENGINEAPI_CONTAINER_START);
	CHECK_INT_EQ(route_of("POST", "/v1.47/images/create?fromImage=x", NULL, 0),
	             ENGINEAPI_IMAGE_CREATE);
	CHECK_INT_EQ(route_of("POST", "/images/load", NULL, 0), ENGINEAPI_IMAGE_LOAD);
	CHECK_INT_EQ(route_of("POST", "/v1.41/build?networkmode=host", NULL, 0), ENGINEAPI_BUILD);
	CHECK_INT_EQ(route_of("POST", "/plugins/pull?remote=x", NULL, 0), ENGINEAPI_PLUGIN_INSTALL);
	CHECK_INT_EQ(route_of("POST", "/plugins/sshfs/upgrade", id, sizeof(id)),
	             ENGINEAPI_PLUGIN_INSTALL);
	CHECK_STR_EQ(id, "sshfs");
	CHECK_INT_EQ(route_of("POST", "/volumes/create", NULL, 0), ENGINEAPI_VOLUME_CREATE);
	CHECK_INT_EQ(route_of("POST", "http://docker/v1.47/containers/create", NULL, 0),
	             ENGINEAPI_CONTAINER_CREATE);
	/* Targets as Go's url.ParseRequestURI reads them: a scheme, then a path
	 * or "//authority" and a path, the query cut first. */
	CHECK_INT_EQ(
	    route_of("POST", "x:/v1.47/containers/create?a=://h/containers/c/stop", NULL, 0),
	    ENGINEAPI_CONTAINER_CREATE);
	CHECK_INT_EQ(route_of("POST", "h+t.t-p:/containers/create", NULL, 0),
	             ENGINEAPI_CONTAINER_CREATE);
	CHECK_INT_EQ(route_of("POST", "http:///containers/create", NULL, 0),
	             ENGINEAPI_CONTAINER_CREATE);
	CHECK_INT_EQ(route_of("POST", "http://d?q=/containers/create", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("POST", "1x:/containers/create", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("POST", ":/containers/create", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("POST", "x:containers/create", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("POST", "a=b://h/containers/create", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("POST", "/v1.47/containers//exec", NULL, 0), ENGINEAPI_UNKNOWN);
	CHECK_INT_EQ(route_of("POST", "/v1.47/containers/x/kill", NULL, 0), ENGINEAPI_OTHER);
}

/* Content-Type media types as Go's mime.ParseMediaType gives them (each
 * checked against Go 1.19's answer). */
static void
test_media_type_as_go_reads_it(void)
{
	static const struct {
		const char *ct, *want;
	} cases[] = {
	    {"appl\xc4\xb0"
	     "cation/x-www-form-urlencoded",
	     "application/x-www-form-urlencoded"},
	    {"\xc2\xa0"
	     "application/x-www-form-urlencoded",
	     "application/x-www-form-urlencoded"},
	    {"application/x-www-form-urlencoded x", ""},
	    {"application/x-www-form-urlencoded; =x", "application/x-www-form-urlencoded"},
	    {"Application/X-WWW-Form-Urlencoded ;charset=utf-8",
	     "application/x-www-form-urlencoded"},
	    {"application/x-www-form-urlencoded\xff", ""},
	    {"\xff"
	     "application/json",
	     ""},
	    {"application/json\xc2\x85", "application/json"},
	    {"\t application/json \r", "application/json"},
	    {"application /json", ""},
	    {"applica\xe2\x84\xaaion/json", "applicakion/json"},
	    {"multipart/form-data; boundary=x", "multipart/form-data"},
	    {"a/b/c", ""},
	    {"application/json;", "application/json"},
	    {"text/plain(x)", ""},
	    {"/json", ""},
	    {"application/", ""},
	    {"", ""},
	    {"appl\xc4", ""},
	    {"\xc0\xaf"
	     "application/json",
	     ""},
	    {"\xed\xa0\x80"
	     "application/json",
	     ""},
	    {"application/json\xe3\x80\x80", "application/json"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		engineapi_media_type(cases[i].ct, strlen(cases[i].ct), out, sizeof(out));
		CHECK_STR_EQ(out, cases[i].want);
	}
	engineapi_media_type("application/x-www-form-urlencoded", 33, out, 8);
	CHECK_STR_EQ(out, ""); /* longer than out holds */
}

static void
test_route_long_uri_uses_heap(void)
{
	char uri[3000];

	memset(uri, 'a', sizeof(uri));
	memcpy(uri, "/containers/", 12);
	strcpy(uri + sizeof(uri) - 6, "/exec");
	CHECK_INT_EQ(route_of("POST", uri, NULL, 0), ENGINEAPI_EXEC_CREATE);
}

/* Classify into *t (cleared by the caller) and check route and class. */
static void
classify_as(const char *method, const char *uri, struct engineapi_target *t,
            enum engineapi_route route, enum engineapi_class klass)
{
	CHECK_INT_EQ(engineapi_classify(method, uri, t), 0);
	CHECK_INT_EQ(t->route, route);
	CHECK_INT_EQ(t->klass, klass);
}

static void
test_route_unlisted_mutation_is_unknown(void)
{
	struct engineapi_target t;

	classify_as("POST", "/v1.51/containers/c1/frobnicate", &t, ENGINEAPI_UNKNOWN,
	            ENGINEAPI_UNLISTED);
	CHECK(t.pattern == NULL && t.command == NULL && t.id == NULL && t.form == 0);
	engineapi_target_clear(&t);
	classify_as("DELETE", "/v1.51/system/everything", &t, ENGINEAPI_UNKNOWN,
	            ENGINEAPI_UNLISTED);
	engineapi_target_clear(&t);
	/* A listed path with a method dockerd does not serve there. */
	classify_as("PATCH", "/containers/c1/update", &t, ENGINEAPI_UNKNOWN, ENGINEAPI_UNLISTED);
	engineapi_target_clear(&t);
	classify_as("PUT", "/containers/create", &t, ENGINEAPI_UNKNOWN, ENGINEAPI_UNLISTED);
	engineapi_target_clear(&t);
	classify_as("BREW", "/_ping", &t, ENGINEAPI_UNKNOWN, ENGINEAPI_UNLISTED);
	engineapi_target_clear(&t);
	classify_as(NULL, "/containers/create", &t, ENGINEAPI_UNKNOWN, ENGINEAPI_UNLISTED);
	engineapi_target_clear(&t);
	classify_as("POST", "http://docker", &t, ENGINEAPI_UNKNOWN, ENGINEAPI_UNLISTED);
	engineapi_target_clear(&t);
	classify_as("POST", NULL, &t, ENGINEAPI_UNKNOWN, ENGINEAPI_UNLISTED);
	engineapi_target_clear(&t);
}

static void
test_route_reads_are_readonly_listed_or_not(void)
{
	struct engineapi_target t;

	classify_as("GET", "/v1.51/no/such/route", &t, ENGINEAPI_OTHER, ENGINEAPI_READONLY);
	CHECK(t.pattern == NULL);
	engineapi_target_clear(&t);
	/* GET on a POST route: read-only, and not the POST route's command. */
	classify_as("GET", "/v1.51/build", &t, ENGINEAPI_OTHER, ENGINEAPI_READONLY);
	CHECK(t.pattern == NULL && t.command == NULL);
	engineapi_target_clear(&t);
	classify_as("HEAD", "/containers/c1/start", &t, ENGINEAPI_OTHER, ENGINEAPI_READONLY);
	engineapi_target_clear(&t);
	classify_as("OPTIONS", "/v1.51/anything/at/all", &t, ENGINEAPI_OTHER, ENGINEAPI_READONLY);
	CHECK_STR_EQ(t.pattern, "/{path}");
	engineapi_target_clear(&t);
	classify_as("GET", "/v1.51/containers/c1/export", &t, ENGINEAPI_OTHER, ENGINEAPI_READONLY);
	CHECK_STR_EQ(t.command, "export");
	CHECK_STR_EQ(t.id, "c1");
	engineapi_target_clear(&t);
	classify_as("HEAD", "/_ping", &t, ENGINEAPI_OTHER, ENGINEAPI_READONLY);
	CHECK_STR_EQ(t.pattern, "/_ping");
	engineapi_target_clear(&t);
}

static void
test_route_swarm_join_is_refused(void)
{
	struct engineapi_target t;

	classify_as("POST", "/v1.51/swarm/join", &t, ENGINEAPI_SWARM_JOIN, ENGINEAPI_REFUSED);
	CHECK_STR_EQ(t.command, "swarm join");
	CHECK_STR_EQ(t.pattern, "/swarm/join");
	CHECK_INT_EQ(t.form, 0);
	engineapi_target_clear(&t);
	classify_as("POST", "//v1.51//swarm/./join", &t, ENGINEAPI_SWARM_JOIN, ENGINEAPI_REFUSED);
	engineapi_target_clear(&t);
	/* Refused as a join is; its body is judged as well: the tasks'
	 * default log driver. */
	classify_as("POST", "/v1.51/swarm/init", &t, ENGINEAPI_SWARM_SPEC, ENGINEAPI_REFUSED);
	CHECK_STR_EQ(t.command, "swarm init");
	CHECK_INT_EQ(engineapi_reads_body("POST", t.route), 1);
	engineapi_target_clear(&t);
	classify_as("POST", "/v1.51/swarm/update?version=3", &t, ENGINEAPI_SWARM_SPEC,
	            ENGINEAPI_JUDGED);
	engineapi_target_clear(&t);
	/* A node update's Role can make a manager (docker node promote). */
	classify_as("POST", "/v1.51/nodes/n1/update?version=12", &t, ENGINEAPI_NODE_UPDATE,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.id, "n1");
	CHECK(t.command == NULL);
	CHECK_INT_EQ(engineapi_reads_body("POST", t.route), 1);
	engineapi_target_clear(&t);
}

static void
test_route_image_names_keep_their_slashes(void)
{
	struct engineapi_target t;

	classify_as("POST", "/images/localhost:5000/a/b/tag?repo=x&tag=1", &t, ENGINEAPI_IMAGE_TAG,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.id, "localhost:5000/a/b");
	CHECK_STR_EQ(t.command, "image tag");
	CHECK_STR_EQ(t.pattern, "/images/{name}/tag");
	CHECK_STR_EQ(t.query, "repo=x&tag=1");
	CHECK_INT_EQ(t.form, 1);
	engineapi_target_clear(&t);
	classify_as("POST", "/v1.51/images/localhost%3A5000%2Fa%2Fb/tag", &t, ENGINEAPI_IMAGE_TAG,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.id, "localhost:5000/a/b");
	engineapi_target_clear(&t);
	classify_as("POST", "/v1.51/images/ghcr.io/o/app:1/push", &t, ENGINEAPI_IMAGE_PUSH,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.command, "image push");
	CHECK_STR_EQ(t.id, "ghcr.io/o/app:1");
	engineapi_target_clear(&t);
	classify_as("DELETE", "/v1.51/images/ghcr.io/o/app:1", &t, ENGINEAPI_OTHER,
	            ENGINEAPI_READONLY);
	CHECK_STR_EQ(t.id, "ghcr.io/o/app:1");
	engineapi_target_clear(&t);
}

static void
test_route_plugins_and_services(void)
{
	struct engineapi_target t;

	classify_as("POST", "/plugins/x/set", &t, ENGINEAPI_PLUGIN_SET, ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.id, "x");
	CHECK_STR_EQ(t.command, "plugin set");
	CHECK_INT_EQ(t.form, 0);
	engineapi_target_clear(&t);
	classify_as("POST", "/v1.51/plugins/vieux/sshfs:latest/enable", &t, ENGINEAPI_PLUGIN_ENABLE,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.id, "vieux/sshfs:latest");
	CHECK_STR_EQ(t.command, "plugin enable");
	engineapi_target_clear(&t);
	classify_as("POST", "/plugins/create?name=p", &t, ENGINEAPI_PLUGIN_INSTALL,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.command, "plugin install");
	engineapi_target_clear(&t);
	classify_as("POST", "/services/create", &t, ENGINEAPI_SERVICE_CREATE, ENGINEAPI_JUDGED);
	CHECK_INT_EQ(t.form, 0);
	engineapi_target_clear(&t);
	classify_as("POST", "/services/s1/update?version=3", &t, ENGINEAPI_SERVICE_UPDATE,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.id, "s1");
	CHECK_STR_EQ(t.command, "service update");
	engineapi_target_clear(&t);
	/* A service id is one path segment in dockerd's router. */
	classify_as("POST", "/services/a/b/update", &t, ENGINEAPI_UNKNOWN, ENGINEAPI_UNLISTED);
	engineapi_target_clear(&t);
	classify_as("POST", "/commit?container=c1", &t, ENGINEAPI_COMMIT, ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.command, "commit");
	engineapi_target_clear(&t);
}

static void
test_route_first_registered_pattern_wins(void)
{
	struct engineapi_target t;

	classify_as("DELETE", "/containers/c1/checkpoints/cp1?dir=/x", &t, ENGINEAPI_CHECKPOINT,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.pattern, "/containers/{id}/checkpoints/{checkpoint}");
	CHECK_STR_EQ(t.id, "c1");
	CHECK_STR_EQ(t.id2, "cp1");
	CHECK_STR_EQ(t.query, "dir=/x");
	engineapi_target_clear(&t);
	/* The second parameter decoded, as dockerd's router sees it. */
	classify_as("DELETE", "/v1.41/containers/c1/checkpoints/%2E%2E%2Eetc", &t,
	            ENGINEAPI_CHECKPOINT, ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.id2, "...etc");
	engineapi_target_clear(&t);
	classify_as("DELETE", "/containers/c1/checkpoints/a/b", &t, ENGINEAPI_OTHER,
	            ENGINEAPI_READONLY);
	CHECK_STR_EQ(t.pattern, "/containers/{id}");
	CHECK_STR_EQ(t.id, "c1/checkpoints/a/b");
	CHECK(t.id2 == NULL);
	engineapi_target_clear(&t);
	classify_as("POST", "/exec/e1/start", &t, ENGINEAPI_EXEC_START, ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.command, "exec");
	engineapi_target_clear(&t);
	/* An unpause lets what runs in the container run again. */
	classify_as("POST", "/v1.47/containers/c1/unpause", &t, ENGINEAPI_CONTAINER_UNPAUSE,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.id, "c1");
	CHECK_INT_EQ(t.form, 1);
	engineapi_target_clear(&t);
	classify_as("PUT", "/containers/c1/archive?path=/tmp", &t, ENGINEAPI_CONTAINER_ARCHIVE,
	            ENGINEAPI_JUDGED);
	CHECK_STR_EQ(t.command, "cp");
	CHECK_INT_EQ(t.form, 1);
	engineapi_target_clear(&t);
	classify_as("POST", "/v1.51/build/prune", &t, ENGINEAPI_OTHER, ENGINEAPI_READONLY);
	CHECK_STR_EQ(t.command, "prune");
	engineapi_target_clear(&t);
}

static void
test_query_all_values_decoded(void)
{
	const char *cur = "fromImage=alpine&tag=3.20&fromImage=quay.io%2Fx+y&x";
	char buf[64];

	CHECK_INT_EQ(engineapi_query_next(&cur, "fromImage", buf, sizeof(buf)), 1);
	CHECK_STR_EQ(buf, "alpine");
	CHECK_INT_EQ(engineapi_query_next(&cur, "fromImage", buf, sizeof(buf)), 1);
	CHECK_STR_EQ(buf, "quay.io/x y");
	CHECK_INT_EQ(engineapi_query_next(&cur, "fromImage", buf, sizeof(buf)), 0);
	cur = "FromImage=x";
	CHECK_INT_EQ(engineapi_query_next(&cur, "fromImage", buf, sizeof(buf)), 0);
	/* A value cut to fit says so: 2, then the next value. */
	cur = "dir=/share/0123456789abcdef&dir=/b";
	CHECK_INT_EQ(engineapi_query_next(&cur, "dir", buf, 16), 2);
	CHECK_STR_EQ(buf, "/share/01234567");
	CHECK_INT_EQ(engineapi_query_next(&cur, "dir", buf, 16), 1);
	CHECK_STR_EQ(buf, "/b");
	/* 15 raw bytes fit 16. */
	cur = "dir=/share/01234567";
	CHECK_INT_EQ(engineapi_query_next(&cur, "dir", buf, 16), 1);
	CHECK_STR_EQ(buf, "/share/01234567");
}

static void
test_key_folding_like_go(void)
{
	CHECK(engineapi_key_matches("privileged", 10, "Privileged"));
	CHECK(engineapi_key_matches("PRIVILEGED", 10, "Privileged"));
	CHECK(!engineapi_key_matches("Privilege", 9, "Privileged"));
	CHECK(!engineapi_key_matches("Privilegedx", 11, "Privileged"));
	CHECK(engineapi_key_matches("\xc5\xbf"
	                            "ecurityOpt",
	                            12, "SecurityOpt"));
	CHECK(engineapi_key_matches("Networ\xe2\x84\xaa"
	                            "Mode",
	                            13, "NetworkMode"));
	CHECK(!engineapi_key_matches("Networ\xe2\x84\xaa"
	                             "Mode",
	                             13, "NetworsMode"));
	CHECK(!engineapi_key_matches("\xc5\xbf"
	                             "ysctls",
	                             8, "Kysctls"));
}

/* Parse body for container create; return the facts (caller clears). */
static struct engineapi_facts *
facts_of(enum engineapi_route route, const char *body)
{
	struct engineapi_facts *f = malloc(sizeof(*f));

	if (f == NULL)
		abort();
	engineapi_facts_init(f);
	CHECK_INT_EQ(engineapi_facts_parse(f, route, body, strlen(body)), 0);
	return f;
}

static void
free_facts(struct engineapi_facts *f)
{
	engineapi_facts_clear(f);
	free(f);
}

static int
count_kind(const struct engineapi_facts *f, enum engineapi_fact_kind k)
{
	size_t i;
	int n = 0;

	for (i = 0; i < f->n; i++)
		n += f->v[i].kind == k;
	return n;
}

static void
test_reader_last_duplicate_wins_in_document_order(void)
{
	struct engineapi_facts *f;

	f = facts_of(
	    ENGINEAPI_CONTAINER_CREATE,
	    "{\"HostConfig\":{\"Privileged\":true,\"privileged\":false,\"Privileged\":true}}");
	CHECK(f->body_ok);
	CHECK_INT_EQ(count_kind(f, EF_PRIVILEGED), 1);
	free_facts(f);
	f = facts_of(ENGINEAPI_CONTAINER_CREATE,
	             "{\"HostConfig\":{\"Privileged\":true,\"PRIVILEGED\":false}}");
	CHECK_INT_EQ(count_kind(f, EF_PRIVILEGED), 0);
	free_facts(f);
	f = facts_of(ENGINEAPI_CONTAINER_CREATE, "{\"hostconfig\":{\"privileged\":true}}");
	CHECK_INT_EQ(count_kind(f, EF_PRIVILEGED), 1);
	free_facts(f);
}

static void
test_reader_structs_merge_slices_replace(void)
{
	struct engineapi_facts *f;
	char field[128];

	f = facts_of(ENGINEAPI_CONTAINER_CREATE,
	             "{\"HostConfig\":{\"Binds\":[\"/etc:/x\"],\"CapAdd\":[\"X\"]},"
	             "\"HostConfig\":{\"Binds\":[\"/tmp/a:/a\",\"/tmp/b:/b\"]}}");
	CHECK_INT_EQ(count_kind(f, EF_HOST_PATH), 2);
	CHECK_INT_EQ(count_kind(f, EF_CAP_ADD), 1);
	engineapi_fact_field(&f->v[f->n - 1], field, sizeof(field));
	CHECK_STR_EQ(field, "HostConfig.Binds[1]");
	CHECK_STR_EQ(f->v[f->n - 1].value, "/tmp/b");
	free_facts(f);
	f = facts_of(ENGINEAPI_CONTAINER_CREATE,
	             "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"v\"}],"
	             "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/srv\"}]}}");
	CHECK_INT_EQ(count_kind(f, EF_HOST_PATH), 1);
	engineapi_fact_field(&f->v[0], field, sizeof(field));
	CHECK_STR_EQ(field, "HostConfig.Mounts[0].Source");
	free_facts(f);
}

/* A node update's Role, the last one under Go's key folding, as sent; ""
 * when there is none (a null leaves a Go string as it was). */
static void
test_reader_node_role_as_go_decodes_it(void)
{
	static const struct {
		const char *body, *role;
	} cases[] = {
	    {"{\"Labels\":{},\"Role\":\"manager\",\"Availability\":\"active\"}", "manager"},
	    {"{\"Role\":\"worker\",\"rOLE\":\"Manager\"}", "Manager"},
	    {"{\"Role\":\"manager\",\"Role\":null}", "manager"},
	    {"{\"Availability\":\"drain\"}", ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct engineapi_facts *f = facts_of(ENGINEAPI_NODE_UPDATE, cases[i].body);

		CHECK(f->body_ok);
		CHECK_INT_EQ(count_kind(f, EF_NODE_ROLE), 1);
		if (f->n == 1)
			CHECK_STR_EQ(f->v[0].value, cases[i].role);
		free_facts(f);
	}
}

/* The field name is what snprintf would write, cut the same way. */
static void
test_fact_field_names_like_snprintf(void)
{
	static const long indexes[] = {-1, 0, 7, 10, 123456789L, 2147483647L};
	static const char *const suffixes[] = {NULL, "", ".Source"};
	struct engineapi_fact fa = {.prefix = "TaskTemplate.ContainerSpec.", .name = "Mounts"};
	char got[64], want[64];

	for (size_t i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++)
		for (size_t s = 0; s < sizeof(suffixes) / sizeof(suffixes[0]); s++)
			for (size_t sz = 1; sz <= sizeof(got); sz++) {
				fa.index = indexes[i];
				fa.suffix = suffixes[s];
				if (fa.index >= 0)
					snprintf(want, sz, "%s%s[%ld]%s", fa.prefix, fa.name,
					         fa.index, fa.suffix ? fa.suffix : "");
				else
					snprintf(want, sz, "%s%s%s", fa.prefix, fa.name,
					         fa.suffix ? fa.suffix : "");
				memset(got, 'x', sizeof(got));
				engineapi_fact_field(&fa, got, sz);
				CHECK_STR_EQ(got, want);
			}
}

static void
test_reader_strings_decode_like_go(void)
{
	struct engineapi_facts *f;

	f = facts_of(
	    ENGINEAPI_CONTAINER_CREATE,
	    "{\"Image\":\"a\\u006cpine\\ud800\",\"HostConfig\":{\"Binds\":[\"\\/etc:/x\"]}}");
	CHECK_STR_EQ(f->image, "alpine\xef\xbf\xbd");
	CHECK_STR_EQ(f->v[0].value, "/etc");
	free_facts(f);
	f = facts_of(ENGINEAPI_CONTAINER_CREATE, "{\"Image\":\"a\xff\"}");
	CHECK_STR_EQ(f->image, "a\xef\xbf\xbd");
	free_facts(f);
}

static void
test_reader_rejects_what_go_rejects(void)
{
	const char *bad[] = {
	    "{",          "{\"a\":}", "{\"a\":1,}", "[1 2]",          "{\"a\":\"\x01\"}",
	    "{\"a\":01}", "{} {}",    "tru",        "{\"a\":\"\\x\"}"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct engineapi_facts *f = facts_of(ENGINEAPI_CONTAINER_CREATE, bad[i]);

		CHECK(!f->body_ok);
		CHECK(f->error[0] != '\0');
		free_facts(f);
	}
}

static void
test_reader_caps_strslice_and_devices(void)
{
	struct engineapi_facts *f;

	f = facts_of(ENGINEAPI_CONTAINER_CREATE,
	             "{\"HostConfig\":{\"CapAdd\":\"sys_admin\",\"Devices\":[{\"PathOnHost\":"
	             "\"/dev/mem\"}],\"DeviceRequests\":[{\"Count\":-1}],\"Sysctls\":{\"a\":\"1\"},"
	             "\"MaskedPaths\":[],\"ReadonlyPaths\":null}}");
	CHECK_INT_EQ(count_kind(f, EF_CAP_ADD), 1);
	CHECK_INT_EQ(count_kind(f, EF_DEVICE), 1);
	CHECK_INT_EQ(count_kind(f, EF_DEVICE_REQUEST), 1);
	CHECK_INT_EQ(count_kind(f, EF_SYSCTL), 1);
	CHECK_INT_EQ(count_kind(f, EF_MASKED_PATHS), 1);
	CHECK_INT_EQ(count_kind(f, EF_READONLY_PATHS), 0);
	free_facts(f);
}

static void
test_hostpath_clean(void)
{
	char buf[64];

	hostpath_clean("/home/alice/../../root/.ssh", buf, sizeof(buf));
	CHECK_STR_EQ(buf, "/root/.ssh");
	hostpath_clean("//a//b/./c/", buf, sizeof(buf));
	CHECK_STR_EQ(buf, "/a/b/c");
	hostpath_clean("/../..", buf, sizeof(buf));
	CHECK_STR_EQ(buf, "/");
	hostpath_clean("rel/x", buf, sizeof(buf));
	CHECK_STR_EQ(buf, "/rel/x");
	CHECK_INT_EQ(hostpath_clean("/aaaaaaaaaaaaaaaa", buf, 8), -1);
}

static void
test_hostpath_within_whole_components(void)
{
	CHECK(hostpath_within("/home/alice", "/home/alice"));
	CHECK(hostpath_within("/home/alice/x", "/home/alice"));
	CHECK(!hostpath_within("/home/alicex", "/home/alice"));
	CHECK(!hostpath_within("/home/alice", "/home/al"));
	CHECK(hostpath_within("/etc", "/"));
	CHECK(!hostpath_within("/home", "/home/alice"));
}

static void
test_hostpath_resolve_symlinks(void)
{
	char dir[] = "/tmp/lockset-hp-XXXXXX", p[256], out[HOSTPATH_MAX];

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(p, sizeof(p), "%s/etc-link", dir);
	CHECK_INT_EQ(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/etc-link/docker/x", dir);
	CHECK_INT_EQ(hostpath_resolve(p, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "/etc/docker/x");
	/* Physical "..": etc-link/.. is "/", not dir. */
	snprintf(p, sizeof(p), "%s/etc-link/../root", dir);
	CHECK_INT_EQ(hostpath_resolve(p, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "/root");
	snprintf(p, sizeof(p), "%s/dangling", dir);
	CHECK_INT_EQ(symlink("/nonexistent-lockset/deep", p), 0);
	CHECK_INT_EQ(hostpath_resolve(p, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "/nonexistent-lockset/deep");
	snprintf(p, sizeof(p), "%s/loop", dir);
	CHECK_INT_EQ(symlink("loop", p), 0);
	CHECK_INT_EQ(hostpath_resolve(p, out, sizeof(out)), -1);
	CHECK_STR_EQ(out, p);
	unlink(p);
	snprintf(p, sizeof(p), "%s/dangling", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc-link", dir);
	unlink(p);
	rmdir(dir);
}

/* Who may change where a path leads. Ownership is what is tested: as
 * another user than root the directories are that user's, and not held. */
static void
test_hostpath_resolve_held(void)
{
	char dir[] = "/tmp/lockset-held-XXXXXX", p[256], why[HOSTPATH_MAX + 64], out[HOSTPATH_MAX];
	int held;
	static const struct {
		const char *name;
		mode_t mode;
		uid_t owner;
	} dirs[] = {{"open", 0777, 0},    {"grp", 0770, 0},         {"user", 0755, 65534},
	            {"sticky", 01777, 0}, {"open/x", 0755, 0},      {"grp/x", 0755, 0},
	            {"user/x", 0755, 0},  {"sticky/root", 0755, 0}, {"sticky/other", 0755, 65534},
	            {"held", 0755, 0},    {"held/x", 0755, 0}};
	static const struct {
		const char *path; /* below dir */
		int held;
		const char *why;
	} cases[] = {
	    {"/held/x", 1, ""},
	    {"/held/missing/deeper", 1, ""}, /* made by the engine, as root */
	    {"/open/x", 0, "open is writable by anyone"},
	    {"/open/missing", 0, "open is writable by anyone"},
	    {"/grp/x", 0, "grp is writable by its group"},
	    {"/user/x", 0, "user belongs to uid 65534"},
	    {"/sticky/root", 1, ""},
	    {"/sticky/other", 0, "sticky is writable by anyone"},
	    {"/sticky/missing", 0, "sticky is writable by anyone"},
	    {"/link-to-open/z", 0, "open is writable by anyone"}, /* through the link */
	    {"/held/../open/x", 0, "open is writable by anyone"},
	};
	size_t i;

	if (geteuid() != 0) {
		printf("# test_hostpath_resolve_held: skipped, ownership needs root\n");
		return;
	}
	if (mkdtemp(dir) == NULL)
		return;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, dirs[i].name);
		CHECK_INT_EQ(mkdir(p, 0700), 0);
		CHECK_INT_EQ(chmod(p, dirs[i].mode), 0);
		CHECK_INT_EQ(chown(p, dirs[i].owner, 0), 0);
	}
	snprintf(p, sizeof(p), "%s/link-to-open", dir);
	CHECK_INT_EQ(symlink("open", p), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", dir, cases[i].path);
		held = 1;
		why[0] = '\0';
		CHECK_INT_EQ(hostpath_resolve_held(p, out, sizeof(out), &held, why, sizeof(why)),
		             0);
		CHECK_INT_EQ(held, cases[i].held);
		CHECK(strstr(why, cases[i].why) != NULL);
	}
	/* The same walk resolves as hostpath_resolve does. */
	snprintf(p, sizeof(p), "%s/link-to-open/z", dir);
	CHECK_INT_EQ(hostpath_resolve_held(p, out, sizeof(out), &held, why, sizeof(why)), 0);
	snprintf(p, sizeof(p), "%s/open/z", dir);
	CHECK_STR_EQ(out, p);
	snprintf(p, sizeof(p), "%s/loop", dir);
	CHECK_INT_EQ(symlink("loop", p), 0);
	CHECK_INT_EQ(hostpath_resolve_held(p, out, sizeof(out), &held, why, sizeof(why)), -1);
	unlink(p);
	snprintf(p, sizeof(p), "%s/link-to-open", dir);
	unlink(p);
	for (i = sizeof(dirs) / sizeof(dirs[0]); i-- > 0;) {
		snprintf(p, sizeof(p), "%s/%s", dir, dirs[i].name);
		rmdir(p);
	}
	rmdir(dir);
}

static void
test_imageref_normalisation(void)
{
	struct imageref r;

	CHECK_INT_EQ(imageref_parse("alpine", &r), 0);
	CHECK_STR_EQ(r.name, "docker.io/library/alpine");
	CHECK_STR_EQ(r.tag, "latest");
	CHECK_INT_EQ(imageref_parse("docker:cli", &r), 0);
	CHECK_STR_EQ(r.name, "docker.io/library/docker");
	CHECK_STR_EQ(r.tag, "cli");
	CHECK_INT_EQ(imageref_parse("index.docker.io/testcontainers/ryuk:0.8", &r), 0);
	CHECK_STR_EQ(r.name, "docker.io/testcontainers/ryuk");
	CHECK_INT_EQ(imageref_parse("registry-1.docker.io/alpine", &r), 0);
	CHECK_STR_EQ(r.name, "docker.io/library/alpine");
	CHECK_INT_EQ(imageref_parse("localhost:5000/x", &r), 0);
	CHECK_STR_EQ(r.registry, "localhost:5000");
	CHECK_STR_EQ(r.name, "localhost:5000/x");
	CHECK_INT_EQ(imageref_parse("ghcr.io/o/a@sha256:abc", &r), 0);
	CHECK_STR_EQ(r.digest, "sha256:abc");
	CHECK_STR_EQ(r.tag, "");
	CHECK_INT_EQ(imageref_parse("", &r), -1);
	CHECK_INT_EQ(imageref_parse("a b", &r), -1);
}

/* dockerd's RepoTagReference: a tag replaces the one repo carries. */
static void
test_imageref_repo_tag_replaces_repo_tag(void)
{
	struct imageref r;

	CHECK_INT_EQ(imageref_repo_tag("docker/socket-proxy:x", "1.0", &r), 0);
	CHECK_STR_EQ(r.name, "docker.io/docker/socket-proxy");
	CHECK_STR_EQ(r.tag, "1.0");
	CHECK_INT_EQ(imageref_repo_tag("docker:cli", "", &r), 0);
	CHECK_STR_EQ(r.tag, "cli");
	CHECK_INT_EQ(imageref_repo_tag("localhost:5000/a", "", &r), 0);
	CHECK_STR_EQ(r.name, "localhost:5000/a");
	CHECK_STR_EQ(r.tag, "latest");
	CHECK_INT_EQ(imageref_repo_tag("docker@sha256:abc", "cli", &r), -1);
	CHECK_INT_EQ(imageref_repo_tag("docker@sha256:abc", "", &r), -1);
	CHECK_INT_EQ(imageref_repo_tag("docker", "cli/x", &r), -1);
	CHECK_INT_EQ(imageref_repo_tag("docker", ".cli", &r), -1);
	CHECK_INT_EQ(imageref_repo_tag("", "cli", &r), -1);
	CHECK(imageref_tag_valid("_1.0-rc"));
	CHECK(!imageref_tag_valid("-1"));
	CHECK(!imageref_tag_valid(""));
}

static void
test_imageref_patterns(void)
{
	struct imageref_pattern p;
	struct imageref r;

	imageref_pattern_parse("docker.io/testcontainers/ryuk:*", &p);
	imageref_parse("testcontainers/ryuk:0.8.1", &r);
	CHECK(imageref_pattern_match(&p, &r));
	imageref_parse("ghcr.io/testcontainers/ryuk:0.8.1", &r);
	CHECK(!imageref_pattern_match(&p, &r));
	imageref_pattern_parse("alpine", &p);
	imageref_parse("docker.io/library/alpine:latest", &r);
	CHECK(imageref_pattern_match(&p, &r));
	imageref_parse("alpine:3.20", &r);
	CHECK(!imageref_pattern_match(&p, &r));
	imageref_pattern_parse("*", &p);
	CHECK(imageref_pattern_match(&p, &r));
	imageref_pattern_parse("x@sha256:1", &p);
	imageref_parse("x@sha256:1", &r);
	CHECK(imageref_pattern_match(&p, &r));
	imageref_parse("x@sha256:2", &r);
	CHECK(!imageref_pattern_match(&p, &r));
}

/* A policy's share is resolved only through links only root could have
 * put there: from a directory another user owns, the rest is as written,
 * so its owner cannot point the share at "/". */
static void
test_hostpath_resolve_trusted(void)
{
	char dir[] = "/tmp/lockset-trusted-XXXXXX", p[256], t[256], out[HOSTPATH_MAX];

	if (geteuid() != 0) {
		printf("# test_hostpath_resolve_trusted: skipped, ownership needs root\n");
		return;
	}
	if (mkdtemp(dir) == NULL)
		return;
	CHECK_INT_EQ(chmod(dir, 0755), 0);
	/* dir/user is uid 65534's, with projects -> / in it; dir/home -> user
	 * is root's link. */
	snprintf(p, sizeof(p), "%s/user", dir);
	CHECK_INT_EQ(mkdir(p, 0755), 0);
	CHECK_INT_EQ(chown(p, 65534, 65534), 0);
	snprintf(p, sizeof(p), "%s/user/projects", dir);
	CHECK_INT_EQ(symlink("/", p), 0);
	snprintf(p, sizeof(p), "%s/home", dir);
	CHECK_INT_EQ(symlink("user", p), 0);
	/* Every link followed: "/". Only root's: the link in the user's
	 * directory is taken as written. */
	snprintf(p, sizeof(p), "%s/home/projects", dir);
	CHECK_INT_EQ(hostpath_resolve(p, out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "/");
	CHECK_INT_EQ(hostpath_resolve_trusted(p, out, sizeof(out)), 0);
	snprintf(t, sizeof(t), "%s/user/projects", dir);
	CHECK_STR_EQ(out, t);
	snprintf(p, sizeof(p), "%s/home/projects/../x", dir);
	CHECK_INT_EQ(hostpath_resolve_trusted(p, out, sizeof(out)), 0);
	snprintf(t, sizeof(t), "%s/user/x", dir);
	CHECK_STR_EQ(out, t);
	snprintf(p, sizeof(p), "%s/home", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/user/projects", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/user", dir);
	rmdir(p);
	rmdir(dir);
}

/* A link on procfs (/proc/<pid>/root, cwd, fd/N) leads into another
 * process's view: never resolved, wherever it is met. */
static void
test_hostpath_resolve_refuses_procfs_links(void)
{
	char dir[] = "/tmp/lockset-proc-XXXXXX", p[256], out[HOSTPATH_MAX];

	CHECK_INT_EQ(hostpath_resolve("/proc/self/root/etc", out, sizeof(out)), -1);
	CHECK_INT_EQ(hostpath_resolve("/proc/1/cwd", out, sizeof(out)), -1);
	CHECK_INT_EQ(hostpath_resolve("/dev/fd/0", out, sizeof(out)), -1);
	/* procfs itself, without its links, resolves. */
	CHECK_INT_EQ(hostpath_resolve("/proc/sys/kernel", out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "/proc/sys/kernel");
	if (mkdtemp(dir) == NULL)
		return;
	snprintf(p, sizeof(p), "%s/l", dir);
	CHECK_INT_EQ(symlink("/proc/self/root/tmp", p), 0);
	CHECK_INT_EQ(hostpath_resolve(p, out, sizeof(out)), -1);
	unlink(p);
	rmdir(dir);
}

int
main(void)
{
	RUN(test_route_version_prefix_is_optional);
	RUN(test_route_double_slash_and_dots_collapse);
	RUN(test_route_percent_escapes_are_decoded_first);
	RUN(test_route_query_is_ignored_for_routing);
	RUN(test_route_case_sensitive_methods_and_paths);
	RUN(test_route_table);
	RUN(test_route_long_uri_uses_heap);
	RUN(test_media_type_as_go_reads_it);
	RUN(test_route_unlisted_mutation_is_unknown);
	RUN(test_route_reads_are_readonly_listed_or_not);
	RUN(test_route_swarm_join_is_refused);
	RUN(test_route_image_names_keep_their_slashes);
	RUN(test_route_plugins_and_services);
	RUN(test_route_first_registered_pattern_wins);
	RUN(test_query_all_values_decoded);
	RUN(test_key_folding_like_go);
	RUN(test_reader_last_duplicate_wins_in_document_order);
	RUN(test_reader_structs_merge_slices_replace);
	RUN(test_reader_node_role_as_go_decodes_it);
	RUN(test_fact_field_names_like_snprintf);
	RUN(test_reader_strings_decode_like_go);
	RUN(test_reader_rejects_what_go_rejects);
	RUN(test_reader_caps_strslice_and_devices);
	RUN(test_hostpath_clean);
	RUN(test_hostpath_within_whole_components);
	RUN(test_hostpath_resolve_symlinks);
	RUN(test_hostpath_resolve_held);
	RUN(test_hostpath_resolve_trusted);
	RUN(test_hostpath_resolve_refuses_procfs_links);
	RUN(test_imageref_normalisation);
	RUN(test_imageref_repo_tag_replaces_repo_tag);
	RUN(test_imageref_patterns);
	return CHECK_DONE();
}

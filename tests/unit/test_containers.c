/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the container records (daemon/containers/containers.c) and what the
 * plugin's view does to them (daemon/containers/containers_watch.c), on a real SQLite
 * database in a temporary directory: lookups by id, name and prefix,
 * persistence across a reopen, forgets, the generation and in-flight rules
 * that keep a record from outliving its container, pruning, and which
 * creates are recorded. */
#include "check.h"
#include "containers/containers.h"
#include "store/db.h"
#include "util/embedded.h"

#include <sqlite3.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static void
cleanup(void)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	char p[160];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static struct db *
fresh_db(void)
{
	char *err = NULL;
	struct db *d;

	cleanup();
	d = db_open(path, NULL, &err);
	free(err);
	return d;
}

/* A full id made of one repeated hex digit, with a different first digit. */
static const char *
make_id(char first, char rest, char out[65])
{
	memset(out, rest, 64);
	out[0] = first;
	out[64] = '\0';
	return out;
}

static int
record(struct containers *c, const char *id, const char *name, const char *src, time_t created)
{
	struct containers_entry e = {0};
	int rc;

	snprintf(e.id, sizeof(e.id), "%s", id);
	e.name = name != NULL ? strdup(name) : NULL;
	e.image = strdup("alpine");
	e.origin = "create";
	e.policy_version = 7;
	e.created = created;
	if (src != NULL)
		decide_mounts_add(&e.mounts, src);
	rc = containers_record(c, &e, containers_generation(c));
	containers_entry_clear(&e);
	return rc;
}

/* The first source of the row ref finds (how), or "" / "(error)". */
static char found_src[256];
static const char *
lookup_src(struct containers *c, const char *ref, unsigned how)
{
	struct containers_entry e;
	int rc = containers_lookup(c, ref, how, &e);

	if (rc < 0)
		return "(error)";
	snprintf(found_src, sizeof(found_src), "%s",
	         rc == 1 && e.mounts.n > 0 ? e.mounts.src[0] : "");
	containers_entry_clear(&e);
	return found_src;
}

static void
test_record_then_lookup_by_id_name_and_prefix(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	struct containers_entry e;
	char a[65], b[65];

	make_id('a', '1', a);
	make_id('b', '2', b);
	CHECK_INT_EQ(record(c, a, "/web", "/srv/share/a", 0), 0);
	CHECK_INT_EQ(record(c, b, "db", "/srv/share/b", 0), 0);
	CHECK_STR_EQ(lookup_src(c, a, CONTAINERS_BY_ID), "/srv/share/a");
	CHECK_STR_EQ(lookup_src(c, "web", CONTAINERS_BY_ANY), "/srv/share/a");
	CHECK_STR_EQ(lookup_src(c, "/db", CONTAINERS_BY_ANY), "/srv/share/b");
	CHECK_STR_EQ(lookup_src(c, "b2222", CONTAINERS_BY_ANY), "/srv/share/b");
	/* Each form only when asked for. */
	CHECK_STR_EQ(lookup_src(c, "web", CONTAINERS_BY_ID), "");
	CHECK_STR_EQ(lookup_src(c, "b2222", CONTAINERS_BY_ID | CONTAINERS_BY_NAME), "");
	CHECK_STR_EQ(lookup_src(c, "c", CONTAINERS_BY_ANY), "");
	CHECK_STR_EQ(lookup_src(c, "", CONTAINERS_BY_ANY), "");
	CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), 1);
	CHECK_STR_EQ(e.id, a);
	CHECK_STR_EQ(e.name, "web");
	CHECK_STR_EQ(e.image, "alpine");
	CHECK_STR_EQ(e.origin, "create");
	CHECK_INT_EQ(e.policy_version, 7);
	containers_entry_clear(&e);
	containers_close(c);
	db_close(d);
}

static void
test_records_persist_across_reopen(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	char a[65], *err = NULL;

	make_id('a', '1', a);
	CHECK_INT_EQ(record(c, a, "web", "/srv/share/a", 0), 0);
	containers_close(c);
	db_close(d);
	d = db_open(path, NULL, &err);
	free(err);
	c = containers_open(d, NULL);
	CHECK_STR_EQ(lookup_src(c, a, CONTAINERS_BY_ID), "/srv/share/a");
	containers_close(c);
	db_close(d);
}

static void
test_prefix_must_match_one_id_only(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	char a1[65], a2[65];

	make_id('a', '1', a1);
	make_id('a', '2', a2);
	record(c, a1, "one", "/one", 0);
	record(c, a2, "two", "/two", 0);
	CHECK_STR_EQ(lookup_src(c, "a", CONTAINERS_BY_PREFIX), ""); /* ambiguous */
	CHECK_STR_EQ(lookup_src(c, "a2", CONTAINERS_BY_PREFIX), "/two");
	CHECK_STR_EQ(lookup_src(c, "A2", CONTAINERS_BY_PREFIX), "");  /* ids are lowercase */
	CHECK_STR_EQ(lookup_src(c, "a2%", CONTAINERS_BY_PREFIX), ""); /* not hex: no pattern */
	containers_close(c);
	db_close(d);
}

static void
test_name_lookup_takes_the_newest_row(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	char a[65], b[65];

	make_id('a', '1', a);
	make_id('b', '2', b);
	record(c, a, "web", "/old", 1000000000);
	record(c, b, "/web", "/new", 1000000100);
	CHECK_STR_EQ(lookup_src(c, "web", CONTAINERS_BY_NAME), "/new");
	CHECK_STR_EQ(lookup_src(c, "/web", CONTAINERS_BY_NAME), "/new");
	containers_close(c);
	db_close(d);
}

static void
test_forget_one_and_forget_all(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	char a[65], b[65];

	make_id('a', '1', a);
	make_id('b', '2', b);
	record(c, a, "a", "/a", 0);
	record(c, b, "b", "/b", 0);
	CHECK_INT_EQ(containers_forget(c, a), 0);
	CHECK_STR_EQ(lookup_src(c, a, CONTAINERS_BY_ID), "");
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "/b");
	CHECK_INT_EQ(containers_forget(c, "b"), 0); /* not a full id: nothing */
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "/b");
	CHECK_INT_EQ(containers_forget_all(c), 0);
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "");
	containers_close(c);
	db_close(d);
}

static void
test_record_refused_when_something_was_forgotten_since(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	struct containers_entry e = {0};
	unsigned long gen;
	char a[65], b[65];

	make_id('a', '1', a);
	make_id('b', '2', b);
	snprintf(e.id, sizeof(e.id), "%s", a);
	e.origin = "engine";
	decide_mounts_add(&e.mounts, "/a");
	gen = containers_generation(c);
	containers_forget(c, b); /* the engine was being asked meanwhile */
	CHECK_INT_EQ(containers_record(c, &e, gen), 1);
	CHECK_STR_EQ(lookup_src(c, a, CONTAINERS_BY_ID), "");
	CHECK_INT_EQ(containers_record(c, &e, containers_generation(c)), 0);
	CHECK_STR_EQ(lookup_src(c, a, CONTAINERS_BY_ID), "/a");
	containers_entry_clear(&e);
	containers_close(c);
	db_close(d);
}

static void
test_create_in_flight_during_a_forget_is_not_clean(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);

	/* Nothing counted: an AuthZRes from before a restart is not clean. */
	CHECK_INT_EQ(containers_create_end(c), 0);
	containers_create_begin(c);
	CHECK_INT_EQ(containers_create_end(c), 1);
	containers_create_begin(c);
	containers_create_begin(c);
	containers_forget_all(c);
	containers_create_begin(c); /* began after the forget, but overlaps */
	CHECK_INT_EQ(containers_create_end(c), 0);
	CHECK_INT_EQ(containers_create_end(c), 0);
	CHECK_INT_EQ(containers_create_end(c), 0);
	/* Drained: clean again. */
	containers_create_begin(c);
	CHECK_INT_EQ(containers_create_end(c), 1);
	containers_close(c);
	db_close(d);
}

static void
test_prune_by_age_and_by_count(void)
{
	struct containers_opts o = {10, 2};
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, &o);
	time_t now = 2000000000;
	char a[65], b[65], x[65], y[65];

	make_id('a', '1', a);
	make_id('b', '2', b);
	make_id('c', '3', x);
	make_id('d', '4', y);
	record(c, a, "a", "/a", now - 11 * 86400);
	record(c, b, "b", "/b", now - 3 * 86400);
	record(c, x, "c", "/c", now - 2 * 86400);
	record(c, y, "d", "/d", now - 1 * 86400);
	CHECK_INT_EQ(containers_prune(c, now), 2);
	CHECK_STR_EQ(lookup_src(c, a, CONTAINERS_BY_ID), ""); /* too old */
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), ""); /* over the count */
	CHECK_STR_EQ(lookup_src(c, x, CONTAINERS_BY_ID), "/c");
	CHECK_STR_EQ(lookup_src(c, y, CONTAINERS_BY_ID), "/d");
	CHECK_INT_EQ(containers_prune(c, now), 0);
	containers_close(c);
	db_close(d);
}

/* ------------------------------------------------------------------------ */
/* The plugin's view                                                        */

static int
is_recorded(struct containers *c, const char *id)
{
	struct containers_entry e;
	int rc = containers_lookup(c, id, CONTAINERS_BY_ID, &e);

	containers_entry_clear(&e);
	return rc;
}

/* One create through AuthZReq and AuthZRes, the engine's default cgroup
 * namespace as given. */
static void
create_in(struct containers *c, const char *uri, const char *body, int status, const char *id,
          enum decide_cgroupns cgroupns)
{
	char resp[128];
	struct containers_response r = {"POST", uri, body,     strlen(body), status,
	                                resp,   0,   cgroupns, NULL};

	snprintf(resp, sizeof(resp), "{\"Id\":\"%s\",\"Warnings\":[]}", id);
	r.resp_len = strlen(resp);
	CHECK_INT_EQ(containers_watch_request(c, "POST", uri), 1);
	containers_watch_response(c, &r, 3);
}

/* One create, on an engine whose default cgroup namespace is private. */
static void
create(struct containers *c, const char *uri, const char *body, int status, const char *id)
{
	create_in(c, uri, body, status, id, DECIDE_CGROUPNS_PRIVATE);
}

static void
test_watch_records_a_created_container(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	struct containers_entry e;
	char a[65], b[65], x[65];

	make_id('a', '1', a);
	make_id('b', '2', b);
	make_id('c', '3', x);
	create(c, "/v1.47/containers/create?name=web",
	       "{\"Image\":\"alpine\",\"HostConfig\":{\"Binds\":[\"/srv/share/dir:/x\"],"
	       "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/srv/share/m\",\"Target\":\"/m\"}]}}",
	       201, a);
	CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.n, 2);
	CHECK_STR_EQ(e.mounts.n == 2 ? e.mounts.src[0] : "", "/srv/share/dir");
	CHECK_STR_EQ(e.mounts.n == 2 ? e.mounts.src[1] : "", "/srv/share/m");
	CHECK_STR_EQ(e.name, "web");
	CHECK_STR_EQ(e.image, "alpine");
	CHECK_INT_EQ(e.policy_version, 3);
	containers_entry_clear(&e);
	/* VolumesFrom a recorded id: its paths are flattened in. */
	create(c, "/containers/create", "{\"Image\":\"alpine\",\"HostConfig\":{\"VolumesFrom\":[\"",
	       201, b); /* malformed body: not recorded */
	CHECK_INT_EQ(is_recorded(c, b), 0);
	{
		char body[256];
		snprintf(body, sizeof(body),
		         "{\"Image\":\"alpine\",\"HostConfig\":{\"VolumesFrom\":[\"%s:ro\"]}}", a);
		create(c, "/containers/create", body, 201, x);
	}
	CHECK_STR_EQ(lookup_src(c, x, CONTAINERS_BY_ID), "/srv/share/dir");
	containers_close(c);
	db_close(d);
}

/* Which host paths a create mounts read-write is recorded with it: a ":ro"
 * bind and a ReadOnly mount are not, nor anything a "name:ro" VolumesFrom
 * takes; a row written before 0015 (rw NULL) knows nothing of it. */
static void
test_watch_records_which_paths_are_read_write(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	struct containers_entry e;
	char a[65], b[65], x[65], body[256];
	sqlite3 *raw;

	make_id('a', '7', a);
	make_id('b', '8', b);
	make_id('c', '9', x);
	create(c, "/containers/create",
	       "{\"Image\":\"alpine\",\"HostConfig\":{\"Binds\":[\"/srv/rw:/a\",\"/srv/ro:/b:ro\"],"
	       "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/srv/m\",\"Target\":\"/m\","
	       "\"ReadOnly\":true}]}}",
	       201, a);
	CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.rw_known, 1);
	CHECK_INT_EQ(e.mounts.n, 3);
	CHECK_INT_EQ(e.mounts.nrw, 1);
	CHECK_INT_EQ(decide_mounts_rw(&e.mounts, "/srv/rw"), 1);
	CHECK_INT_EQ(decide_mounts_rw(&e.mounts, "/srv/ro"), 0);
	CHECK_INT_EQ(decide_mounts_rw(&e.mounts, "/srv/m"), 0);
	containers_entry_clear(&e);
	snprintf(body, sizeof(body),
	         "{\"Image\":\"alpine\",\"HostConfig\":{\"VolumesFrom\":[\"%s:ro\"]}}", a);
	create(c, "/containers/create", body, 201, b);
	CHECK_INT_EQ(containers_lookup(c, b, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.rw_known, 1);
	CHECK_INT_EQ(e.mounts.nrw, 0);
	containers_entry_clear(&e);
	snprintf(body, sizeof(body),
	         "{\"Image\":\"alpine\",\"HostConfig\":{\"VolumesFrom\":[\"%s\"]}}", a);
	create(c, "/containers/create", body, 201, x);
	CHECK_INT_EQ(containers_lookup(c, x, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(decide_mounts_rw(&e.mounts, "/srv/rw"), 1);
	containers_entry_clear(&e);
	CHECK_INT_EQ(sqlite3_open(path, &raw), SQLITE_OK);
	CHECK_INT_EQ(sqlite3_exec(raw, "UPDATE containers SET rw = NULL", NULL, NULL, NULL),
	             SQLITE_OK);
	CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.rw_known, 0);
	containers_entry_clear(&e);
	CHECK_INT_EQ(sqlite3_exec(raw, "UPDATE containers SET rw = '{}'", NULL, NULL, NULL),
	             SQLITE_OK);
	CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), -1);
	containers_entry_clear(&e);
	sqlite3_close(raw);
	containers_close(c);
	db_close(d);
}

/* The namespaces a create shares with the host are recorded with it: known
 * from the body, "container:" leaves that one unknown; a reopened database
 * keeps them. */
static void
test_watch_records_namespaces(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	struct containers_entry e;
	char a[65], b[65];

	make_id('d', '4', a);
	make_id('e', '5', b);
	create(
	    c, "/containers/create",
	    "{\"Image\":\"agent\",\"HostConfig\":{\"NetworkMode\":\"host\",\"PidMode\":\"host\"}}",
	    201, a);
	create(c, "/containers/create",
	       "{\"Image\":\"side\",\"HostConfig\":{\"NetworkMode\":\"container:agent\","
	       "\"IpcMode\":\"private\"}}",
	       201, b);
	containers_close(c);
	c = containers_open(d, NULL);
	CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_ALL);
	CHECK_INT_EQ(e.mounts.ns_host, DECIDE_NS_PID | DECIDE_NS_NET);
	containers_entry_clear(&e);
	/* Joined to the agent's network by name: its user namespace is the
	 * agent's, which records (by full id) cannot tell. */
	CHECK_INT_EQ(containers_lookup(c, b, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_PID | DECIDE_NS_IPC);
	CHECK_INT_EQ(e.mounts.ns_host, 0);
	containers_entry_clear(&e);
	/* By its full id the agent's record tells: its own user namespace. */
	{
		char j[65], body[512];

		make_id('c', '9', j);
		snprintf(body, sizeof(body),
		         "{\"Image\":\"x\",\"HostConfig\":{\"IpcMode\":\"container:%s\"}}", a);
		create(c, "/containers/create", body, 201, j);
		CHECK_INT_EQ(containers_lookup(c, j, CONTAINERS_BY_ID, &e), 1);
		CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_PID | DECIDE_NS_NET | DECIDE_NS_USER);
		CHECK_INT_EQ(e.mounts.ns_host, 0);
		containers_entry_clear(&e);
	}
	containers_close(c);
	db_close(d);
}

/* --userns=host is kept (0012), joined or not; a row written before 0012
 * keeps its other namespaces once migrated, its user namespace unknown. */
static void
test_watch_records_the_user_namespace(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	const struct embedded_file *m = embedded_find("sql/0012-container-userns.sql");
	struct containers_entry e;
	char a[65], b[65], j[65], body[512];
	sqlite3 *raw;

	make_id('f', '6', a);
	make_id('a', '7', b);
	make_id('b', '8', j);
	create(c, "/containers/create",
	       "{\"Image\":\"x\",\"HostConfig\":{\"UsernsMode\":\"host\"}}", 201, a);
	create(c, "/containers/create",
	       "{\"Image\":\"x\",\"HostConfig\":{\"UsernsMode\":\"host\","
	       "\"PidMode\":\"container:y\"}}",
	       201, b);
	CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_ALL);
	CHECK_INT_EQ(e.mounts.ns_host, DECIDE_NS_USER);
	containers_entry_clear(&e);
	CHECK_INT_EQ(containers_lookup(c, b, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_NET | DECIDE_NS_IPC | DECIDE_NS_USER);
	CHECK_INT_EQ(e.mounts.ns_host, DECIDE_NS_USER);
	containers_entry_clear(&e);
	/* Joined to A by its full id (compose's way): A's record says A's user
	 * namespace is the host's, so the joiner's is too. */
	snprintf(body, sizeof(body),
	         "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"container:%s\"}}", a);
	create(c, "/containers/create", body, 201, j);
	CHECK_INT_EQ(containers_lookup(c, j, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_PID | DECIDE_NS_IPC | DECIDE_NS_USER);
	CHECK_INT_EQ(e.mounts.ns_host, DECIDE_NS_USER);
	containers_entry_clear(&e);
	/* A's row as 0007 wrote it: PID and network known and the host's. */
	CHECK(m != NULL);
	CHECK_INT_EQ(sqlite3_open(path, &raw), SQLITE_OK);
	CHECK_INT_EQ(sqlite3_exec(raw, "UPDATE containers SET ns = 3 | (3 << 3)", NULL, NULL, NULL),
	             SQLITE_OK);
	CHECK_INT_EQ(sqlite3_exec(raw, m != NULL ? m->data : "", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_PID | DECIDE_NS_NET);
	CHECK_INT_EQ(e.mounts.ns_host, DECIDE_NS_PID | DECIDE_NS_NET);
	containers_entry_clear(&e);
	containers_close(c);
	db_close(d);
}

/* The flags text of id's record (malloc'd), or NULL when not known; a
 * lookup that fails is a check failure. */
static char *
flags_of(struct containers *c, const char *id)
{
	struct containers_entry e;
	char *flags = NULL;

	CHECK_INT_EQ(containers_lookup(c, id, CONTAINERS_BY_ID, &e), 1);
	if (e.mounts.flags != NULL)
		flags = strdup(e.mounts.flags);
	containers_entry_clear(&e);
	return flags;
}

/* What a create runs with is recorded with it (0013) and read back across a
 * reopen: the facts its create was judged by, field by field, and the
 * cgroup namespace the engine gave it when it named none. */
static void
test_watch_records_what_it_runs_with(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	char a[65], b[65], o[65], u[65], *f;

	make_id('a', '2', a);
	make_id('b', '3', b);
	make_id('c', '4', o);
	make_id('d', '5', u);
	create(c, "/v1.47/containers/create",
	       "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true,\"CapAdd\":[\"SYS_ADMIN\"],"
	       "\"Devices\":[{\"PathOnHost\":\"/dev/sda\"}],\"MaskedPaths\":[],"
	       "\"CgroupnsMode\":\"\"}}",
	       201, a);
	create_in(c, "/v1.47/containers/create", "{\"Image\":\"x\"}", 201, b, DECIDE_CGROUPNS_HOST);
	/* Before API 1.41 dockerd gives one that names no mode the host's. */
	create_in(c, "/v1.40/containers/create", "{\"Image\":\"x\"}", 201, o,
	          DECIDE_CGROUPNS_UNKNOWN);
	/* The engine's default not known: kept as not known. */
	create_in(c, "/v1.47/containers/create", "{\"Image\":\"x\"}", 201, u,
	          DECIDE_CGROUPNS_UNKNOWN);
	containers_close(c);
	c = containers_open(d, NULL);
	f = flags_of(c, a);
	CHECK_STR_EQ(f, "[[\"privileged\",\"HostConfig.Privileged\",\"true\"],"
	                "[\"cap-add\",\"HostConfig.CapAdd[0]\",\"SYS_ADMIN\"],"
	                "[\"device\",\"HostConfig.Devices[0]\",\"/dev/sda\"],"
	                "[\"masked-paths\",\"HostConfig.MaskedPaths\",\"[]\",[]],"
	                "[\"cgroupns\",\"HostConfig.CgroupnsMode\",\"private\"]]");
	free(f);
	f = flags_of(c, b);
	CHECK_STR_EQ(f, "[[\"cgroupns\",\"HostConfig.CgroupnsMode\",\"host\"]]");
	free(f);
	f = flags_of(c, o);
	CHECK_STR_EQ(f, "[[\"cgroupns\",\"HostConfig.CgroupnsMode\",\"host\"]]");
	free(f);
	f = flags_of(c, u);
	CHECK_STR_EQ(f, "[[\"cgroupns\",\"HostConfig.CgroupnsMode\",\"\"]]");
	free(f);
	containers_close(c);
	db_close(d);
}

/* A row written before 0013 (flags NULL) knows nothing of what its
 * container runs with; text that is not flags text makes the row malformed
 * (a miss: the engine is asked), and no such text is ever written. */
static void
test_flags_read_back_are_checked(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	static const char *const bad[] = {
	    "[[\"privileged\",\"HostConfig.Privileged\"]]",
	    "[[\"no-such-kind\",\"x\",\"y\"]]",
	    "[[\"cap-add\",\"HostConfig.CapAdd[0]\",\"X\",[\"list\"]]]",
	    "{\"privileged\":true}",
	    "[[\"privileged\",\"HostConfig.Privileged\",\"true\"]",
	};
	struct containers_entry e = {0};
	sqlite3 *raw;
	char a[65], *f;

	make_id('e', '6', a);
	create(c, "/containers/create", "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true}}",
	       201, a);
	CHECK_INT_EQ(sqlite3_open(path, &raw), SQLITE_OK);
	CHECK_INT_EQ(sqlite3_exec(raw, "UPDATE containers SET flags = NULL", NULL, NULL, NULL),
	             SQLITE_OK);
	f = flags_of(c, a);
	CHECK(f == NULL);
	free(f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sqlite3_stmt *st;

		CHECK_INT_EQ(
		    sqlite3_prepare_v2(raw, "UPDATE containers SET flags = ?1", -1, &st, NULL),
		    SQLITE_OK);
		sqlite3_bind_text(st, 1, bad[i], -1, SQLITE_STATIC);
		CHECK_INT_EQ(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), -1);
		containers_entry_clear(&e);
		CHECK_INT_EQ(decide_flags_valid(bad[i]), 0);
	}
	sqlite3_close(raw);
	/* Nor is such text written. */
	memcpy(e.id, a, 65);
	e.mounts.flags = strdup(bad[1]);
	CHECK_INT_EQ(containers_record(c, &e, containers_generation(c)), -1);
	containers_entry_clear(&e);
	containers_close(c);
	db_close(d);
}

/* The volume drivers a create's anonymous volumes come from (VolumeDriver)
 * and those of its VolumesFrom sources are recorded; a row written before
 * they were kept (drivers NULL) says they are not known. */
static void
test_watch_records_volume_drivers(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	struct containers_entry e;
	char a[65], b[65], x[65], body[256];

	make_id('d', '4', a);
	make_id('e', '5', b);
	make_id('f', '6', x);
	create(c, "/containers/create",
	       "{\"Image\":\"db\",\"Volumes\":{\"/data\":{}},"
	       "\"HostConfig\":{\"VolumeDriver\":\"local-persist\"}}",
	       201, a);
	snprintf(body, sizeof(body),
	         "{\"Image\":\"alpine\",\"HostConfig\":{\"VolumesFrom\":[\"%s\"],"
	         "\"VolumeDriver\":\"local\"}}",
	         a);
	create(c, "/containers/create", body, 201, b);
	containers_close(c);
	c = containers_open(d, NULL);
	CHECK_INT_EQ(containers_lookup(c, a, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.drivers_known, 1);
	CHECK_INT_EQ(e.mounts.ndrivers, 1);
	CHECK_STR_EQ(e.mounts.ndrivers == 1 ? e.mounts.drivers[0] : "", "local-persist");
	containers_entry_clear(&e);
	CHECK_INT_EQ(containers_lookup(c, b, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.drivers_known, 1);
	CHECK_INT_EQ(e.mounts.ndrivers, 1); /* the source's; local is not listed */
	containers_entry_clear(&e);
	/* A create naming no driver: known, none. */
	create(c, "/containers/create", "{\"Image\":\"a\"}", 201, x);
	CHECK_INT_EQ(containers_lookup(c, x, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.drivers_known, 1);
	CHECK_INT_EQ(e.mounts.ndrivers, 0);
	containers_entry_clear(&e);
	/* A row from before migration 0009. */
	{
		sqlite3 *raw;

		CHECK_INT_EQ(sqlite3_open(path, &raw), SQLITE_OK);
		CHECK_INT_EQ(
		    sqlite3_exec(raw, "UPDATE containers SET drivers = NULL", NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(raw);
	}
	CHECK_INT_EQ(containers_lookup(c, x, CONTAINERS_BY_ID, &e), 1);
	CHECK_INT_EQ(e.mounts.drivers_known, 0);
	containers_entry_clear(&e);
	containers_close(c);
	db_close(d);
}

static void
test_watch_leaves_what_it_cannot_describe_to_the_engine(void)
{
	static const char *const bodies[] = {
	    "{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[\"/s:/x\"],\"AutoRemove\":true}}",
	    "{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[\"/s:/x\"],\"autorEmove\":true}}",
	    "{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[\"myvol:/x\"]}}",
	    "{\"Image\":\"a\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"v\"}]}"
	    "}",
	    "{\"Image\":\"a\",\"HostConfig\":{\"Mounts\":[{\"Source\":\"/s\",\"Target\":\"/x\"}]}}",
	    "{\"Image\":\"a\",\"HostConfig\":{\"VolumesFrom\":[\"somename\"]}}",
	    "{\"Image\":\"a\",\"Binds\":[\"v:/x\"]}",
	};
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	char a[65];

	make_id('a', '1', a);
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		create(c, "/containers/create", bodies[i], 201, a);
		if (is_recorded(c, a) != 0) {
			CHECK(!"recorded a create it cannot describe");
			fprintf(stderr, "  body: %s\n", bodies[i]);
		}
		containers_forget_all(c);
	}
	create(c, "/containers/create", "{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[\"/s:/x\"]}}",
	       409, a);
	CHECK_INT_EQ(is_recorded(c, a), 0);
	create(c, "/containers/create", "{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[\"/s:/x\"]}}",
	       201, "not-an-id");
	CHECK_INT_EQ(is_recorded(c, a), 0);
	/* The same create, described: recorded (so the cases above test something). */
	create(c, "/containers/create", "{\"Image\":\"a\",\"HostConfig\":{\"Binds\":[\"/s:/x\"]}}",
	       201, a);
	CHECK_INT_EQ(is_recorded(c, a), 1);
	/* A create with no host path at all is recorded too: its start needs nothing. */
	containers_forget_all(c);
	create(c, "/containers/create", "{\"Image\":\"a\"}", 201, a);
	CHECK_INT_EQ(is_recorded(c, a), 1);
	CHECK_STR_EQ(lookup_src(c, a, CONTAINERS_BY_ID), "");
	containers_close(c);
	db_close(d);
}

static void
test_watch_forgets_before_dockerd_removes(void)
{
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, NULL);
	char a[65], b[65], uri[128];

	make_id('a', '1', a);
	make_id('b', '2', b);
	record(c, a, "a", "/a", 0);
	record(c, b, "b", "/b", 0);
	snprintf(uri, sizeof(uri), "/v1.47/containers/%s?force=1", a);
	CHECK_INT_EQ(containers_watch_request(c, "DELETE", uri), 0);
	CHECK_STR_EQ(lookup_src(c, a, CONTAINERS_BY_ID), "");
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "/b");
	CHECK_INT_EQ(containers_watch_request(c, "GET", "/containers/json"), 0);
	CHECK_INT_EQ(containers_watch_request(c, "DELETE", "/images/alpine"), 0);
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "/b");
	/* By name: which container that is, only dockerd knows. */
	CHECK_INT_EQ(containers_watch_request(c, "DELETE", "/containers/b"), 0);
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "");
	record(c, b, "b", "/b", 0);
	CHECK_INT_EQ(containers_watch_request(c, "POST", "/v1.47/containers/pr%75ne"), 0);
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "");
	record(c, b, "b", "/b", 0);
	CHECK_INT_EQ(containers_watch_request(c, "POST", "/containers/prune?filters=%7B%7D"), 0);
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "");
	record(c, b, "b", "/b", 0);
	CHECK_INT_EQ(containers_watch_request(c, "POST", "/v1.47/images/prune"), 0);
	CHECK_INT_EQ(containers_watch_request(c, "POST", "/v1.47/containers/b/start"), 0);
	CHECK_INT_EQ(containers_watch_request(c, "POST", "/v1.47/networks/n/disconnect"), 0);
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "/b");
	/* A connect (the container named in its body) adds endpoint options. */
	CHECK_INT_EQ(containers_watch_request(c, "POST", "/v1.47/networks/n/connect"), 0);
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "");
	record(c, b, "b", "/b", 0);
	CHECK_INT_EQ(containers_watch_request(c, "POST", "/networks/0123/connect?x=1"), 0);
	CHECK_STR_EQ(lookup_src(c, b, CONTAINERS_BY_ID), "");
	containers_close(c);
	db_close(d);
}

/* Who made a container (0014): written from a successful create's response
 * that names its caller, whether its record is written or not; not for a
 * failed create or one with no caller; read by full id only; pruned by
 * count with the records. */
static void
test_watch_records_who_made_it(void)
{
	struct containers_opts o = {0, 2};
	struct db *d = fresh_db();
	struct containers *c = containers_open(d, &o);
	const char *uri = "/v1.47/containers/create";
	const char *unrecordable = "{\"Image\":\"x\",\"HostConfig\":{\"AutoRemove\":true}}";
	char a[65], b[65], x[65], y[65], z[65], resp[128], user[64];
	struct containers_response r = {
	    "POST", uri, unrecordable, strlen(unrecordable), 201, resp, 0, DECIDE_CGROUPNS_PRIVATE,
	    "alice"};
	int found = 0;

	make_id('a', '1', a);
	make_id('b', '2', b);
	make_id('c', '3', x);
	make_id('d', '4', y);
	make_id('e', '5', z);
	snprintf(resp, sizeof(resp), "{\"Id\":\"%s\"}", a);
	r.resp_len = strlen(resp);
	CHECK_INT_EQ(containers_watch_request(c, "POST", uri), 1);
	containers_watch_response(c, &r, 3);
	CHECK_INT_EQ(is_recorded(c, a), 0); /* no record (AutoRemove) ... */
	CHECK_INT_EQ(containers_creator(c, a, user, sizeof(user)), 1); /* ... but who made it */
	CHECK_STR_EQ(user, "alice");
	CHECK_INT_EQ(containers_creator(c, "aaaa", user, sizeof(user)), 0); /* not a full id */
	CHECK_INT_EQ(containers_creator(c, a, user, 5), -1);                /* does not fit */
	/* No caller; a failed create. */
	r.user = NULL;
	snprintf(resp, sizeof(resp), "{\"Id\":\"%s\"}", b);
	r.resp_len = strlen(resp);
	containers_watch_creator(c, &r);
	CHECK_INT_EQ(containers_creator(c, b, user, sizeof(user)), 0);
	r.user = "bob";
	r.status = 500;
	containers_watch_creator(c, &r);
	CHECK_INT_EQ(containers_creator(c, b, user, sizeof(user)), 0);
	/* The proxy's own note, when the plugin writes the record. */
	r.status = 201;
	containers_watch_creator(c, &r);
	CHECK_INT_EQ(containers_creator(c, b, user, sizeof(user)), 1);
	CHECK_STR_EQ(user, "bob");
	/* Pruned by count, as the records are: two of four are left. */
	CHECK_INT_EQ(containers_set_creator(c, x, "carol"), 0);
	CHECK_INT_EQ(containers_set_creator(c, y, "dave"), 0);
	CHECK_INT_EQ(containers_set_creator(c, z, ""), -1);
	containers_prune(c, time(NULL));
	found = containers_creator(c, a, user, sizeof(user)) + containers_creator(c, b, user, 64) +
	        containers_creator(c, x, user, sizeof(user)) + containers_creator(c, y, user, 64);
	CHECK_INT_EQ(found, 2);
	containers_close(c);
	db_close(d);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lockset-test-containers-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/lockset.db", dir);
	RUN(test_record_then_lookup_by_id_name_and_prefix);
	RUN(test_records_persist_across_reopen);
	RUN(test_prefix_must_match_one_id_only);
	RUN(test_name_lookup_takes_the_newest_row);
	RUN(test_forget_one_and_forget_all);
	RUN(test_record_refused_when_something_was_forgotten_since);
	RUN(test_create_in_flight_during_a_forget_is_not_clean);
	RUN(test_prune_by_age_and_by_count);
	RUN(test_watch_records_a_created_container);
	RUN(test_watch_records_which_paths_are_read_write);
	RUN(test_watch_records_namespaces);
	RUN(test_watch_records_the_user_namespace);
	RUN(test_watch_records_volume_drivers);
	RUN(test_watch_records_what_it_runs_with);
	RUN(test_flags_read_back_are_checked);
	RUN(test_watch_leaves_what_it_cannot_describe_to_the_engine);
	RUN(test_watch_forgets_before_dockerd_removes);
	RUN(test_watch_records_who_made_it);
	cleanup();
	rmdir(dir);
	return CHECK_DONE();
}

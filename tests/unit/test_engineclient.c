/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for daemon/containers/engineclient.c against a small real HTTP server on a
 * Unix socket, run in a thread of this test: replies with Content-Length,
 * chunked and close-delimited bodies, oversized and malformed replies, a
 * server that never answers, and a container inspected with its binds,
 * mounts, local volumes and VolumesFrom (each host path once); the engine's
 * user namespaces from /info, and the checks that ask for them. */
#include "check.h"
#include "containers/engineclient.h"
#include "containers/engineinfo.h"
#include "policy/served.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* The server                                                               */

enum reply_mode {
	REPLY_CLOSE, /* write the reply, close */
	REPLY_KEEP,  /* write the reply, keep the connection until the client closes */
	REPLY_HANG,  /* never answer; wait for the client to give up */
};

struct route {
	const char *path;
	const char *raw; /* the whole reply, head and body */
	enum reply_mode mode;
};

static char dir[48], sock_path[96];
static const struct route *routes;
/* While holding, the server keeps each request it has read unanswered, and
 * counts them in held: a test can then act while a client surely waits. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int holding, held;
static int listen_fd = -1, stop_pipe[2];
static pthread_t server;
static char last_request[2048];

static void
wait_for_eof(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void
serve_one(int fd)
{
	static const char not_found[] =
	    "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
	    "Content-Length: 28\r\n\r\n{\"message\":\"No such object\"}";
	char path[512] = "";
	size_t len = 0;
	const struct route *r;
	ssize_t n;

	while (len < sizeof(last_request) - 1 && strstr(last_request, "\r\n\r\n") == NULL) {
		if ((n = read(fd, last_request + len, sizeof(last_request) - 1 - len)) <= 0)
			return;
		len += (size_t)n;
		last_request[len] = '\0';
	}
	sscanf(last_request, "GET %511s ", path);
	for (r = routes; r->path != NULL && strcmp(r->path, path) != 0; r++)
		;
	if (r->path == NULL) {
		if (write(fd, not_found, sizeof(not_found) - 1) < 0)
			return;
		return;
	}
	pthread_mutex_lock(&hold_lock);
	held++;
	pthread_cond_broadcast(&hold_cond);
	while (holding)
		pthread_cond_wait(&hold_cond, &hold_lock);
	held--;
	pthread_mutex_unlock(&hold_lock);
	if (r->mode != REPLY_HANG && write(fd, r->raw, strlen(r->raw)) < 0)
		return;
	if (r->mode != REPLY_CLOSE)
		wait_for_eof(fd);
}

static void *
server_main(void *arg)
{
	struct pollfd p[2] = {{0, POLLIN, 0}, {0, POLLIN, 0}};

	(void)arg;
	p[0].fd = listen_fd;
	p[1].fd = stop_pipe[0];
	for (;;) {
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return NULL;
		if (p[1].revents != 0)
			return NULL;
		if ((fd = accept(listen_fd, NULL, NULL)) < 0)
			continue;
		last_request[0] = '\0';
		serve_one(fd);
		close(fd);
	}
}

static void
server_start(const struct route *table)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	routes = table;
	unlink(sock_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listen_fd, 16) != 0 || pipe(stop_pipe) != 0 ||
	    pthread_create(&server, NULL, server_main, NULL) != 0) {
		perror("test server");
		exit(1);
	}
}

static void
server_hold(int on)
{
	pthread_mutex_lock(&hold_lock);
	holding = on;
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
}

/* Wait up to 10 s for the server to hold n requests. 1 when it does. */
static int
held_becomes(int n)
{
	struct timespec until;
	int ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&hold_lock);
	while (held != n && pthread_cond_timedwait(&hold_cond, &hold_lock, &until) == 0)
		;
	ok = held == n;
	pthread_mutex_unlock(&hold_lock);
	return ok;
}

static void
server_stop(void)
{
	if (write(stop_pipe[1], "x", 1) != 1)
		perror("stop");
	pthread_join(server, NULL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	close(listen_fd);
	unlink(sock_path);
}

/* ------------------------------------------------------------------------ */
/* GET                                                                      */

static int
get(const char *path, size_t max, int timeout_ms, struct engineclient_reply *r, char *err)
{
	return engineclient_get(sock_path, path, timeout_ms, max, r, err, 256);
}

static void
test_get_reads_content_length_chunked_and_close_delimited_bodies(void)
{
	static const struct route table[] = {
	    {"/cl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", REPLY_KEEP},
	    {"/chunked",
	     "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n"
	     "6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
	     REPLY_KEEP},
	    {"/close", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil eof", REPLY_CLOSE},
	    {"/empty", "HTTP/1.1 204 No Content\r\n\r\n", REPLY_KEEP},
	    {NULL, NULL, 0}};
	struct engineclient_reply r;
	char err[256];

	server_start(table);
	CHECK_INT_EQ(get("/cl", 1024, 2000, &r, err), 0);
	CHECK_INT_EQ(r.status, 200);
	CHECK_STR_EQ(r.body, "hello");
	CHECK(strstr(last_request, "GET /cl HTTP/1.1\r\n") == last_request);
	CHECK(strstr(last_request, "\r\nHost: ") != NULL);
	engineclient_reply_clear(&r);
	CHECK_INT_EQ(get("/chunked", 1024, 2000, &r, err), 0);
	CHECK_STR_EQ(r.body, "hello world");
	CHECK_INT_EQ(r.len, 11);
	engineclient_reply_clear(&r);
	CHECK_INT_EQ(get("/close", 1024, 2000, &r, err), 0);
	CHECK_STR_EQ(r.body, "until eof");
	engineclient_reply_clear(&r);
	CHECK_INT_EQ(get("/empty", 1024, 2000, &r, err), 0);
	CHECK_INT_EQ(r.status, 204);
	CHECK_INT_EQ(r.len, 0);
	engineclient_reply_clear(&r);
	CHECK_INT_EQ(get("/missing", 1024, 2000, &r, err), 0);
	CHECK_INT_EQ(r.status, 404);
	engineclient_reply_clear(&r);
	server_stop();
}

static void
test_get_refuses_oversized_and_malformed_replies(void)
{
	static const struct route table[] = {
	    {"/big", "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", REPLY_KEEP},
	    {"/bigchunks",
	     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n"
	     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	     REPLY_KEEP},
	    {"/badstatus", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", REPLY_KEEP},
	    {"/twolengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	     REPLY_KEEP},
	    {"/badchunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	     REPLY_KEEP},
	    {"/short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", REPLY_CLOSE},
	    {"/nohead", "garbage", REPLY_CLOSE},
	    {NULL, NULL, 0}};
	static const char *const paths[] = {"/big",      "/bigchunks", "/badstatus", "/twolengths",
	                                    "/badchunk", "/short",     "/nohead"};
	struct engineclient_reply r;
	char err[256];

	server_start(table);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		err[0] = '\0';
		if (get(paths[i], 1000, 2000, &r, err) != -1) {
			CHECK(!"a bad reply was accepted");
			fprintf(stderr, "  path %s\n", paths[i]);
		}
		CHECK(err[0] != '\0');
		engineclient_reply_clear(&r);
	}
	server_stop();
}

static void
test_get_gives_up_at_the_deadline_and_without_a_server(void)
{
	static const struct route table[] = {{"/hang", "", REPLY_HANG}, {NULL, NULL, 0}};
	struct engineclient_reply r;
	struct timespec t0, t1;
	char err[256];
	long ms;

	server_start(table);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT_EQ(get("/hang", 1024, 200, &r, err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 190 && ms < 5000);
	CHECK(strstr(err, "time-out") != NULL);
	server_stop();
	CHECK_INT_EQ(get("/hang", 1024, 200, &r, err), -1);
	CHECK(strstr(err, sock_path) != NULL);
}

/* ------------------------------------------------------------------------ */
/* Containers                                                               */

#define ID_WEB "1111111111111111111111111111111111111111111111111111111111111111"
#define ID_SRC "2222222222222222222222222222222222222222222222222222222222222222"

/* A chunked reply of one chunk: its size in hex, then the body. */
static char *
chunked(const char *json)
{
	char *out = NULL;

	if (asprintf(&out,
	             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	             "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
	             strlen(json), json) < 0)
		exit(1);
	return out;
}

static const char web_json[] =
    "{\"Id\":\"" ID_WEB "\",\"Name\":\"/web\",\"Image\":\"sha256:ab\","
    "\"Config\":{\"Image\":\"alpine:3\",\"Labels\":{}},"
    "\"HostConfig\":{\"Binds\":[\"/srv/a:/a:ro\",\"named:/n\"],"
    "\"VolumesFrom\":[\"src:ro\",\"gone\"],\"AutoRemove\":false},"
    "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/srv/a\",\"Destination\":\"/a\","
    "\"RW\":false},"
    "{\"Type\":\"bind\",\"Source\":\"/srv/b\",\"Destination\":\"/b\",\"RW\":true},"
    "{\"Type\":\"volume\",\"Name\":\"dev\",\"Source\":\"/var/lib/docker/volumes/dev/_data\","
    "\"Driver\":\"local\",\"RW\":true},"
    "{\"Type\":\"volume\",\"Name\":\"plain\",\"Source\":\"/var/lib/docker/volumes/plain/_data\","
    "\"Driver\":\"local\"},"
    "{\"Type\":\"volume\",\"Name\":\"nfsish\",\"Driver\":\"local\"},"
    "{\"Type\":\"volume\",\"Name\":\"etc\",\"Source\":\"/etc\",\"Driver\":\"local-persist\"},"
    "{\"Type\":\"cluster\",\"Name\":\"csi1\",\"Driver\":\"csi.example\"},"
    "{\"Type\":\"tmpfs\",\"Destination\":\"/t\"}]}";
static const char src_json[] = "{\"Id\":\"" ID_SRC "\",\"Name\":\"/src\",\"Config\":{},"
                               "\"HostConfig\":{\"Binds\":[\"/srv/src:/s\"]},\"Mounts\":["
                               "{\"Type\":\"volume\",\"Name\":\"pv\",\"Driver\":\"rexray\"},"
                               "{\"Type\":\"volume\",\"Name\":\"e2\",\"Driver\":"
                               "\"local-persist\"}]}";
static const char dev_json[] =
    "{\"Name\":\"dev\",\"Driver\":\"local\",\"Options\":{\"type\":\"none\",\"o\":\"ro,bind\","
    "\"device\":\"/srv/dev\"}}";
static const char plain_json[] = "{\"Name\":\"plain\",\"Driver\":\"local\",\"Options\":null}";
static const char nfs_json[] = "{\"Name\":\"nfsish\",\"Driver\":\"local\",\"Options\":{\"type\":"
                               "\"nfs\",\"o\":\"addr=1.2.3.4\","
                               "\"device\":\":/export\"}}";

static void
test_container_mounts_from_inspect_volumes_and_volumes_from(void)
{
	char *web = chunked(web_json), *src = chunked(src_json), *dev = chunked(dev_json);
	char *plain = chunked(plain_json), *nfs = chunked(nfs_json);
	const struct route table[] = {
	    {"/containers/web/json", web, REPLY_CLOSE}, {"/containers/src/json", src, REPLY_CLOSE},
	    {"/volumes/dev", dev, REPLY_CLOSE},         {"/volumes/plain", plain, REPLY_CLOSE},
	    {"/volumes/nfsish", nfs, REPLY_CLOSE},      {NULL, NULL, 0}};
	static const char *const want[] = {"/srv/a", "/srv/b", "/srv/dev", "/srv/src"};
	static const char *const want_drivers[] = {"local-persist", "csi.example", "rexray"};
	struct containers_entry e;
	char err[256] = "";
	int cacheable = -1;

	server_start(table);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "/web", &e, &cacheable, err, 256), 1);
	CHECK_STR_EQ(e.id, ID_WEB);
	CHECK_STR_EQ(e.name, "web");
	CHECK_STR_EQ(e.image, "alpine:3");
	CHECK_STR_EQ(e.origin, "engine");
	CHECK_INT_EQ(cacheable, 0); /* its nfs volume's options are not kept in a record */
	CHECK_INT_EQ(e.mounts.nvols, 1);
	CHECK_STR_EQ(e.mounts.nvols == 1 ? e.mounts.vols[0].type : "", "nfs");
	CHECK_STR_EQ(e.mounts.nvols == 1 ? e.mounts.vols[0].device : "", ":/export");
	CHECK_INT_EQ(e.mounts.n, 4);
	for (size_t i = 0; i < 4 && i < e.mounts.n; i++)
		CHECK_STR_EQ(e.mounts.src[i], want[i]);
	CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_ALL); /* no mode: none shared */
	CHECK_INT_EQ(e.mounts.ns_host, 0);
	/* Read-write as its Mounts say (RW), a local bind volume's device too;
	 * a VolumesFrom source's own say nothing of this one's. */
	CHECK_INT_EQ(e.mounts.rw_known, 1);
	CHECK_INT_EQ(e.mounts.nrw, 2);
	CHECK_INT_EQ(decide_mounts_rw(&e.mounts, "/srv/b"), 1);
	CHECK_INT_EQ(decide_mounts_rw(&e.mounts, "/srv/dev"), 1);
	CHECK_INT_EQ(decide_mounts_rw(&e.mounts, "/srv/a"), 0);
	CHECK_INT_EQ(decide_mounts_rw(&e.mounts, "/srv/src"), 0);
	/* A plugin's volume is not asked about (no route): its driver is kept,
	 * the source's too, each once. */
	CHECK_INT_EQ(e.mounts.drivers_known, 1);
	CHECK_INT_EQ(e.mounts.ndrivers, 3);
	for (size_t i = 0; i < 3 && i < e.mounts.ndrivers; i++)
		CHECK_STR_EQ(e.mounts.drivers[i], want_drivers[i]);
	containers_entry_clear(&e);
	server_stop();
	free(web);
	free(src);
	free(dev);
	free(plain);
	free(nfs);
}

/* The namespaces a container shares with the host, from its inspect: "host"
 * directly, or through another container's namespace, looked up in turn;
 * one whose other container cannot be looked up is not known. */
static void
test_container_namespaces_from_inspect(void)
{
	char *agent = chunked("{\"Id\":\"" ID_WEB "\",\"Name\":\"/agent\",\"Config\":{},"
	                      "\"HostConfig\":{\"NetworkMode\":\"host\",\"PidMode\":\"host\","
	                      "\"IpcMode\":\"private\",\"UsernsMode\":\"host\"},\"Mounts\":[]}");
	char *side = chunked("{\"Id\":\"" ID_SRC "\",\"Name\":\"/side\",\"Config\":{},"
	                     "\"HostConfig\":{\"NetworkMode\":\"container:" ID_WEB "\","
	                     "\"PidMode\":\"container:gone\",\"IpcMode\":\"container:agent\"},"
	                     "\"Mounts\":[]}");
	const struct route table[] = {{"/containers/agent/json", agent, REPLY_CLOSE},
	                              {"/containers/" ID_WEB "/json", agent, REPLY_CLOSE},
	                              {"/containers/side/json", side, REPLY_CLOSE},
	                              {NULL, NULL, 0}};
	struct containers_entry e;
	char err[256] = "";
	int cacheable = -1;

	server_start(table);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "agent", &e, &cacheable, err, 256), 1);
	CHECK_INT_EQ(cacheable, 1); /* nothing a record cannot keep */
	CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_ALL);
	CHECK_INT_EQ(e.mounts.ns_host, DECIDE_NS_PID | DECIDE_NS_NET | DECIDE_NS_USER);
	containers_entry_clear(&e);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "side", &e, &cacheable, err, 256), 1);
	/* network: the agent's, the host's; IPC: the agent's, private; PID: gone.
	 * User: the agent's, the host's, for certain (whatever "gone" was). */
	CHECK_INT_EQ(e.mounts.ns_known, DECIDE_NS_NET | DECIDE_NS_IPC | DECIDE_NS_USER);
	CHECK_INT_EQ(e.mounts.ns_host, DECIDE_NS_NET | DECIDE_NS_USER);
	containers_entry_clear(&e);
	server_stop();
	free(agent);
	free(side);
}

/* What a container runs with, from its inspect: its HostConfig and its
 * endpoints' sysctls, read as a create's; the runtime, logging driver and
 * system paths dockerd filled in are left out when they are the engine's
 * defaults (/info, its version's paths), and kept (judged as named) when
 * /info does not answer. */
static void
test_container_flags_from_inspect(void)
{
	char *priv = chunked(
	    "{\"Id\":\"" ID_WEB "\",\"Name\":\"/priv\",\"Config\":{},"
	    "\"HostConfig\":{\"Privileged\":true,\"PidMode\":\"host\",\"CapAdd\":[\"SYS_ADMIN\"],"
	    "\"CgroupnsMode\":\"\",\"Runtime\":\"runc\",\"LogConfig\":{\"Type\":\"json-file\","
	    "\"Config\":{}}},\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"DriverOpts\":"
	    "{\"com.docker.network.endpoint.sysctls\":\"net.ipv4.conf.IFNAME.forwarding=1\"}}}},"
	    "\"Mounts\":[]}");
	/* An ordinary container on Docker 20.10: its defaults, filled in. */
	char *plain = chunked(
	    "{\"Id\":\"" ID_SRC "\",\"Name\":\"/plain\",\"Config\":{},"
	    "\"HostConfig\":{\"NetworkMode\":\"default\",\"CgroupnsMode\":\"private\","
	    "\"Runtime\":\"runc\",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{}},"
	    "\"MaskedPaths\":[\"/proc/asound\",\"/proc/acpi\",\"/proc/kcore\",\"/proc/keys\","
	    "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\","
	    "\"/proc/sched_debug\",\"/proc/scsi\",\"/sys/firmware\"],\"ReadonlyPaths\":"
	    "[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]},"
	    "\"Mounts\":[]}");
	/* systempaths=unconfined: empty lists, judged. */
	char *open = chunked("{\"Id\":\"" ID_SRC "\",\"Name\":\"/open\",\"Config\":{},"
	                     "\"HostConfig\":{\"CgroupnsMode\":\"private\",\"MaskedPaths\":[],"
	                     "\"ReadonlyPaths\":[]},\"Mounts\":[]}");
	char *info =
	    chunked("{\"ID\":\"x\",\"DefaultRuntime\":\"runc\","
	            "\"LoggingDriver\":\"json-file\",\"ServerVersion\":\"20.10.24+dfsg1\"}");
	char *info28 = chunked("{\"ID\":\"x\",\"DefaultRuntime\":\"runc\","
	                       "\"LoggingDriver\":\"json-file\",\"ServerVersion\":\"28.2.2\"}");
	const struct route with_info[] = {{"/containers/priv/json", priv, REPLY_CLOSE},
	                                  {"/containers/plain/json", plain, REPLY_CLOSE},
	                                  {"/containers/open/json", open, REPLY_CLOSE},
	                                  {"/info", info, REPLY_CLOSE},
	                                  {NULL, NULL, 0}};
	const struct route newer[] = {{"/containers/plain/json", plain, REPLY_CLOSE},
	                              {"/info", info28, REPLY_CLOSE},
	                              {NULL, NULL, 0}};
	const struct route without_info[] = {{"/containers/priv/json", priv, REPLY_CLOSE},
	                                     {"/containers/plain/json", plain, REPLY_CLOSE},
	                                     {NULL, NULL, 0}};
	struct containers_entry e;
	char err[256] = "";
	int cacheable = -1;

	server_start(with_info);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "priv", &e, &cacheable, err, 256), 1);
	CHECK_STR_EQ(e.mounts.flags,
	             "[[\"privileged\",\"HostConfig.Privileged\",\"true\"],"
	             "[\"pid\",\"HostConfig.PidMode\",\"host\"],"
	             "[\"cap-add\",\"HostConfig.CapAdd[0]\",\"SYS_ADMIN\"],"
	             "[\"sysctl\",\"NetworkingConfig.EndpointsConfig.bridge.DriverOpts\","
	             "\"net.ipv4.conf.IFNAME.forwarding\"],"
	             "[\"cgroupns\",\"HostConfig.CgroupnsMode\",\"host\"]]");
	containers_entry_clear(&e);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "plain", &e, &cacheable, err, 256), 1);
	CHECK_STR_EQ(e.mounts.flags, "[[\"network\",\"HostConfig.NetworkMode\",\"default\"],"
	                             "[\"cgroupns\",\"HostConfig.CgroupnsMode\",\"private\"]]");
	containers_entry_clear(&e);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "open", &e, &cacheable, err, 256), 1);
	CHECK(e.mounts.flags != NULL && strstr(e.mounts.flags, "[\"masked-paths\",") != NULL &&
	      strstr(e.mounts.flags, "[\"readonly-paths\",") != NULL);
	containers_entry_clear(&e);
	server_stop();
	server_start(newer);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "plain", &e, &cacheable, err, 256), 1);
	CHECK(e.mounts.flags != NULL && strstr(e.mounts.flags, "[\"masked-paths\",") != NULL &&
	      strstr(e.mounts.flags, "[\"readonly-paths\",") == NULL);
	containers_entry_clear(&e);
	server_stop();
	server_start(without_info);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "priv", &e, &cacheable, err, 256), 1);
	CHECK(e.mounts.flags != NULL && strstr(e.mounts.flags, "[\"runtime\",") != NULL &&
	      strstr(e.mounts.flags, "[\"log-driver\",") != NULL);
	containers_entry_clear(&e);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "plain", &e, &cacheable, err, 256), 1);
	CHECK(e.mounts.flags != NULL && strstr(e.mounts.flags, "[\"masked-paths\",") != NULL);
	containers_entry_clear(&e);
	server_stop();
	free(priv);
	free(plain);
	free(open);
	free(info);
	free(info28);
}

/* The container an exec runs in: its ContainerID, when the engine answers
 * for exactly that exec. */
static void
test_exec_names_its_container(void)
{
	char *exec = chunked("{\"ID\":\"" ID_SRC "\",\"ContainerID\":\"" ID_WEB "\"}");
	char *other = chunked("{\"ID\":\"" ID_WEB "\",\"ContainerID\":\"" ID_WEB "\"}");
	const struct route table[] = {{"/exec/" ID_SRC "/json", exec, REPLY_CLOSE},
	                              {"/exec/abc/json", other, REPLY_CLOSE},
	                              {NULL, NULL, 0}};
	char container[65] = "", err[256] = "";

	server_start(table);
	CHECK_INT_EQ(engineclient_exec(sock_path, 2000, ID_SRC, container, sizeof(container), err,
	                               sizeof(err)),
	             1);
	CHECK_STR_EQ(container, ID_WEB);
	CHECK_INT_EQ(engineclient_exec(sock_path, 2000, "abc", container, sizeof(container), err,
	                               sizeof(err)),
	             0); /* another exec's answer */
	CHECK_INT_EQ(engineclient_exec(sock_path, 2000, "/abc", container, sizeof(container), err,
	                               sizeof(err)),
	             0); /* not an id */
	CHECK_INT_EQ(engineclient_exec(sock_path, 2000, "nothere", container, sizeof(container),
	                               err, sizeof(err)),
	             0);
	server_stop();
	free(exec);
	free(other);
}

static void
test_container_unknown_when_it_cannot_be_described(void)
{
	char *web = chunked(web_json), *src = chunked(src_json);
	char *auto_rm = chunked("{\"Id\":\"" ID_SRC "\",\"Name\":\"/x\",\"Config\":{},"
	                        "\"HostConfig\":{\"AutoRemove\":true},\"Mounts\":[]}");
	char *task =
	    chunked("{\"Id\":\"" ID_SRC "\",\"Name\":\"/t\",\"Config\":{\"Labels\":"
	            "{\"com.docker.swarm.task.id\":\"q\"}},\"HostConfig\":{},\"Mounts\":[]}");
	char *noid = chunked("{\"Name\":\"/x\",\"HostConfig\":{}}");
	const struct route table[] = {{"/containers/web/json", web, REPLY_CLOSE}, /* volumes 404 */
	                              {"/containers/src/json", src, REPLY_CLOSE},
	                              {"/containers/rm/json", auto_rm, REPLY_CLOSE},
	                              {"/containers/task/json", task, REPLY_CLOSE},
	                              {"/containers/noid/json", noid, REPLY_CLOSE},
	                              {NULL, NULL, 0}};
	struct containers_entry e;
	char err[256];
	int cacheable;

	server_start(table);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "web", &e, &cacheable, err, 256), 0);
	CHECK(strstr(err, "/volumes/dev") != NULL);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "nope", &e, &cacheable, err, 256), 0);
	CHECK(strstr(err, "404") != NULL);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "noid", &e, &cacheable, err, 256), 0);
	last_request[0] = '\0';
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "a/../b", &e, &cacheable, err, 256),
	             0);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "a b", &e, &cacheable, err, 256), 0);
	CHECK_STR_EQ(last_request, ""); /* never asked */
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "rm", &e, &cacheable, err, 256), 1);
	CHECK_INT_EQ(cacheable, 0);
	containers_entry_clear(&e);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "task", &e, &cacheable, err, 256), 1);
	CHECK_INT_EQ(cacheable, 0);
	containers_entry_clear(&e);
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "src", &e, &cacheable, err, 256), 1);
	CHECK_INT_EQ(cacheable, 1);
	containers_entry_clear(&e);
	server_stop();
	CHECK_INT_EQ(engineclient_container(sock_path, 2000, "src", &e, &cacheable, err, 256), 0);
	free(web);
	free(src);
	free(auto_rm);
	free(task);
	free(noid);
}

/* A volume's driver: 1 with it (and a local volume's options), 2 when the
 * engine has no such volume (404), 0 for any other answer and for a name
 * that cannot be a volume's (never asked). */
static void
test_volume_driver_absent_and_unknown(void)
{
	char *plug = chunked("{\"Name\":\"etc\",\"Driver\":\"local-persist\","
	                     "\"Mountpoint\":\"/etc\",\"Options\":{\"device\":\"/x\"}}");
	char *local = chunked("{\"Name\":\"old\",\"Driver\":\"local\",\"Options\":{\"type\":"
	                      "\"none\",\"o\":\"bind\",\"device\":\"/etc\"}}");
	char *plain = chunked("{\"Name\":\"data\",\"Driver\":\"local\",\"Options\":null}");
	char *nodrv = chunked("{\"Name\":\"odd\"}");
	char *longdrv, *json, big[400];
	const struct route *r;
	struct decide_volume v;
	char err[256];

	memset(big, 'd', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	if (asprintf(&json, "{\"Name\":\"long\",\"Driver\":\"%s\"}", big) < 0)
		exit(1);
	longdrv = chunked(json);
	free(json);
	{
		const struct route table[] = {{"/volumes/etc", plug, REPLY_CLOSE},
		                              {"/volumes/old", local, REPLY_CLOSE},
		                              {"/volumes/data", plain, REPLY_CLOSE},
		                              {"/volumes/odd", nodrv, REPLY_CLOSE},
		                              {"/volumes/long", longdrv, REPLY_CLOSE},
		                              {"/volumes/err",
		                               "HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\n{}",
		                               REPLY_CLOSE},
		                              {NULL, NULL, 0}};

		r = table;
		server_start(r);
		CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "etc", &v, err, 256), 1);
		CHECK_STR_EQ(v.driver, "local-persist");
		CHECK(v.opts.device == NULL); /* a plugin's options are its own */
		decide_volume_clear(&v);
		CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "old", &v, err, 256), 1);
		CHECK_STR_EQ(v.driver, "local");
		CHECK_STR_EQ(v.opts.type ? v.opts.type : "", "none");
		CHECK_STR_EQ(v.opts.o ? v.opts.o : "", "bind");
		CHECK_STR_EQ(v.opts.device ? v.opts.device : "", "/etc");
		CHECK_STR_EQ(v.opts.name ? v.opts.name : "", "old");
		decide_volume_clear(&v);
		CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "data", &v, err, 256), 1);
		CHECK(v.opts.type == NULL && v.opts.o == NULL && v.opts.device == NULL);
		decide_volume_clear(&v);
		CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "fresh", &v, err, 256), 2);
		CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "odd", &v, err, 256), 0);
		CHECK(strstr(err, "no Driver") != NULL);
		CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "long", &v, err, 256), 0);
		CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "err", &v, err, 256), 0);
		CHECK(strstr(err, "500") != NULL);
		last_request[0] = '\0';
		CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "a/../b", &v, err, 256), 0);
		CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "/etc", &v, err, 256), 0);
		CHECK_STR_EQ(last_request, ""); /* never asked */
		server_stop();
	}
	CHECK_INT_EQ(engineclient_volume(sock_path, 2000, "etc", &v, err, 256), 0);
	free(plug);
	free(local);
	free(plain);
	free(nodrv);
	free(longdrv);
}

/* A network's driver, when the engine found it by the exact name or id
 * asked: one found by an id prefix is unknown (Swarm may resolve a prefix
 * to another network), and so is one that does not exist. */
static void
test_network_driver_exact_only(void)
{
	char *byname = chunked("{\"Name\":\"backend\",\"Id\":\"5e1f00\",\"Driver\":\"overlay\"}");
	char *host = chunked("{\"Name\":\"host\",\"Id\":\"9f8e7d\",\"Driver\":\"host\"}");
	const struct route table[] = {{"/networks/backend", byname, REPLY_CLOSE},
	                              {"/networks/9f8e7d", host, REPLY_CLOSE},
	                              {"/networks/9f", host, REPLY_CLOSE},
	                              {NULL, NULL, 0}};
	char drv[64] = "", err[256];

	server_start(table);
	CHECK_INT_EQ(engineclient_network(sock_path, 2000, "backend", drv, sizeof(drv), err, 256),
	             1);
	CHECK_STR_EQ(drv, "overlay");
	CHECK_INT_EQ(engineclient_network(sock_path, 2000, "9f8e7d", drv, sizeof(drv), err, 256),
	             1);
	CHECK_STR_EQ(drv, "host");
	CHECK_INT_EQ(engineclient_network(sock_path, 2000, "9f", drv, sizeof(drv), err, 256), 0);
	CHECK(strstr(err, "prefix") != NULL);
	CHECK_INT_EQ(engineclient_network(sock_path, 2000, "gone", drv, sizeof(drv), err, 256), 0);
	CHECK(strstr(err, "404") != NULL);
	server_stop();
	free(byname);
	free(host);
}

/* ------------------------------------------------------------------------ */
/* /info: user namespaces                                                   */

static char info_reply[2048];
static const struct route info_table[] = {{"/info", info_reply, REPLY_CLOSE}, {NULL, NULL, 0}};

static void
set_info(int status, const char *body)
{
	snprintf(info_reply, sizeof(info_reply),
	         "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	         status, strlen(body), body);
}

/* engineclient_info against an engine answering /info with status and body. */
static int
ask_info(int status, const char *body, struct engineclient_info *info, char *err, size_t errsz)
{
	int rc;

	set_info(status, body);
	server_start(info_table);
	err[0] = '\0';
	rc = engineclient_info(sock_path, 2000, info, err, errsz);
	server_stop();
	return rc;
}

static void
test_info_tells_userns_rootless_and_none(void)
{
	static const struct {
		int status;
		const char *body;
		int rc;
		enum engineclient_userns userns;
		int cgroupns_private; /* name=cgroupns: the default cgroup namespace is private */
	} cases[] = {
	    {200,
	     "{\"ID\":\"x\",\"SecurityOptions\":[\"name=seccomp,profile=default\",\"name=userns\"]"
	     "}",
	     0, ENGINECLIENT_USERNS, 0},
	    {200,
	     "{\"ID\":\"x\",\"SecurityOptions\":[\"name=seccomp,profile=default\",\"name="
	     "rootless\","
	     "\"name=cgroupns\"]}",
	     0, ENGINECLIENT_ROOTLESS, 1},
	    {200,
	     "{\"ID\":\"x\",\"SecurityOptions\":[\"name=seccomp,profile=default\",\"name="
	     "apparmor\"]}",
	     0, ENGINECLIENT_NO_USERNS, 0},
	    {200, "{\"ID\":\"x\",\"SecurityOptions\":[\"userns\"]}", 0, ENGINECLIENT_USERNS, 0},
	    {200, "{\"Name\":\"host\",\"SecurityOptions\":null}", 0, ENGINECLIENT_NO_USERNS, 0},
	    /* Look-alikes are not user namespaces, nor a private cgroup namespace. */
	    {200, "{\"ID\":\"x\",\"SecurityOptions\":[\"name=usernsx\",\"name=seccomp,userns\"]}",
	     0, ENGINECLIENT_NO_USERNS, 0},
	    {200,
	     "{\"ID\":\"x\",\"SecurityOptions\":[\"name=cgroupnsx\",\"name=seccomp,cgroupns\"]}", 0,
	     ENGINECLIENT_NO_USERNS, 0},
	    {200, "{\"ID\":\"x\",\"SecurityOptions\":[\"name=cgroupns\"]}", 0,
	     ENGINECLIENT_NO_USERNS, 1},
	    {200, "{\"ID\":\"x\",\"SecurityOptions\":\"name=userns\"}", -1, 0, 0},
	    {200, "{\"ID\":\"x\",\"SecurityOptions\":[1]}", -1, 0, 0},
	    {200, "{\"SecurityOptions\":[\"name=userns\"]}", -1, 0, 0},
	    {200, "[\"name=userns\"]", -1, 0, 0},
	    {500, "{\"message\":\"boom\"}", -1, 0, 0},
	};
	struct engineclient_info info;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT_EQ(ask_info(cases[i].status, cases[i].body, &info, err, sizeof(err)),
		             cases[i].rc);
		if (cases[i].rc == 0) {
			CHECK_INT_EQ(info.userns, cases[i].userns);
			CHECK_INT_EQ(info.cgroupns_private, cases[i].cgroupns_private);
		} else
			CHECK(err[0] != '\0');
	}
	set_info(200,
	         "{\"ID\":\"x\",\"ServerVersion\":\"28.1\",\"SecurityOptions\":[\"name=seccomp,"
	         "profile=default\",\"name=userns\"]}");
	server_start(info_table);
	CHECK_INT_EQ(engineclient_info(sock_path, 2000, &info, err, sizeof(err)), 0);
	CHECK_STR_EQ(info.options, "name=seccomp,profile=default; name=userns");
	CHECK_STR_EQ(info.version, "28.1");
	CHECK(strstr(last_request, "GET /info HTTP/1.1\r\n") == last_request);
	server_stop();
	CHECK_INT_EQ(engineclient_info(sock_path, 2000, &info, err, sizeof(err)), -1);
}

/* /info's runtimes: the default's name, and the others than the stock runc
 * by name and path, cut to fit; a Runtimes that is not an object, or a
 * DefaultRuntime that is not a string, is not an engine's answer. */
static void
test_info_lists_runtimes_besides_runc(void)
{
	static const struct {
		const char *body;
		int rc;
		const char *deflt, *others;
	} cases[] = {
	    {"{\"ID\":\"x\",\"DefaultRuntime\":\"runc\",\"Runtimes\":{\"io.containerd.runc.v2\":"
	     "{\"path\":\"runc\"},\"runc\":{\"path\":\"runc\"}}}",
	     0, "runc", ""},
	    {"{\"ID\":\"x\",\"DefaultRuntime\":\"nvidia\",\"Runtimes\":{\"io.containerd.runtime.v1."
	     "linux\":{\"path\":\"runc\"},\"nvidia\":{\"path\":\"nvidia-container-runtime\"},"
	     "\"runc\":{\"path\":\"runc\"},\"sysbox-runc\":{\"path\":\"/usr/bin/sysbox-runc\"}}}",
	     0, "nvidia", "nvidia (nvidia-container-runtime), sysbox-runc (/usr/bin/sysbox-runc)"},
	    /* One set by runtimeType and options shows no path. */
	    {"{\"ID\":\"x\",\"Runtimes\":{\"gpu\":{}}}", 0, "", "gpu (no path given)"},
	    {"{\"ID\":\"x\",\"Runtimes\":null,\"DefaultRuntime\":null}", 0, "", ""},
	    {"{\"ID\":\"x\",\"Runtimes\":[\"nvidia\"]}", -1, NULL, NULL},
	    {"{\"ID\":\"x\",\"DefaultRuntime\":7}", -1, NULL, NULL},
	};
	struct engineclient_info info;
	char err[256], body[4096];
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT_EQ(ask_info(200, cases[i].body, &info, err, sizeof(err)), cases[i].rc);
		if (cases[i].rc == 0) {
			CHECK_STR_EQ(info.default_runtime, cases[i].deflt);
			CHECK_STR_EQ(info.runtimes, cases[i].others);
		} else
			CHECK(strstr(err, "GET /info: ") == err);
	}
	/* More than the list holds: cut with "...", never past its end. */
	len = (size_t)snprintf(body, sizeof(body), "{\"ID\":\"x\",\"Runtimes\":{");
	for (int i = 0; i < 30; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len,
		                        "%s\"runtime-%02d\":{\"path\":\"/opt/runtimes/bin/r%02d\"}",
		                        i ? "," : "", i, i);
	snprintf(body + len, sizeof(body) - len, "}}");
	set_info(200, body);
	server_start(info_table);
	CHECK_INT_EQ(engineclient_info(sock_path, 2000, &info, err, sizeof(err)), 0);
	CHECK(strncmp(info.runtimes, "runtime-00 (/opt/runtimes/bin/r00), runtime-01 ", 47) == 0);
	CHECK_INT_EQ(strlen(info.runtimes), sizeof(info.runtimes) - 1);
	CHECK_STR_EQ(info.runtimes + sizeof(info.runtimes) - 4, "...");
	server_stop();
}

static int done_calls;

static void
count_done(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&done_calls, 1, __ATOMIC_SEQ_CST);
}

/* Wait up to 5 s for the answer to become want. 1 when it did. */
static int
answer_becomes(struct engineinfo *e, enum decide_userns want)
{
	for (int i = 0; i < 500; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		if (engineinfo_userns(e) == want)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int
done_becomes(int want)
{
	for (int i = 0; i < 500 && __atomic_load_n(&done_calls, __ATOMIC_SEQ_CST) != want; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return __atomic_load_n(&done_calls, __ATOMIC_SEQ_CST) == want;
}

static void
test_engine_checks_answer_waiters_and_fail_closed(void)
{
	struct settings_env env;
	struct served_hub *hub;
	struct engineinfo *e;
	char why[1024];

	/* A hub of its own whose policy changes would re-check (none here). */
	settings_env_default(&env);
	hub = served_hub_new("/nonexistent/admin-settings.json", &env);
	CHECK(hub != NULL);
	e = engineinfo_new(hub, NULL, 0);
	/* No engine configured: unknown, nothing to wait for. */
	CHECK(e != NULL);
	CHECK_INT_EQ(engineinfo_userns(e), DECIDE_USERNS_UNKNOWN);
	CHECK_INT_EQ(engineinfo_wait(e, count_done, NULL), -1);
	CHECK_INT_EQ(engineinfo_problem(e, 0, why, sizeof(why)), 2);
	CHECK(strstr(why, "no --engine-socket") != NULL);
	engineinfo_free(e);

	set_info(200, "{\"ID\":\"x\",\"SecurityOptions\":[\"name=seccomp,profile=default\"]}");
	server_start(info_table);
	e = engineinfo_new(hub, sock_path, 2000);
	CHECK(answer_becomes(e, DECIDE_USERNS_NO));
	CHECK_INT_EQ(engineinfo_problem(e, 0, why, sizeof(why)), 1);
	CHECK(strstr(why, "\"userns-remap\": \"default\"") != NULL);
	CHECK(strstr(why, " are refused;") != NULL);
	CHECK_INT_EQ(engineinfo_problem(e, 1, why, sizeof(why)), 1);
	CHECK(strstr(why, "reported (audit mode)") != NULL);
	/* The answer is current: nothing to wait for. */
	CHECK_INT_EQ(engineinfo_wait(e, count_done, NULL), -1);
	/* The engine restarted with user namespaces: a waiter queued after the
	 * trigger is answered by the check it asked for. The server holds the
	 * check's request until both have queued: a busy machine may otherwise
	 * finish the check before the first waiter comes. */
	server_stop();
	set_info(200, "{\"ID\":\"x\",\"SecurityOptions\":[\"name=userns\"]}");
	server_hold(1);
	server_start(info_table);
	engineinfo_trigger(e);
	CHECK(held_becomes(1));
	CHECK_INT_EQ(engineinfo_wait(e, count_done, NULL), 0);
	CHECK_INT_EQ(engineinfo_wait(e, count_done, NULL), 0);
	CHECK_INT_EQ(done_calls, 0);
	server_hold(0);
	CHECK(done_becomes(2));
	CHECK_INT_EQ(engineinfo_userns(e), DECIDE_USERNS_YES);
	CHECK_INT_EQ(engineinfo_problem(e, 0, why, sizeof(why)), 0);
	/* Gone: unknown, refused; a judgement right after a failure does not
	 * ask again at once. */
	server_stop();
	engineinfo_trigger(e);
	CHECK(answer_becomes(e, DECIDE_USERNS_UNKNOWN));
	CHECK(done_becomes(2));
	CHECK_INT_EQ(engineinfo_wait(e, count_done, NULL), -1);
	CHECK_INT_EQ(engineinfo_problem(e, 0, why, sizeof(why)), 2);
	/* A waiter still queued when it stops is answered. The check the trigger
	 * starts may already be over when the waiter comes (a busy machine runs
	 * the check thread first): then it is not queued, and is answered at once. */
	engineinfo_trigger(e);
	{
		int queued = engineinfo_wait(e, count_done, NULL) == 0;

		engineinfo_stop(e);
		CHECK_INT_EQ(done_calls, queued ? 3 : 2);
	}
	engineinfo_free(e);
	served_hub_free(hub);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lockset-test-engine-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/docker.sock", dir);
	RUN(test_get_reads_content_length_chunked_and_close_delimited_bodies);
	RUN(test_get_refuses_oversized_and_malformed_replies);
	RUN(test_get_gives_up_at_the_deadline_and_without_a_server);
	RUN(test_container_mounts_from_inspect_volumes_and_volumes_from);
	RUN(test_container_namespaces_from_inspect);
	RUN(test_container_flags_from_inspect);
	RUN(test_exec_names_its_container);
	RUN(test_container_unknown_when_it_cannot_be_described);
	RUN(test_volume_driver_absent_and_unknown);
	RUN(test_network_driver_exact_only);
	RUN(test_info_tells_userns_rootless_and_none);
	RUN(test_info_lists_runtimes_besides_runc);
	RUN(test_engine_checks_answer_waiters_and_fail_closed);
	rmdir(dir);
	return CHECK_DONE();
}

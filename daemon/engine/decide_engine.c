/* SPDX-License-Identifier: Apache-2.0 */
/* What a request tells the engine to load or use beyond the container's own
 * confinement: the drivers it looks up by name (a plugin when not built in),
 * held to the policy's driver lists, the volumes it mounts by name (looked
 * up: their drivers, and a local volume's options, which may mount a file
 * system of the host's), and the runtime, cgroup parent, logging and
 * annotations the deniedFlags may deny. */
#include <net/if.h>
#include <string.h>

#include "decide_int.h"

/* A driver the engine does not have built in is a plugin, found as
 * /run/docker/plugins/NAME.sock (or a .spec or .json file in /etc/docker/plugins
 * or /usr/lib/docker/plugins) with the name joined unchecked: a ".." in it
 * makes dockerd load any socket on the host as a volume or network plugin,
 * which mounts the host's root or hands over a host interface. Any name
 * with a ".." component is refused; what the plugin directories hold is
 * root's to install. */
static void
judge_driver_name(struct ctx *c, const char *field, const char *flag, const char *name)
{
	const char *p = name;

	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			decide_violate(
			    c, "driver-name", field, name, flag,
			    "driver %.200s climbs out of the engine's plugin directories "
			    "(\"..\"): dockerd would load whatever socket it names as a "
			    "plugin",
			    name);
			return;
		}
		if (p[n] == '\0')
			return;
		p += n + 1;
	}
}

/* Whatever a volume plugin mounts (a host directory, say), lockset cannot
 * see, so only the drivers the policy names are let through. Names match
 * exactly as the request writes them, as dockerd looks the built-in driver
 * up ("LOCAL" is a plugin's name). */
void
decide_judge_volume_driver(struct ctx *c, const char *field, const char *flag, const char *name)
{
	if (!c->dp->volume_drivers.restricted || strcmp(name, "local") == 0 ||
	    decide_strlist_has(&c->dp->volume_drivers, name))
		return;
	decide_violate(c, "volume-driver", field, name, flag,
	               "the volume driver %.200s is not in allowedVolumeDrivers: what a volume "
	               "plugin mounts, lockset cannot judge",
	               name);
}

/* A local-driver volume that mounts a file system of its own: a network
 * one, allowed by allowNetworkVolumes, or any other of the host's. */
void
decide_judge_volume_fs(struct ctx *c, const char *field, const char *flag,
                       const struct engineapi_fact *fa)
{
	if (fa->kind == EF_NETWORK_VOLUME) {
		if (!c->dp->network_volumes)
			decide_violate(c, "network-volume", field, fa->value, flag,
			               "volumes on network file systems (%s) are not allowed "
			               "(allowNetworkVolumes)",
			               fa->value);
		return;
	}
	decide_violate(c, "volume-options", field, fa->value, flag,
	               "a local volume that mounts a %s file system%s%s is not allowed (only "
	               "tmpfs, binds inside the shares and network file systems where allowed)",
	               fa->value[0] != '\0' ? fa->value : "host", fa->list[0][0] ? " from " : "",
	               fa->list[0]);
}

void
decide_judge_volopts(struct ctx *c, const char *field, const char *flag,
                     const struct decide_volopts *v, const char *image)
{
	const char *list[2] = {v->device != NULL ? v->device : "", v->o != NULL ? v->o : ""};
	struct engineapi_fact fa = {
	    .value = v->type != NULL ? v->type : "", .list = list, .nlist = 2};

	switch (engineapi_local_mount(v->type, v->o, v->device)) {
	case ENGINEAPI_LOCAL_NONE:
		return;
	case ENGINEAPI_LOCAL_BIND:
		decide_judge_path(c, field, flag, list[0], image);
		decide_judge_access(c, field, flag, list[0], 0);
		return;
	case ENGINEAPI_LOCAL_NETWORK:
		fa.kind = EF_NETWORK_VOLUME;
		break;
	case ENGINEAPI_LOCAL_FS:
		fa.kind = EF_VOLUME_FS;
		break;
	}
	decide_judge_volume_fs(c, field, flag, &fa);
}

/* A volume mounted by name: the engine mounts the volume of that name
 * whatever made it (it asks every plugin about a name it does not know), so
 * it is looked up while allowedVolumeDrivers is set, and while host paths
 * are judged and the request has it mounted again unseen (a service's tasks,
 * a restart policy): a volume made before the policy may bind /etc. One that
 * does not exist yet is made with the driver and options the request names,
 * which are judged on their own; one that cannot be looked up is refused. */
static void
judge_named_volume(struct ctx *c, const char *field, const char *flag, const char *name,
                   const char *image)
{
	int drivers = c->dp->volume_drivers.restricted;
	int remounted = c->remount != NULL && decide_paths_judged(c);
	struct decide_volume v;
	int rc = 0;

	memset(&v, 0, sizeof(v));
	if (!drivers && !remounted)
		return;
	if (c->req->volume != NULL)
		rc = c->req->volume(c->req->container_arg, name, &v);
	if (rc == -1)
		c->nomem = 1;
	else if (rc == 0)
		decide_violate(c, "unknown-volume", field, name, flag,
		               "volume %.200s could not be looked up, so %s is not known", name,
		               drivers ? "the driver that made it (allowedVolumeDrivers)"
		                       : "what it mounts");
	else if (rc == 1) {
		decide_judge_volume_driver(c, field, flag, v.driver);
		if (remounted)
			decide_judge_volopts(c, field, flag, &v.opts, image);
	}
	decide_volume_clear(&v);
}

/* A network driver while allowedNetworkDrivers is set: built-in ones too
 * (macvlan and ipvlan put a container on the host's own network, past its
 * firewall), and plugins, which may hand a container a host interface. */
static void
judge_network_driver(struct ctx *c, const char *field, const char *flag, const char *name)
{
	if (!c->dp->network_drivers.restricted || decide_strlist_has(&c->dp->network_drivers, name))
		return;
	decide_violate(c, "network-driver", field, name, flag,
	               "the network driver %.200s is not in allowedNetworkDrivers", name);
}

int
decide_go_true(const char *v)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcmp(v, yes[i]) == 0)
			return 1;
	return 0;
}

/* A bridge network's option, while allowedNetworkDrivers is set: one that
 * puts the network's containers on a network of the host's, as macvlan
 * does, or lets the host's neighbours reach them past its NAT and firewall.
 * The bridge's name is judged against this host's interfaces now: dockerd
 * takes an existing one over, replacing its addresses with the gateway's. */
static void
judge_bridge_option(struct ctx *c, const char *field, const char *flag,
                    const struct engineapi_fact *fa)
{
	const char *key, *v = fa->list[0];
	const char *why = NULL;

	if (!c->dp->network_drivers.restricted)
		return;
	if (strcmp(fa->value, ENGINEAPI_CONFIG_FROM) == 0) {
		decide_violate(c, "network-options", field, v, flag,
		               "the network takes its options from the config-only network "
		               "%.200s, which lockset does not read, and a bridge network's "
		               "options can reach beyond its bridge (allowedNetworkDrivers)",
		               v);
		return;
	}
	key = fa->value + strlen("com.docker.network.bridge.");
	if (strcmp(key, "name") == 0 && v[0] != '\0' && strlen(v) < IF_NAMESIZE &&
	    if_nametoindex(v) != 0)
		why = "names an interface of this host, which dockerd would take over, putting the "
		      "network's containers on that interface's network";
	else if (strcmp(key, "default_bridge") == 0 && decide_go_true(v))
		why = "makes the network the default bridge's, which dockerd would take over";
	else if (strncmp(key, "gateway_mode_ipv", 16) == 0 &&
	         (strcmp(v, "routed") == 0 || strcmp(v, "nat-unprotected") == 0))
		why = "lets the host's neighbours reach the network's containers past its NAT and "
		      "firewall";
	else if (strcmp(key, "trusted_host_interfaces") == 0 && strspn(v, ":") < strlen(v))
		why = "lets those host interfaces reach the network's containers directly";
	if (why != NULL)
		decide_violate(c, "network-options", field, v, flag,
		               "the bridge option %s=%.200s %s (allowedNetworkDrivers)", key, v,
		               why);
}

/* How the engine runs or watches the container: each is denied outright by
 * the deniedFlags entry that names it (any value). */
void
decide_judge_engine_choice(struct ctx *c, const char *field, const char *flag,
                           const struct engineapi_fact *fa, const char *image)
{
	static const struct {
		enum engineapi_fact_kind kind;
		unsigned bit;
		const char *rule, *what;
	} choices[] = {
	    {EF_RUNTIME, DENY_RUNTIME, "runtime", "choosing the container runtime"},
	    {EF_CGROUP_PARENT, DENY_CGROUP_PARENT, "cgroup-parent",
	     "placing the container under another cgroup"},
	    {EF_LOG_DRIVER, DENY_LOG_DRIVER, "log-driver", "choosing a logging driver"},
	    {EF_LOG_OPT, DENY_LOG_OPT, "log-opt", "setting logging driver options"},
	    {EF_ANNOTATION, DENY_ANNOTATION, "annotation", "passing annotations to the runtime"},
	};

	switch (fa->kind) {
	case EF_NAMED_VOLUME:
		judge_named_volume(c, field, flag, fa->value, image);
		return;
	case EF_BRIDGE_OPTION:
		judge_bridge_option(c, field, flag, fa);
		return;
	case EF_VOLUME_FS:
	case EF_NETWORK_VOLUME:
		decide_judge_volume_fs(c, field, flag, fa);
		return;
	default:
		break;
	}
	/* A log driver is looked up as a plugin too. */
	if (fa->kind == EF_DRIVER || fa->kind == EF_VOLUME_DRIVER ||
	    fa->kind == EF_NETWORK_DRIVER || fa->kind == EF_LOG_DRIVER)
		judge_driver_name(c, field, flag, fa->value);
	if (fa->kind == EF_VOLUME_DRIVER)
		decide_judge_volume_driver(c, field, flag, fa->value);
	if (fa->kind == EF_NETWORK_DRIVER)
		judge_network_driver(c, field, flag, fa->value);
	if (fa->kind == EF_DRIVER || fa->kind == EF_VOLUME_DRIVER || fa->kind == EF_NETWORK_DRIVER)
		return;
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
		if (choices[i].kind == fa->kind && (c->dp->deny & choices[i].bit)) {
			decide_violate(c, choices[i].rule, field, fa->value, flag,
			               "%s (%s) is not allowed", choices[i].what, fa->value);
			return;
		}
	/* Some logging drivers have dockerd, as root, connect where the
	 * request's options say (syslog-address, fluentd-address, ...). */
	if (fa->kind == EF_LOG_DRIVER && c->dp->log_drivers.restricted &&
	    !decide_strlist_has(&c->dp->log_drivers, fa->value))
		decide_violate(c, "log-driver", field, fa->value, flag,
		               "the logging driver %.200s is not in allowedLogDrivers", fa->value);
}

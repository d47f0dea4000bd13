/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl: the administrator's command-line client for locksetd. Reads
 * the global options, picks the command, and exits with one of the codes in
 * ctl.h (documented in locksetctl(1)). */
#include "build-config.h"

#include "ctl.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: locksetctl [--socket PATH | --url URL [--token-file F] [--cacert PEM]\n"
    "                  [--proxy URL]] [--json]\n"
    "                  COMMAND [ARGS]\n"
    "\n"
    "  status                                   health of the daemon\n"
    "  policy get | set FILE | patch JSON | validate FILE | versions\n"
    "         | show N | rollback N | impact FILE\n"
    "  users policy get|set|delete USER [FILE]  per-user policy\n"
    "  settings [--user U] [--watch]            effective settings\n"
    "  audit [--action A --actor A --rule R --decision D --since T --until T\n"
    "         --limit N] [--follow] [--format table|json|ndjson|csv]\n"
    "  audit verify | stats                     chain check, counts\n"
    "  tokens create NAME --role R [--expires-in S] | list | revoke NAME\n"
    "  check [--user U] -- docker run|create|exec|service create|volume create\n"
    "                      |pull|build|tag|load|import|plugin install|update ...\n"
    "\n"
    "The socket defaults to " CTL_DEFAULT_SOCKET "; with --url the token comes from\n"
    "--token-file (a file, or - for stdin) or LOCKSET_TOKEN (--token T works, but\n"
    "other users may see T until it is read); no proxy is used but --proxy's (http_proxy\n"
    "and the like are ignored). Exit codes: 0 ok or allowed, 1 denied\n"
    "(or refused, invalid, not found), 2 usage, 3 unreachable, 4 server error.\n";

struct command {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
};

static const struct command commands[] = {
    {"status", ctl_cmd_status}, {"settings", ctl_cmd_settings}, {"tokens", ctl_cmd_tokens},
    {"policy", ctl_cmd_policy}, {"users", ctl_cmd_users},       {"audit", ctl_cmd_audit},
    {"check", ctl_cmd_check},
};

/* Global options before the command; the command sees the rest. Returns the
 * index of the command, or -1 after printing why. */
static int
global_options(struct ctl *c, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			exit(CTL_OK);
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("locksetctl %s\n", PACKAGE_VERSION);
			exit(CTL_OK);
		}
		if (ctl_global_option(c, argc, argv, &i) != 0)
			return -1;
	}
	if (i >= argc) {
		fputs(usage_text, stderr);
		return -1;
	}
	return i;
}

int
main(int argc, char **argv)
{
	struct ctl c = {CTL_DEFAULT_SOCKET, NULL, NULL, NULL, 0, 0, NULL, NULL};
	int i, rc = CTL_USAGE;

	c.tty = isatty(STDOUT_FILENO);
	if ((i = global_options(&c, argc, argv)) < 0)
		return CTL_USAGE;
	if (c.url != NULL && strncmp(c.url, "http://", 7) != 0 &&
	    strncmp(c.url, "https://", 8) != 0) {
		fprintf(stderr, "locksetctl: --url must start with http:// or https://\n");
		return CTL_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "locksetctl: cannot initialise libcurl\n");
		return CTL_SERVER;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(argv[i], commands[k].name) == 0) {
			rc = commands[k].run(&c, argc - i - 1, argv + i + 1);
			goto out;
		}
	}
	fprintf(stderr, "locksetctl: unknown command \"%s\"\n%s", argv[i], usage_text);
out:
	curl_global_cleanup();
	if (c.token_owned != NULL) {
		explicit_bzero(c.token_owned, strlen(c.token_owned));
		free(c.token_owned);
	}
	return rc;
}

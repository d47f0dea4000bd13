/* SPDX-License-Identifier: Apache-2.0 */
/* Option parsing: defaults, --opt value and --opt=value, repeatable options,
 * validation messages naming the option, config files with line numbers, and
 * the command line winning over the file. */
#include "check.h"
#include "config.h"

#include <unistd.h>

static int
load(struct config *cfg, struct problems *errs, int argc, char **argv)
{
	problems_clear(errs);
	return config_load(cfg, argc, argv, errs);
}

static void
test_defaults_match_the_design(void)
{
	struct config cfg;
	struct problems errs = PROBLEMS_INIT;
	char *argv[] = {"locksetd"};

	CHECK_INT_EQ(load(&cfg, &errs, 1, argv), 0);
	CHECK_STR_EQ(cfg.authz_socket, "/run/docker/plugins/lockset.sock");
	CHECK_INT_EQ(cfg.listen.n, 1);
	CHECK_STR_EQ(cfg.listen.v[0], "unix:/run/lockset/lockset.sock");
	CHECK_INT_EQ(cfg.max_body, 1048576);
	CHECK_INT_EQ(cfg.foreground, 0);
	CHECK_STR_EQ(cfg.audit_sync, "full");
	config_free(&cfg);
	problems_clear(&errs);
}

static void
test_both_value_spellings_and_repeatable_listen(void)
{
	struct config cfg;
	struct problems errs = PROBLEMS_INIT;
	char *argv[] = {"locksetd",
	                "--settings",
	                "/x/a.json",
	                "--state-dir=/var/x",
	                "--listen",
	                "unix:/tmp/a.sock",
	                "--listen=127.0.0.1:8080",
	                "--listen",
	                "[::1]:9090",
	                "--foreground"};

	CHECK_INT_EQ(load(&cfg, &errs, 10, argv), 0);
	CHECK_STR_EQ(cfg.settings, "/x/a.json");
	CHECK_STR_EQ(cfg.state_dir, "/var/x");
	CHECK_INT_EQ(cfg.listen.n, 3); /* the default listener is replaced, not kept */
	CHECK_STR_EQ(cfg.listen.v[2], "[::1]:9090");
	CHECK_INT_EQ(cfg.foreground, 1);
	config_free(&cfg);
	problems_clear(&errs);
}

static void
test_invalid_values_name_the_option(void)
{
	struct config cfg;
	struct problems errs = PROBLEMS_INIT;
	char *argv[] = {"locksetd",      "--max-body",       "12x",   "--settings",
	                "relative.json", "--log-level",      "loud",  "--listen",
	                "999.1.1.1:80",  "--foreground=yes", "--nope"};

	CHECK_INT_EQ(load(&cfg, &errs, 11, argv), -1);
	CHECK_INT_EQ(errs.n, 6);
	CHECK(errs.n == 6 && strstr(errs.v[0].message, "--max-body") != NULL);
	CHECK(errs.n == 6 && strstr(errs.v[1].message, "absolute path") != NULL);
	CHECK(errs.n == 6 && strstr(errs.v[2].message, "error|warn|info|debug") != NULL);
	CHECK(errs.n == 6 && strstr(errs.v[3].message, "999.1.1.1:80") != NULL);
	CHECK(errs.n == 6 && strstr(errs.v[4].message, "takes no value") != NULL);
	CHECK(errs.n == 6 && strstr(errs.v[5].message, "--nope") != NULL);
	config_free(&cfg);
	problems_clear(&errs);
}

static void
test_missing_value_is_reported(void)
{
	struct config cfg;
	struct problems errs = PROBLEMS_INIT;
	char *argv[] = {"locksetd", "--settings"};

	CHECK_INT_EQ(load(&cfg, &errs, 2, argv), -1);
	CHECK(errs.n == 1 && strstr(errs.v[0].message, "needs a value") != NULL);
	config_free(&cfg);
	problems_clear(&errs);
}

static void
test_config_file_then_command_line_wins(void)
{
	char path[] = "/tmp/lockset-cfg-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct config cfg;
	struct problems errs = PROBLEMS_INIT;
	char *argv[] = {"locksetd", "--config", path, "--log-level", "debug"};

	fprintf(f, "# comment\n\nsettings = /etc/a.json\nlog-level = warn\n"
	           "listen = unix:/tmp/f.sock\nlisten = \"127.0.0.1:1\"\nforeground = true\n");
	fclose(f);
	CHECK_INT_EQ(load(&cfg, &errs, 5, argv), 0);
	CHECK_STR_EQ(cfg.settings, "/etc/a.json");
	CHECK_STR_EQ(cfg.log_level, "debug");
	CHECK_INT_EQ(cfg.listen.n, 2);
	CHECK_STR_EQ(cfg.listen.n == 2 ? cfg.listen.v[1] : NULL, "127.0.0.1:1");
	CHECK_INT_EQ(cfg.foreground, 1);
	config_free(&cfg);
	unlink(path);
	problems_clear(&errs);
}

static void
test_config_file_errors_carry_file_and_line(void)
{
	char path[] = "/tmp/lockset-cfg-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct config cfg;
	struct problems errs = PROBLEMS_INIT;
	char *argv[] = {"locksetd", "--config", path};
	char where[64];

	fprintf(f, "settings = /etc/a.json\nno equals sign\nthreads = -3\nversion = true\n");
	fclose(f);
	CHECK_INT_EQ(load(&cfg, &errs, 3, argv), -1);
	CHECK_INT_EQ(errs.n, 3);
	snprintf(where, sizeof(where), "%s:2", path);
	CHECK(errs.n == 3 && strcmp(errs.v[0].path, where) == 0);
	snprintf(where, sizeof(where), "%s:3", path);
	CHECK(errs.n == 3 && strcmp(errs.v[1].path, where) == 0);
	CHECK(errs.n == 3 && strstr(errs.v[2].message, "unknown option") != NULL);
	config_free(&cfg);
	unlink(path);
	problems_clear(&errs);
}

static void
test_tls_options_go_together(void)
{
	struct config cfg;
	struct problems errs = PROBLEMS_INIT;
	char *argv[] = {"locksetd", "--tls-cert", "/etc/c.pem"};

	CHECK_INT_EQ(load(&cfg, &errs, 3, argv), -1);
	CHECK(errs.n == 1 && strstr(errs.v[0].message, "--tls-key") != NULL);
	config_free(&cfg);
	problems_clear(&errs);
}

static void
test_events_rate_takes_n_per_second(void)
{
	struct config cfg;
	struct problems errs = PROBLEMS_INIT;
	char *def[] = {"locksetd"};
	char *ok[] = {"locksetd", "--events-rate", "50/s", "--events-burst=7"};
	char *plain[] = {"locksetd", "--events-rate=0"};
	char *bad[] = {"locksetd", "--events-rate", "5/m", "--events-burst", "0"};

	CHECK_INT_EQ(load(&cfg, &errs, 1, def), 0);
	CHECK_INT_EQ(cfg.events_rate, 100);
	CHECK_INT_EQ(cfg.events_burst, 200);
	config_free(&cfg);
	CHECK_INT_EQ(load(&cfg, &errs, 4, ok), 0);
	CHECK_INT_EQ(cfg.events_rate, 50);
	CHECK_INT_EQ(cfg.events_burst, 7);
	config_free(&cfg);
	CHECK_INT_EQ(load(&cfg, &errs, 2, plain), 0);
	CHECK_INT_EQ(cfg.events_rate, 0);
	config_free(&cfg);
	CHECK_INT_EQ(load(&cfg, &errs, 5, bad), -1);
	CHECK_INT_EQ(errs.n, 2);
	CHECK(errs.n == 2 && strstr(errs.v[0].message, "N/s") != NULL);
	CHECK(errs.n == 2 && strstr(errs.v[1].message, "--events-burst") != NULL);
	config_free(&cfg);
	problems_clear(&errs);
}

int
main(void)
{
	RUN(test_defaults_match_the_design);
	RUN(test_both_value_spellings_and_repeatable_listen);
	RUN(test_invalid_values_name_the_option);
	RUN(test_missing_value_is_reported);
	RUN(test_config_file_then_command_line_wins);
	RUN(test_config_file_errors_carry_file_and_line);
	RUN(test_tls_options_go_together);
	RUN(test_events_rate_takes_n_per_second);
	return CHECK_DONE();
}

/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl's argument parser, shared by every command: the global
 * connection and output options are accepted anywhere (before "--"), next to
 * the command's own; and reading the files commands send. */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FILE_MAX (64L * 1024 * 1024)

static int json_flag;

static const struct ctl_opt global_opts[] = {
    {"socket", 1, NULL, NULL},     {"url", 1, NULL, NULL},    {"token", 1, NULL, NULL},
    {"token-file", 1, NULL, NULL}, {"cacert", 1, NULL, NULL}, {"json", 0, NULL, &json_flag},
    {"proxy", 1, NULL, NULL},      {NULL, 0, NULL, NULL},
};

/* The option called name (len bytes) in opts, or NULL. */
static const struct ctl_opt *
find_opt(const struct ctl_opt *opts, const char *name, size_t len)
{
	for (; opts != NULL && opts->name != NULL; opts++) {
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	}
	return NULL;
}

/* ------------------------------------------------------------------------- */
/* The token */

/* A bearer token is printable ASCII without spaces: anything else would be
 * a broken header, or a second one. */
static int
token_ok(const char *t)
{
	if (*t == '\0')
		return 0;
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || (unsigned char)*t >= 0x7f)
			return 0;
	return 1;
}

/* The token in the file at path ("-": stdin): its first line. malloc'd, or
 * NULL after printing why. */
static char *
token_from_file(const char *path)
{
	struct stat sb;
	size_t len = 0;
	char *t;

	if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && (sb.st_mode & 077) != 0)
		fprintf(stderr, "locksetctl: warning: %s can be read by other users\n", path);
	if ((t = ctl_read_file(path, &len)) == NULL)
		return NULL;
	t[strcspn(t, "\r\n")] = '\0';
	return t;
}

int
ctl_set_token(struct ctl *c, const char *option, char *value)
{
	char *t;

	if (c->token_owned != NULL) {
		fprintf(stderr, "locksetctl: give the token once (--token or --token-file)\n");
		return CTL_USAGE;
	}
	if (strcmp(option, "token-file") == 0) {
		if ((t = token_from_file(value)) == NULL)
			return CTL_USAGE;
	} else {
		/* Copy it, then overwrite the argument: /proc/PID/cmdline shows
		 * argv to every local user for as long as the process runs. */
		if ((t = strdup(value)) == NULL) {
			fprintf(stderr, "locksetctl: out of memory\n");
			return CTL_USAGE;
		}
		memset(value, 'x', strlen(value));
	}
	if (!token_ok(t)) {
		fprintf(stderr, "locksetctl: --%s: not a token (printable characters, no spaces)\n",
		        option);
		free(t);
		return CTL_USAGE;
	}
	c->token = c->token_owned = t;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Options */

static int
set_global(struct ctl *c, const char *name, char *value)
{
	if (strcmp(name, "socket") == 0) {
		c->socket = value;
		c->url = NULL;
	} else if (strcmp(name, "url") == 0) {
		c->url = value;
	} else if (strcmp(name, "token") == 0 || strcmp(name, "token-file") == 0) {
		return ctl_set_token(c, name, value);
	} else if (strcmp(name, "cacert") == 0) {
		c->cacert = value;
	} else if (strcmp(name, "proxy") == 0) {
		c->proxy = value;
	}
	return 0;
}

/* One "--name[=value]" at argv[*i]. 0, or CTL_USAGE after printing why. */
static int
take_option(struct ctl *c, const struct ctl_opt *opts, int argc, char **argv, int *i)
{
	char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct ctl_opt *o = find_opt(opts, arg, len);
	int global = 0;
	char *value = NULL;

	if (o == NULL && (o = find_opt(global_opts, arg, len)) != NULL)
		global = 1;
	if (o == NULL) {
		fprintf(stderr, "locksetctl: unknown option --%.*s\n", (int)len, arg);
		return CTL_USAGE;
	}
	if (o->has_arg) {
		if (eq != NULL)
			value = eq + 1;
		else if (*i + 1 < argc)
			value = argv[++*i];
		else {
			fprintf(stderr, "locksetctl: --%s needs a value\n", o->name);
			return CTL_USAGE;
		}
	} else if (eq != NULL) {
		fprintf(stderr, "locksetctl: --%s takes no value\n", o->name);
		return CTL_USAGE;
	}
	if (o->flag != NULL)
		*o->flag = 1;
	if (global)
		return set_global(c, o->name, value);
	if (o->value != NULL)
		*o->value = value;
	return 0;
}

int
ctl_args(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, char **pos, int maxpos,
         int *npos, char ***rest, int *nrest)
{
	int n = 0;

	json_flag = 0;
	if (rest != NULL) {
		*rest = NULL;
		*nrest = 0;
	}
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			if (rest == NULL) {
				fprintf(stderr, "locksetctl: unexpected \"--\"\n");
				return CTL_USAGE;
			}
			*rest = argv + i + 1;
			*nrest = argc - i - 1;
			break;
		}
		if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0') {
			if (take_option(c, opts, argc, argv, &i) != 0)
				return CTL_USAGE;
			continue;
		}
		if (n == maxpos) {
			fprintf(stderr, "locksetctl: unexpected argument \"%s\"\n", argv[i]);
			return CTL_USAGE;
		}
		pos[n++] = argv[i];
	}
	if (json_flag)
		c->json = 1;
	*npos = n;
	return 0;
}

int
ctl_global_option(struct ctl *c, int argc, char **argv, int *i)
{
	static const struct ctl_opt none[] = {{NULL, 0, NULL, NULL}};

	json_flag = 0;
	if (take_option(c, none, argc, argv, i) != 0)
		return CTL_USAGE;
	if (json_flag)
		c->json = 1;
	return 0;
}

char *
ctl_read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL, *b;
	size_t n = 0, cap = 0, got;

	if (f == NULL) {
		fprintf(stderr, "locksetctl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 131072;
			if (cap > (size_t)FILE_MAX || (b = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "locksetctl: %s: too large\n", path);
				free(buf);
				buf = NULL;
				goto out;
			}
			buf = b;
		}
		got = fread(buf + n, 1, 65536, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		fprintf(stderr, "locksetctl: %s: read error\n", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = n;
out:
	if (f != stdin)
		fclose(f);
	return buf;
}

json_t *
ctl_load_json_file(const char *path)
{
	json_error_t err;
	size_t len = 0;
	char *text = ctl_read_file(path, &len);
	json_t *v;

	if (text == NULL)
		return NULL;
	v = json_loadb(text, len, JSON_DECODE_ANY, &err);
	if (v == NULL)
		fprintf(stderr, "locksetctl: %s:%d:%d: %s\n", path, err.line, err.column, err.text);
	free(text);
	return v;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* locksetctl, the command-line client: the connection (Unix socket or URL
 * with a token, through libcurl), the exit codes every command shares, the
 * argument parser, table output, and each command's entry point. */
#ifndef LOCKSET_CTL_H
#define LOCKSET_CTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes, documented in locksetctl(1). */
enum ctl_exit {
	CTL_OK = 0,    /* done; allowed; valid */
	CTL_NO = 1,    /* denied, refused, invalid, not found, degraded, chain broken */
	CTL_USAGE = 2, /* bad command line, unreadable input, a parameter the server refused */
	CTL_UNREACHABLE = 3, /* no connection, TLS failure, timeout */
	CTL_SERVER = 4,      /* the server failed (5xx) or answered something unreadable */
};

#define CTL_DEFAULT_SOCKET "/run/lockset/lockset.sock"

struct ctl {
	const char *socket; /* default CTL_DEFAULT_SOCKET, unless url is set */
	const char *url;    /* https://host:port or http://127.0.0.1:port */
	const char *token;  /* --token or --token-file, else LOCKSET_TOKEN */
	const char *cacert; /* PEM bundle for TLS */
	int json;           /* --json: machine-readable output */
	int tty;            /* stdout is a terminal: aligned tables */
	char *token_owned;  /* the token read from an option (malloc'd) */
	const char *proxy;  /* --proxy for --url; NULL: none (the environment's is ignored) */
};

/* ---- HTTP (client.c) ---- */

struct ctl_reply {
	long status;
	char *body; /* NUL-terminated (owned) */
	size_t len;
	char etag[128];
	char ctype[128];
};

/* Optional parts of a request. */
struct ctl_req {
	const char *ctype; /* Content-Type of body */
	const char *body;
	size_t len;
	const char *if_match;
	const char *if_none_match;
	long timeout; /* seconds; 0: the default (60) */
	/* Stream the reply body to out instead of keeping it (exports). */
	FILE *out;
};

/* One request. Returns CTL_OK with *r filled (any HTTP status), or
 * CTL_UNREACHABLE after printing why. Release r with ctl_reply_clear. */
int ctl_http(const struct ctl *c, const char *method, const char *path, const struct ctl_req *rq,
             struct ctl_reply *r);
void ctl_reply_clear(struct ctl_reply *r);
/* The reply body parsed as JSON (new reference), or NULL after printing why. */
json_t *ctl_reply_json(const struct ctl_reply *r);
/* Report a non-2xx reply (the error's message and details on stderr) and
 * return its exit code: 400 -> CTL_USAGE, other 4xx -> CTL_NO, else CTL_SERVER. */
int ctl_reply_fail(const struct ctl_reply *r);
/* GET path and parse: CTL_OK with *out a new reference, else the exit code. */
int ctl_get_json(const struct ctl *c, const char *path, json_t **out);
/* GET path for a listing: with --json the reply is printed as it is and
 * *out is NULL; otherwise *out is the reply (new reference) for the caller's
 * table. CTL_OK either way, else the exit code (failure reported). */
int ctl_get_listing(const struct ctl *c, const char *path, json_t **out);
/* method path with a JSON body (borrowed; may be NULL): CTL_OK with *out
 * (new reference, NULL for 204), else the exit code (failure reported). */
int ctl_send_json(const struct ctl *c, const char *method, const char *path, const json_t *body,
                  json_t **out);
/* Append name=value (percent-encoded) to a query string being built in buf. */
void ctl_query_add(char *buf, size_t bufsz, const char *name, const char *value);
/* Append "/" and a percent-encoded path segment to the path in buf. */
void ctl_path_add(char *buf, size_t bufsz, const char *segment);

/* ---- arguments (args.c) ---- */

struct ctl_opt {
	const char *name;   /* long name without "--" */
	int has_arg;        /* 1: takes a value (--x V or --x=V) */
	const char **value; /* where a value goes (last one wins) */
	int *flag;          /* set to 1 when given (for has_arg 0) */
};

/* Parse argv[0..argc) of one command: the global options and opts anywhere
 * before "--"; everything else is positional (pos, up to maxpos). With
 * rest != NULL, the arguments after "--" go to *rest / *nrest. Prints the
 * problem and returns CTL_USAGE on an unknown option, a missing value or
 * too many positionals. */
int ctl_args(struct ctl *c, int argc, char **argv, const struct ctl_opt *opts, char **pos,
             int maxpos, int *npos, char ***rest, int *nrest);
/* One global option ("--socket PATH", "--url=URL", "--json", ...) at
 * argv[*i], before the command; *i moves past its value. 0, or CTL_USAGE
 * after printing why. */
int ctl_global_option(struct ctl *c, int argc, char **argv, int *i);
/* The token given by --token (value is then overwritten in place, so that
 * argv no longer shows it) or --token-file (value is the path, "-" for
 * stdin; its first line). 0, or CTL_USAGE after printing why: a second
 * token option, an unreadable file, or a value that is not a token. */
int ctl_set_token(struct ctl *c, const char *option, char *value);
/* Read a whole file ("-" = stdin); malloc'd, NUL-terminated, or NULL after
 * printing why. */
char *ctl_read_file(const char *path, size_t *len);
/* A JSON document from a file, NULL after printing why (new reference). */
json_t *ctl_load_json_file(const char *path);

/* ---- output (output.c) ---- */

struct ctl_table;
/* A table with ncols columns; header names follow (ncols of them). */
struct ctl_table *ctl_table_new(size_t ncols, ...);
/* Add a row of ncols strings (NULL prints as "-"). */
void ctl_table_row(struct ctl_table *t, ...);
/* Print and free: aligned columns on a terminal, tab-separated otherwise. */
void ctl_table_print(struct ctl_table *t, const struct ctl *c, FILE *out);
/* Print a JSON value indented (stdout), newline-terminated, with the
 * characters that act on a terminal as \uXXXX (textsafe_json_dup). */
void ctl_print_json(const json_t *v);
/* The same on one line (NDJSON). */
void ctl_print_json_line(const json_t *v);
/* A string from the server as it may be printed (s NULL: ""): controls,
 * line separators, bidirectional controls and bytes that are not UTF-8 as
 * visible escapes (textsafe_escape: "\x1b", "\u202e"), into buf. Returns
 * buf, cut short when bufsz is under 4 * strlen(s) + 1. Tables do this
 * themselves. */
const char *ctl_safe(const char *s, char *buf, size_t bufsz);
/* A scalar as text for a table cell (static or borrowed buffer): strings
 * as is, others as compact JSON (truncated to fit). */
const char *ctl_cell(const json_t *v, char *buf, size_t bufsz);
/* Print problems [{"path","message"}] one a line, indented, to out. */
void ctl_print_problems(FILE *out, const json_t *problems);

/* ---- commands ---- */

int ctl_cmd_status(struct ctl *c, int argc, char **argv);
int ctl_cmd_settings(struct ctl *c, int argc, char **argv);
int ctl_cmd_tokens(struct ctl *c, int argc, char **argv);
int ctl_cmd_policy(struct ctl *c, int argc, char **argv);
int ctl_cmd_users(struct ctl *c, int argc, char **argv);
int ctl_cmd_audit(struct ctl *c, int argc, char **argv);
int ctl_cmd_check(struct ctl *c, int argc, char **argv);

#endif

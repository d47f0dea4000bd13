/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON walker of redact.h: it checks a body's structure in place and
 * copies it byte for byte except the string values it must hide (those
 * redact.h names, every value of a buildargs map), which it decodes as Go
 * decodes them and replaces with their keyed hash. */
#include "redact_int.h"

#include "engine/gojson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* s as a JSON string. */
static void
put_json_string(struct buf *b, const char *s, size_t n)
{
	char esc[8];

	redact_buf_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			redact_buf_put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			redact_buf_put(b, esc, 6);
		} else {
			redact_buf_put(b, &s[i], 1);
		}
	}
	redact_buf_put(b, "\"", 1);
}

/* ------------------------------------------------------------------------ */
/* JSON strings */

static void
put_utf8(struct buf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		redact_buf_put(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		redact_buf_put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		redact_buf_put(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		redact_buf_put(b, u, 4);
	}
}

/* Four hex digits at p, or -1. */
static long
hex4(const unsigned char *p, const unsigned char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = gojson_hexval(p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* The string at *pp (its opening quote) decoded into out (escapes resolved;
 * lone surrogates become U+FFFD, as Go decodes them); *pp moves past the
 * closing quote. 0, or -1 when it is not a JSON string. */
static int
string_decode(const unsigned char **pp, const unsigned char *end, struct buf *out)
{
	static const char simple[] = "\"\\/bfnrt", value[] = "\"\\/\b\f\n\r\t";
	const unsigned char *p = *pp + 1;

	while (p < end && *p != '"') {
		const char *e;
		long u, lo;

		if (*p < 0x20)
			return -1;
		if (*p != '\\') {
			redact_buf_put(out, p++, 1);
			continue;
		}
		if (++p >= end)
			return -1;
		if (*p != 'u') {
			if ((e = memchr(simple, *p, sizeof(simple) - 1)) == NULL)
				return -1;
			redact_buf_put(out, &value[e - simple], 1);
			p++;
			continue;
		}
		if ((u = hex4(p + 1, end)) < 0)
			return -1;
		p += 5;
		if (u >= 0xD800 && u < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
		    (lo = hex4(p + 2, end)) >= 0xDC00 && lo < 0xE000) {
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			p += 6;
		} else if (u >= 0xD800 && u < 0xE000) {
			u = 0xFFFD;
		}
		put_utf8(out, (unsigned)u);
	}
	if (p >= end)
		return -1;
	*pp = p + 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The JSON walker: checks the structure, passes over what it keeps without
 * copying it, and builds an output only once a value must be hidden (the
 * bytes before it, then the token). */

enum mode {
	PLAIN,
	ENV,         /* the value of an Env member */
	ENV_ITEM,    /* "KEY=VALUE": an entry of an Env array or of a plugin's settings */
	SECRET,      /* a string to hide whole */
	MAP,         /* an object whose string values are hidden (buildargs) */
	SETTING,     /* an item of a body that is a list: a string is an ENV_ITEM */
	DRIVER,      /* a LogConfig, LogDriver, secret's Driver: Config or Options is a MAP */
	DRIVER_OPTS, /* a driver's options: its "o" is a MOUNT_OPTS */
	MOUNT_OPTS,  /* mount(8)'s options "a,b=c": a password's value is hidden */
	CA_LIST,     /* a swarm's ExternalCAs: each CA's Options are a MAP */
};

struct walk {
	const struct redact *r;
	const unsigned char *p, *end;
	const unsigned char *copied; /* the input before this is in out already */
	struct buf out;
	int depth;
	int changed; /* a value was hidden: out holds the result */
};

static int value(struct walk *w, enum mode mode);

static void
ws(struct walk *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
		w->p++;
}

/* Past the string at w->p (its opening quote), checked as string_decode
 * checks it: no control character, only JSON's escapes. 0, or -1. */
static int
string_skip(struct walk *w)
{
	static const char simple[] = "\"\\/bfnrt";
	const unsigned char *p = w->p + 1;

	for (;;) {
		p += gojson_plain_run((const char *)p, (const char *)w->end);
		if (p >= w->end || *p < 0x20)
			return -1;
		if (*p == '"')
			break;
		if (*p >= 0x80) {
			p++;
			continue;
		}
		if (++p >= w->end) /* after a backslash */
			return -1;
		if (*p == 'u') {
			if (hex4(p + 1, w->end) < 0)
				return -1;
			p += 5;
		} else if (memchr(simple, *p, sizeof(simple) - 1) != NULL) {
			p++;
		} else {
			return -1;
		}
	}
	w->p = p + 1;
	return 0;
}

/* Replace the value from start to w->p with s as a JSON string. */
static void
replace(struct walk *w, const unsigned char *start, const char *s, size_t n)
{
	redact_buf_put(&w->out, w->copied, (size_t)(start - w->copied));
	put_json_string(&w->out, s, n);
	w->copied = w->p;
	w->changed = 1;
}

/* An Env or settings entry "KEY=VALUE" (n bytes of s) into v as
 * "KEY=<token>". 0 for a "KEY" without a value: kept. */
static int
env_item_hide(const struct redact *r, const char *s, size_t n, struct buf *v)
{
	char token[REDACT_TOKEN_LEN + 1];
	const char *eq = s != NULL ? memchr(s, '=', n) : NULL;
	size_t klen;

	if (eq == NULL)
		return 0;
	klen = (size_t)(eq - s) + 1;
	redact_token(r, eq + 1, n - klen, token);
	redact_buf_put(v, s, klen);
	redact_buf_put(v, token, strlen(token));
	return 1;
}

/* Where the value of a mount option that starts at i ends: at a comma, but
 * a doubled one is the kernel's escape of a comma in a password. */
static size_t
password_end(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] != ',' || (i + 1 < n && s[i + 1] == ',')))
		i += s[i] == ',' ? 2 : 1;
	return i;
}

/* Where the password in the value of the mount option named by s[i..j)
 * starts, or 0 when it holds none: the whole value of any option whose name
 * starts with "pass" (CIFS's password=, pass=, password2=), and what follows
 * the '%' of CIFS's user= or username= "name%password". */
static size_t
password_start(const char *s, size_t i, size_t j, size_t n)
{
	size_t k;

	if (j - i >= 4 && strncasecmp(&s[i], "pass", 4) == 0)
		return j + 1;
	if ((j - i == 4 && strncasecmp(&s[i], "user", 4) == 0) ||
	    (j - i == 8 && strncasecmp(&s[i], "username", 8) == 0))
		for (k = j + 1; k < n && s[k] != ','; k++)
			if (s[k] == '%')
				return k + 1;
	return 0;
}

/* mount(8) options "a,b=c" (n bytes of s) into v with every password a token
 * (password_start). 1 when one was hidden, else 0 (kept). */
static int
mount_opts_hide(const struct redact *r, const char *s, size_t n, struct buf *v)
{
	char token[REDACT_TOKEN_LEN + 1];
	size_t i = 0, j, e, p;
	int hidden = 0;

	while (i < n) {
		for (j = i; j < n && s[j] != '=' && s[j] != ','; j++)
			;
		if (j < n && s[j] == '=' && (p = password_start(s, i, j, n)) != 0) {
			e = password_end(s, p, n);
			redact_token(r, &s[p], e - p, token);
			redact_buf_put(v, &s[i], p - i);
			redact_buf_put(v, token, strlen(token));
			hidden = 1;
		} else {
			for (e = j; e < n && s[e] != ','; e++)
				;
			redact_buf_put(v, &s[i], e - i);
		}
		if (e < n)
			redact_buf_put(v, ",", 1);
		i = e + 1;
	}
	return hidden;
}

/* A string value hidden as mode says: an Env or settings entry's value, the
 * passwords among mount options, or else the whole string. */
static int
string_hide(struct walk *w, enum mode mode)
{
	const unsigned char *start = w->p;
	struct buf dec = {0}, v = {0};
	char token[REDACT_TOKEN_LEN + 1];
	int hide = 1, rc = string_decode(&w->p, w->end, &dec);

	if (rc == 0 && mode == ENV_ITEM) {
		hide = env_item_hide(w->r, dec.p, dec.n, &v);
	} else if (rc == 0 && mode == MOUNT_OPTS) {
		hide = mount_opts_hide(w->r, dec.p, dec.n, &v);
	} else if (rc == 0) {
		redact_token(w->r, dec.p ? dec.p : "", dec.n, token);
		redact_buf_put(&v, token, strlen(token));
	}
	if (rc == 0 && hide)
		replace(w, start, v.p, v.n);
	w->out.nomem |= dec.nomem | v.nomem;
	free(dec.p);
	free(v.p);
	return rc;
}

/* Members whose value is a credential or a private key wherever they appear:
 * the request bodies of moby's api/swagger.yaml that carry one. */
static const char *const secret_names[] = {
    "JoinToken",    /* swarm join: a manager's token gives the whole cluster */
    "UnlockKey",    /* swarm unlock: it decrypts the managers' Raft logs */
    "SigningCAKey", /* swarm init and update, Spec.CAConfig: the CA's private key */
    /* A registry's AuthConfig (POST /auth; not recorded today, but a body of
     * an unknown route is): its username and server address stay. */
    "Password",
    "IdentityToken",
    "RegistryToken",
};

/* k (n bytes) selects name as dockerd's decoder matches keys. A key that
 * folds to name has a byte (ASCII) to three (U+212A) for each letter. */
static int
key_is(const char *k, size_t n, const char *name)
{
	size_t len = strlen(name);

	return n >= len && n <= 3 * len && gojson_key_matches(k, n, name);
}

/* The mode of a member's value, from its decoded key (n bytes). */
static enum mode
member_mode(const struct walk *w, const char *k, size_t n, enum mode parent)
{
	if (parent == MAP)
		return SECRET;
	if (parent == DRIVER && (key_is(k, n, "Config") || key_is(k, n, "Options")))
		return MAP;
	if (parent == DRIVER_OPTS && key_is(k, n, "o"))
		return MOUNT_OPTS;
	if (key_is(k, n, "Env"))
		return ENV;
	/* Data of a secret or config; auth of an AuthConfig (base64 of
	 * "user:password"). Deeper, these generic names are other things. */
	if (w->depth == 1 && (key_is(k, n, "Data") || key_is(k, n, "Auth")))
		return SECRET;
	for (size_t i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++)
		if (key_is(k, n, secret_names[i]))
			return SECRET;
	/* A swarm's external CAs (init and update, Spec.CAConfig): each one's
	 * Options may hold the CA's credentials. */
	if (key_is(k, n, "ExternalCAs"))
		return CA_LIST;
	/* A swarm's Worker and Manager tokens, should a body carry them. */
	if (key_is(k, n, "JoinTokens"))
		return MAP;
	/* HostConfig's LogConfig, a service's or the swarm's LogDriver: their
	 * options hold the logging service's credentials (splunk-token, a URL
	 * with a password); only the driver's name stays. */
	if (key_is(k, n, "LogConfig") || key_is(k, n, "LogDriver"))
		return DRIVER;
	/* A secret's Driver, an external store's, whose Options may hold the
	 * store's credentials (a volume's or network's Driver is a string: kept). */
	if (w->depth == 1 && key_is(k, n, "Driver"))
		return DRIVER;
	/* A volume's DriverOpts, a mount's VolumeOptions.DriverConfig.Options:
	 * the local driver's "o" may hold a network file system's password. */
	if (key_is(k, n, "DriverOpts") || key_is(k, n, "Options"))
		return DRIVER_OPTS;
	return PLAIN;
}

/* The key at w->p and the mode of its member's value. */
static int
key(struct walk *w, enum mode parent, enum mode *m)
{
	const unsigned char *k = w->p;
	struct buf dec = {0};
	size_t n;

	if (w->p >= w->end || *w->p != '"' || string_skip(w) != 0)
		return -1;
	n = (size_t)(w->p - k) - 2;
	if (memchr(k + 1, '\\', n) == NULL) {
		*m = member_mode(w, (const char *)k + 1, n, parent);
		return 0;
	}
	/* Escaped: decoded as dockerd decodes it before it is matched. */
	string_decode(&k, w->end, &dec);
	*m = member_mode(w, dec.p ? dec.p : "", dec.n, parent);
	w->out.nomem |= dec.nomem;
	free(dec.p);
	return 0;
}

/* What an object is in place of a value of this mode. Where a string to
 * hide belongs (dockerd refuses the body, but it is recorded all the same),
 * every string in it is hidden. */
static enum mode
object_mode(enum mode mode)
{
	switch (mode) {
	case PLAIN:
	case DRIVER:
	case DRIVER_OPTS:
		return mode;
	case SETTING: /* a plugin's privilege */
		return PLAIN;
	default:
		return MAP;
	}
}

/* What the items of an array in place of a value of this mode are. */
static enum mode
item_mode(const struct walk *w, enum mode mode)
{
	switch (mode) {
	case ENV:
		return ENV_ITEM;
	case PLAIN:
		/* A body that is a list is a plugin's settings (POST
		 * /plugins/{name}/set, "KEY=VALUE" as Env) or its privileges
		 * (objects, which name what the plugin may reach). */
		return w->depth == 1 ? SETTING : PLAIN;
	case SETTING:
	case DRIVER:
	case DRIVER_OPTS: /* a DNSConfig's Options: ["timeout:3"] */
		return PLAIN;
	case CA_LIST:
		return DRIVER;
	default:
		return SECRET;
	}
}

static int
object(struct walk *w, enum mode mode)
{
	w->p++;
	ws(w);
	if (w->p < w->end && *w->p == '}') {
		w->p++;
		return 0;
	}
	for (;;) {
		enum mode m;
		int rc;

		if (key(w, mode, &m) != 0)
			return -1;
		ws(w);
		if (w->p >= w->end || *w->p != ':')
			return -1;
		w->p++;
		if ((rc = value(w, m)) != 0)
			return rc;
		ws(w);
		if (w->p < w->end && *w->p == ',') {
			w->p++;
			ws(w);
			continue;
		}
		if (w->p < w->end && *w->p == '}') {
			w->p++;
			return 0;
		}
		return -1;
	}
}

static int
array(struct walk *w, enum mode mode)
{
	enum mode item = item_mode(w, mode);

	w->p++;
	ws(w);
	if (w->p < w->end && *w->p == ']') {
		w->p++;
		return 0;
	}
	for (;;) {
		int rc = value(w, item);

		if (rc != 0)
			return rc;
		ws(w);
		if (w->p < w->end && *w->p == ',') {
			w->p++;
			continue;
		}
		if (w->p < w->end && *w->p == ']') {
			w->p++;
			return 0;
		}
		return -1;
	}
}

/* A number or literal: the run of the characters they are made of, checked
 * loosely (the decision engine reads the body strictly; here only structure
 * matters). */
static int
scalar(struct walk *w)
{
	static const unsigned char in_scalar[256] = {
	    ['-'] = 1, ['+'] = 1, ['.'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['e'] = 1, ['E'] = 1, ['t'] = 1,
	    ['r'] = 1, ['u'] = 1, ['f'] = 1, ['a'] = 1, ['l'] = 1, ['s'] = 1, ['n'] = 1};
	const unsigned char *s = w->p;

	while (w->p < w->end && in_scalar[*w->p])
		w->p++;
	return w->p == s ? -1 : 0;
}

static int
value(struct walk *w, enum mode mode)
{
	int rc;

	ws(w);
	if (w->p >= w->end)
		return -1;
	if (*w->p == '"')
		return mode == PLAIN || mode == DRIVER || mode == DRIVER_OPTS
		           ? string_skip(w) /* a driver's name */
		           : string_hide(w, mode == SETTING ? ENV_ITEM : mode);
	if (*w->p != '{' && *w->p != '[')
		return scalar(w);
	if (++w->depth > REDACT_MAX_DEPTH)
		return -1;
	rc = *w->p == '{' ? object(w, object_mode(mode)) : array(w, mode);
	w->depth--;
	return rc;
}

int
redact_json_walk(const struct redact *r, const char *text, size_t len, int map, struct buf *out,
                 int *changed)
{
	enum mode mode = map ? MAP : PLAIN;
	struct walk w = {r,
	                 (const unsigned char *)text,
	                 (const unsigned char *)text + len,
	                 (const unsigned char *)text,
	                 {0},
	                 0,
	                 0};
	int rc = value(&w, mode);

	if (rc == 0)
		ws(&w);
	if (rc == 0 && w.p == w.end && w.changed)
		redact_buf_put(&w.out, w.copied, (size_t)(w.end - w.copied));
	*out = w.out;
	*changed = w.changed;
	if (w.out.nomem)
		return -1;
	return rc == 0 && w.p == w.end ? 0 : 1;
}

int
redact_body(const struct redact *r, const char *body, size_t len, char **out, size_t *outlen)
{
	struct buf b;
	int changed, rc = redact_json_walk(r, body, len, 0, &b, &changed);

	*out = NULL;
	*outlen = 0;
	if (rc != 0 || !changed) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*outlen = b.n;
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The audit chain's building blocks: the stored time format, the canonical
 * encoding and row hash, and the Ed25519 key that signs retention anchors
 * (formats in audit.h). Pure functions but for the key file. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* vasprintf, asprintf */
#endif
#include "audit_int.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void
audit_seterr(char **err, const char *fmt, ...)
{
	va_list ap;

	free(*err);
	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
}

/* ------------------------------------------------------------------------- */
/* Time */

void
audit_time_format(long long us, char out[AUDIT_TIME_LEN + 1])
{
	long long sec = us / 1000000, frac = us % 1000000;
	char buf[96];
	time_t t;
	struct tm tm;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	t = (time_t)sec;
	gmtime_r(&t, &tm);
	/* A wide buffer keeps the compiler's truncation check quiet; fields fit 27. */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
	         (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	         tm.tm_sec, frac);
	memcpy(out, buf, AUDIT_TIME_LEN);
	out[AUDIT_TIME_LEN] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static int
digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

int
audit_time_parse(const char *s, long long *us)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	long long frac = 0, scale = 100000, v;

	if (s == NULL || digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
	    digits(&s, 2, &d) || (*s != 'T' && *s != 't' && *s != ' '))
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) || *s++ != ':' ||
	    digits(&s, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om) || oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*s != '\0')
		return -1;
	if (sec == 60)
		sec = 59; /* a leap second sorts with the second before it */
	v = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
	      sign * (oh * 3600 + om * 60)) *
	     1000000LL) +
	    frac;
	/* Stored times have four-digit years: an offset must not carry a time
	 * past 9999 or before 0000 in UTC, where it would no longer sort. */
	if (v < AUDIT_TIME_MIN_US || v > AUDIT_TIME_MAX_US)
		return -1;
	*us = v;
	return 0;
}

/* ------------------------------------------------------------------------- */
/* Canonical encoding and hash */

/* The bytes are collected (in place while they fit, which is nearly
 * always) and hashed in one call. */
#define SINK_LOCAL 2048

struct sink {
	char *buf; /* local, or malloc'd once it outgrows it */
	size_t len, cap;
	int failed;
	char local[SINK_LOCAL];
};

static void
sink_init(struct sink *s)
{
	s->buf = s->local;
	s->len = 0;
	s->cap = sizeof(s->local);
	s->failed = 0;
}

static void
sink_put(struct sink *s, const void *p, size_t n)
{
	if (s->failed)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t cap = (s->len + n + 1) * 2;
		char *nb = s->buf == s->local ? malloc(cap) : realloc(s->buf, cap);

		if (nb == NULL) {
			s->failed = 1;
			return;
		}
		if (s->buf == s->local)
			memcpy(nb, s->local, s->len);
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

/* The decimal digits of v (at most 20) at the end of out; returns the first. */
static char *
decimal(unsigned long long v, char out[24])
{
	char *p = out + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return p;
}

/* "<length>:<bytes>," of n bytes at p. */
static void
sink_netstring_n(struct sink *s, const char *p, size_t n)
{
	char num[24], *d = decimal(n, num);

	sink_put(s, d, (size_t)(num + 23 - d));
	sink_put(s, ":", 1);
	sink_put(s, p, n);
	sink_put(s, ",", 1);
}

static void
sink_netstring(struct sink *s, const char *p)
{
	sink_netstring_n(s, p ? p : "", p ? strlen(p) : 0);
}

/* A number as a netstring: "" when negative (no policy version). */
static void
sink_netstring_ll(struct sink *s, long long v)
{
	char num[24], *d = decimal(v < 0 ? 0 : (unsigned long long)v, num);

	sink_netstring_n(s, d, v < 0 ? 0 : (size_t)(num + 23 - d));
}

static void
canonical_emit(struct sink *s, const struct audit_row *r)
{
	sink_netstring(s, "lockset-audit-v1");
	if (r->id < 0) {
		/* Not a row id a chain holds, but encoded as before: "-N". */
		char num[24];

		snprintf(num, sizeof(num), "%lld", r->id);
		sink_netstring(s, num);
	} else {
		sink_netstring_ll(s, r->id);
	}
	sink_netstring(s, r->time);
	sink_netstring(s, r->action);
	sink_netstring(s, r->actor);
	sink_netstring(s, r->host);
	sink_netstring(s, r->component);
	sink_netstring(s, r->subject);
	sink_netstring(s, r->decision);
	sink_netstring(s, r->rules);
	sink_netstring(s, r->data);
	sink_netstring_ll(s, r->policy_version);
}

char *
audit_row_canonical(const struct audit_row *r, size_t *len)
{
	struct sink s;
	char *out;

	sink_init(&s);
	canonical_emit(&s, r);
	if (s.failed) {
		if (s.buf != s.local)
			free(s.buf);
		return NULL;
	}
	*len = s.len;
	if (s.buf != s.local)
		return s.buf;
	if ((out = malloc(s.len + 1)) != NULL)
		memcpy(out, s.buf, s.len + 1);
	return out;
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int
audit_row_hash(const struct audit_row *r, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct sink s;
	int result = -1;

	pthread_once(&sha256_once, sha256_fetch);
	sink_init(&s);
	sink_put(&s, r->prev_hash ? r->prev_hash : "", r->prev_hash ? strlen(r->prev_hash) : 0);
	canonical_emit(&s, r);
	if (s.failed || sha256_md == NULL ||
	    EVP_Digest(s.buf, s.len, md, &n, sha256_md, NULL) != 1 || n != 32)
		goto out;
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	result = 0;
out:
	if (s.buf != s.local)
		free(s.buf);
	return result;
}

/* ------------------------------------------------------------------------- */
/* Anchor signing key */

static EVP_PKEY *
key_create(const char *path, char **err)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *f = NULL;
	int fd = -1;

	if (k == NULL) {
		audit_seterr(err, "cannot generate the audit signing key");
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		audit_seterr(err, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		audit_seterr(err, "%s: cannot write the audit signing key", path);
		goto fail;
	}
	fclose(f);
	log_info("audit: created signing key %s", path);
	return k;
fail:
	if (f != NULL)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(path);
	EVP_PKEY_free(k);
	return NULL;
}

EVP_PKEY *
audit_key_load(const char *state_dir, char **err)
{
	char *path = NULL;
	FILE *f = NULL;
	EVP_PKEY *k = NULL;
	struct stat st;

	if (asprintf(&path, "%s/audit-signing.key", state_dir) < 0)
		return NULL;
	f = fopen(path, "re");
	if (f == NULL && errno == ENOENT) {
		k = key_create(path, err);
		goto out;
	}
	if (f == NULL) {
		audit_seterr(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
		log_warnx("audit: %s was readable by others; making it 0600", path);
		if (fchmod(fileno(f), 0600) != 0)
			log_warn("audit: chmod %s", path);
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (k == NULL || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		audit_seterr(err, "%s: not an Ed25519 private key", path);
		EVP_PKEY_free(k);
		k = NULL;
	}
out:
	if (f != NULL)
		fclose(f);
	free(path);
	return k;
}

char *
audit_anchor_message(long long rows, long long upto_id, const char *upto_hash)
{
	char *m = NULL;

	if (asprintf(&m, "lockset-audit-anchor-v1:%lld:%lld:%s", rows, upto_id, upto_hash) < 0)
		return NULL;
	return m;
}

json_t *
audit_anchor_data(struct audit *a, long long rows, long long upto_id, const char *upto_hash)
{
	char *msg = audit_anchor_message(rows, upto_id, upto_hash);
	unsigned char sig[64];
	char b64[96];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	json_t *data = NULL;

	if (msg == NULL || md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, a->key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, strlen(msg)) != 1)
		goto out;
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	data =
	    json_pack("{sI sI ss ss ss}", "rows", (json_int_t)rows, "upto_id", (json_int_t)upto_id,
	              "upto_hash", upto_hash, "public_key", a->pubkey_hex, "signature", b64);
out:
	EVP_MD_CTX_free(md);
	free(msg);
	return data;
}

int
audit_anchor_check(struct audit *a, const char *data, long long *upto_id, char *upto_hash)
{
	json_t *j = json_loads(data, 0, NULL);
	json_int_t rows = 0, upto = 0;
	const char *hash = NULL, *sig64 = NULL;
	unsigned char sig[96];
	char *msg = NULL;
	EVP_MD_CTX *md = NULL;
	int result = -1;

	if (j == NULL ||
	    json_unpack(j, "{sI sI ss ss}", "rows", &rows, "upto_id", &upto, "upto_hash", &hash,
	                "signature", &sig64) != 0 ||
	    strlen(hash) != 64)
		goto out;
	if (upto_id != NULL)
		*upto_id = upto;
	if (upto_hash != NULL)
		memcpy(upto_hash, hash, 65);
	/* 64 bytes are 88 base64 characters, which EVP_DecodeBlock counts as 66 */
	if (strlen(sig64) != 88 || EVP_DecodeBlock(sig, (const unsigned char *)sig64, 88) != 66)
		goto out;
	if ((msg = audit_anchor_message(rows, upto, hash)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, a->key) != 1 ||
	    EVP_DigestVerify(md, sig, 64, (const unsigned char *)msg, strlen(msg)) != 1)
		goto out;
	result = 0;
out:
	EVP_MD_CTX_free(md);
	free(msg);
	json_decref(j);
	return result;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Logging to stderr (foreground) or syslog (daemon), filtered by level.
 * Thread-safe: each message is formatted into one buffer and written once. */
#include "log.h"
#include "util/textsafe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static int log_to_stderr = 1;
static enum log_level log_threshold = LOG_LVL_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const int level_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

void
log_init(int to_stderr, enum log_level level)
{
	log_to_stderr = to_stderr;
	log_threshold = level;
	if (!to_stderr)
		openlog("locksetd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

static void log_vemit(enum log_level level, const char *errstr, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_vemit(enum log_level level, const char *errstr, const char *fmt, va_list ap)
{
	char msg[2048];
	int n;

	if (level > log_threshold)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (errstr != NULL && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", errstr);
	/* One message, one line, as text: a value from a caller (a request's
	 * path, percent-decoded) cannot end it, start a forged one or act on
	 * the terminal of whoever reads it (controls, C1 as UTF-8, U+2028,
	 * bidi overrides, bytes that are not UTF-8 all become '?'). */
	textsafe_replace(msg);
	if (log_to_stderr) {
		char line[2200];
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof(line), "%s.%03ldZ locksetd[%ld] %s: %s\n", stamp,
		             ts.tv_nsec / 1000000L, (long)getpid(), level_names[level], msg);
		if (n > 0) {
			size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
			ssize_t w = write(STDERR_FILENO, line, len);
			(void)w;
		}
	} else {
		syslog(level_prio[level], "%s", msg);
	}
}

#define LOG_DEFINE(name, level, with_errno)                                     \
	void name(const char *fmt, ...)                                         \
	{                                                                       \
		int saved = errno;                                              \
		va_list ap;                                                     \
		va_start(ap, fmt);                                              \
		log_vemit(level, with_errno ? strerror(saved) : NULL, fmt, ap); \
		va_end(ap);                                                     \
		errno = saved;                                                  \
	}

LOG_DEFINE(log_warn, LOG_LVL_WARN, 1)
LOG_DEFINE(log_warnx, LOG_LVL_WARN, 0)
LOG_DEFINE(log_info, LOG_LVL_INFO, 0)
LOG_DEFINE(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl, opened (dlopen) the first time the daemon needs it: only a host
 * with an upstream talks HTTP out. Linked, libcurl would bring seventeen more
 * libraries (Kerberos, LDAP, SASL, SSH, RTMP, ...) into every root daemon,
 * run their constructors at every start and keep 1.4 MiB of them resident,
 * on hosts that never use them. */
#ifndef LOCKSET_CURL_LOAD_H
#define LOCKSET_CURL_LOAD_H

#include <curl/curl.h>
#include <stddef.h>

/* The functions the upstream client uses, typed from libcurl's header. */
struct curl_api {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_reset) *easy_reset;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_perform) *multi_perform;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_poll) *multi_poll;
	__typeof__(curl_multi_wakeup) *multi_wakeup;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
	__typeof__(curl_version_info) *version_info;
};

/* The oldest libcurl the client works with: CURLOPT_PROTOCOLS_STR, which
 * keeps it to HTTP and HTTPS, is 7.85.0's. An older one would ignore it. */
#define CURL_LOAD_MIN_VERSION 0x075500

/* libcurl's functions, the library opened on the first call (from any
 * thread) and kept open; NULL, with why in err, when it cannot be opened,
 * lacks one of them or is older than CURL_LOAD_MIN_VERSION. Call it before
 * the system call filter is in place. */
const struct curl_api *curl_load(char *err, size_t errsz);

#endif

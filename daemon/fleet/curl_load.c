/* SPDX-License-Identifier: Apache-2.0 */
#include "curl_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The soname of libcurl's ABI since 7.16 (2006), the one its header describes. */
#define CURL_SONAME "libcurl.so.4"

/* Each name, and where its pointer goes in struct curl_api. */
#define SYM(f) "curl_" #f, offsetof(struct curl_api, f)
static const struct {
	const char *name;
	size_t offset;
} symbols[] = {
    {SYM(global_init)},   {SYM(global_cleanup)},   {SYM(easy_init)},
    {SYM(easy_cleanup)},  {SYM(easy_reset)},       {SYM(easy_setopt)},
    {SYM(easy_getinfo)},  {SYM(easy_strerror)},    {SYM(multi_init)},
    {SYM(multi_cleanup)}, {SYM(multi_add_handle)}, {SYM(multi_remove_handle)},
    {SYM(multi_perform)}, {SYM(multi_info_read)},  {SYM(multi_poll)},
    {SYM(multi_wakeup)},  {SYM(slist_append)},     {SYM(slist_free_all)},
    {SYM(version_info)},
};
#undef SYM
_Static_assert(sizeof(symbols) / sizeof(symbols[0]) ==
                   sizeof(struct curl_api) / sizeof(void (*)(void)),
               "every member of struct curl_api is looked up");

static struct curl_api api;
static int loaded;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	void *lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	const curl_version_info_data *v;
	size_t i;

	if (lib == NULL) {
		snprintf(why, sizeof(why), "cannot open %s: %s", CURL_SONAME, dlerror());
		return;
	}
	for (i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *f = dlsym(lib, symbols[i].name);

		if (f == NULL) {
			snprintf(why, sizeof(why), "%s has no %s", CURL_SONAME, symbols[i].name);
			return; /* left open: a library cannot always be closed safely */
		}
		/* POSIX guarantees that a dlsym result converts to the function's
		 * pointer; memcpy says so without the cast ISO C lacks. */
		memcpy((char *)&api + symbols[i].offset, &f, sizeof(f));
	}
	v = api.version_info(CURLVERSION_NOW);
	if (v == NULL || v->version_num < CURL_LOAD_MIN_VERSION) {
		snprintf(why, sizeof(why), "%s is %s: %d.%d.0 or later is needed", CURL_SONAME,
		         v != NULL && v->version != NULL ? v->version : "of an unknown version",
		         CURL_LOAD_MIN_VERSION >> 16, (CURL_LOAD_MIN_VERSION >> 8) & 0xff);
		return;
	}
	loaded = 1;
}

const struct curl_api *
curl_load(char *err, size_t errsz)
{
	pthread_once(&once, load);
	if (!loaded) {
		snprintf(err, errsz, "%s", why);
		return NULL;
	}
	return &api;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* GET /ui, /ui/ and /ui/{file}: the admin web UI (index.html and its ES
 * modules) and the policy schema it builds its editor from, served from the
 * copies compiled into the daemon. Every reply is prebuilt once, with
 * a strong ETag (304 on If-None-Match), no-cache and a strict CSP; the page
 * itself holds no secrets: its API calls carry the admin's bearer token. */
#include "util/embedded.h"
#include "util/etag.h"
#include "handlers.h"
#include "http/reply.h"
#include "policy/served.h"

#include <pthread.h>
#include <string.h>

/* Same-origin only: no inline script or style, no eval, no framing. */
#define UI_CSP                                                                            \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

struct ui_file {
	const char *name;  /* the {file} segment; "" for /ui/ */
	const char *embed; /* name in embedded_files */
	const char *type;  /* Content-Type */
	char etag[72];
	struct MHD_Response *r200, *r304;
};

#define JS "text/javascript; charset=utf-8"
static struct ui_file ui_files[] = {
    {"", "admin-ui-static/index.html", "text/html; charset=utf-8", "", NULL, NULL},
    {"index.html", "admin-ui-static/index.html", "text/html; charset=utf-8", "", NULL, NULL},
    {"app.js", "admin-ui-static/app.js", JS, "", NULL, NULL},
    {"api.js", "admin-ui-static/api.js", JS, "", NULL, NULL},
    {"audit.js", "admin-ui-static/audit.js", JS, "", NULL, NULL},
    {"chart.js", "admin-ui-static/chart.js", JS, "", NULL, NULL},
    {"controls.js", "admin-ui-static/controls.js", JS, "", NULL, NULL},
    {"diff.js", "admin-ui-static/diff.js", JS, "", NULL, NULL},
    {"dom.js", "admin-ui-static/dom.js", JS, "", NULL, NULL},
    {"editor.js", "admin-ui-static/editor.js", JS, "", NULL, NULL},
    {"flags.js", "admin-ui-static/flags.js", JS, "", NULL, NULL},
    {"hosts.js", "admin-ui-static/hosts.js", JS, "", NULL, NULL},
    {"overview.js", "admin-ui-static/overview.js", JS, "", NULL, NULL},
    {"panel.js", "admin-ui-static/panel.js", JS, "", NULL, NULL},
    {"policy.js", "admin-ui-static/policy.js", JS, "", NULL, NULL},
    {"review.js", "admin-ui-static/review.js", JS, "", NULL, NULL},
    {"schema.js", "admin-ui-static/schema.js", JS, "", NULL, NULL},
    {"settings.js", "admin-ui-static/settings.js", JS, "", NULL, NULL},
    {"tokens.js", "admin-ui-static/tokens.js", JS, "", NULL, NULL},
    {"users.js", "admin-ui-static/users.js", JS, "", NULL, NULL},
    {"style.css", "admin-ui-static/style.css", "text/css; charset=utf-8", "", NULL, NULL},
    /* The policy schema the daemon validates with: the editor is generated from it. */
    {"admin-settings.schema.json", "admin-settings.schema.json", "application/json; charset=utf-8",
     "", NULL, NULL},
};
#undef JS
#define UI_NFILES (sizeof(ui_files) / sizeof(ui_files[0]))

static struct MHD_Response *ui_redirect;
static pthread_once_t ui_once = PTHREAD_ONCE_INIT;
static int ui_ready;

/* The headers every UI reply carries, 304s included. 0 or -1. */
static int
add_common_headers(struct MHD_Response *r, const char *etag)
{
	static const char *const hdrs[][2] = {
	    {MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache"},
	    {"Content-Security-Policy", UI_CSP},
	    {"X-Content-Type-Options", "nosniff"},
	    {"Referrer-Policy", "no-referrer"},
	    {"X-Frame-Options", "DENY"},
	};

	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		if (MHD_add_response_header(r, hdrs[i][0], hdrs[i][1]) != MHD_YES)
			return -1;
	}
	if (etag != NULL && MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag) != MHD_YES)
		return -1;
	return 0;
}

/* Build one file's 200 and 304 replies. 0 or -1. */
static int
build_file(struct ui_file *f)
{
	const struct embedded_file *e = embedded_find(f->embed);

	if (e == NULL)
		return -1;
	etag_of(e->data, e->len, f->etag);
	f->r200 = MHD_create_response_from_buffer(e->len, (void *)e->data, MHD_RESPMEM_PERSISTENT);
	f->r304 = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (f->r200 == NULL || f->r304 == NULL || add_common_headers(f->r200, f->etag) != 0 ||
	    add_common_headers(f->r304, f->etag) != 0 ||
	    MHD_add_response_header(f->r200, MHD_HTTP_HEADER_CONTENT_TYPE, f->type) != MHD_YES)
		return -1;
	return 0;
}

static void
ui_build(void)
{
	for (size_t i = 0; i < UI_NFILES; i++) {
		if (build_file(&ui_files[i]) != 0)
			return;
	}
	ui_redirect = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (ui_redirect == NULL || add_common_headers(ui_redirect, NULL) != 0 ||
	    MHD_add_response_header(ui_redirect, MHD_HTTP_HEADER_LOCATION, "/ui/") != MHD_YES)
		return;
	ui_ready = 1;
}

static enum MHD_Result
serve(struct request *rq, const char *name)
{
	const char *inm;

	pthread_once(&ui_once, ui_build);
	if (!ui_ready)
		return reply_error(rq, ERR_INTERNAL, NULL, "the admin UI could not be prepared");
	for (size_t i = 0; i < UI_NFILES; i++) {
		struct ui_file *f = &ui_files[i];

		if (strcmp(f->name, name) != 0)
			continue;
		inm = http_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
		if (inm != NULL && etag_listed(inm, f->etag, 1))
			return reply_response(rq, 304, f->r304);
		return reply_response(rq, 200, f->r200);
	}
	return reply_error(rq, ERR_NOT_FOUND, NULL, "no such file in the admin UI: %s", name);
}

enum MHD_Result
h_ui_redirect(struct request *rq)
{
	pthread_once(&ui_once, ui_build);
	if (!ui_ready)
		return reply_error(rq, ERR_INTERNAL, NULL, "the admin UI could not be prepared");
	return reply_response(rq, 308, ui_redirect);
}

enum MHD_Result
h_ui_index(struct request *rq)
{
	return serve(rq, "");
}

enum MHD_Result
h_ui_file(struct request *rq)
{
	/* "" is the index's own slot, never a {file} value (segments are non-empty). */
	return serve(rq, rq->params[0]);
}

/* SPDX-License-Identifier: Apache-2.0 */
/* GET /v1/openapi.json: the OpenAPI 3.1 description of the REST API
 * (schema/openapi.json, compiled in), prebuilt once with a strong ETag and
 * served to anyone: it describes the API, it holds nothing secret. */
#include "util/embedded.h"
#include "util/etag.h"
#include "handlers.h"
#include "http/reply.h"
#include "policy/served.h"

#include <pthread.h>

static struct MHD_Response *spec_200, *spec_304;
static char spec_etag[72];
static pthread_once_t spec_once = PTHREAD_ONCE_INIT;

static void
spec_build(void)
{
	const struct embedded_file *e = embedded_find("openapi.json");
	struct MHD_Response *r200, *r304;

	if (e == NULL)
		return;
	etag_of(e->data, e->len, spec_etag);
	r200 = MHD_create_response_from_buffer(e->len, (void *)e->data, MHD_RESPMEM_PERSISTENT);
	r304 = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r200 == NULL || r304 == NULL ||
	    MHD_add_response_header(r200, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") !=
	        MHD_YES ||
	    MHD_add_response_header(r200, MHD_HTTP_HEADER_ETAG, spec_etag) != MHD_YES ||
	    MHD_add_response_header(r304, MHD_HTTP_HEADER_ETAG, spec_etag) != MHD_YES ||
	    MHD_add_response_header(r200, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache") != MHD_YES) {
		if (r200 != NULL)
			MHD_destroy_response(r200);
		if (r304 != NULL)
			MHD_destroy_response(r304);
		return;
	}
	spec_200 = r200;
	spec_304 = r304;
}

enum MHD_Result
h_openapi_get(struct request *rq)
{
	const char *inm = http_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);

	pthread_once(&spec_once, spec_build);
	if (spec_200 == NULL)
		return reply_error(rq, ERR_INTERNAL, NULL, "the API description is not available");
	if (inm != NULL && etag_listed(inm, spec_etag, 1))
		return reply_response(rq, 304, spec_304);
	return reply_response(rq, 200, spec_200);
}

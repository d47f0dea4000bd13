/* SPDX-License-Identifier: Apache-2.0 */
/* The Docker authorization plugin protocol on its own Unix socket:
 * /Plugin.Activate, /AuthZPlugin.AuthZReq (judged), /AuthZPlugin.AuthZRes
 * (always allowed). A malformed envelope gets "Err", which makes dockerd fail
 * the call: the plugin fails closed. */
#include "app.h"
#include "handlers.h"
#include "judge.h"
#include "jsonv.h"
#include "log.h"
#include "reply.h"

#include <stdlib.h>
#include <string.h>

#define PLUGIN_CONTENT_TYPE "application/vnd.docker.plugins.v1.1+json"

static enum MHD_Result
plugin_reply(struct request *rq, unsigned status, json_t *body)
{
	return reply_json_hdr(rq, status, body, MHD_HTTP_HEADER_CONTENT_TYPE, PLUGIN_CONTENT_TYPE);
}

/* {"Allow": false, "Msg": "", "Err": msg} with 500, as the Docker plugin
 * helpers answer an error. */
static enum MHD_Result
plugin_error(struct request *rq, const char *msg)
{
	log_warnx("authz: %s", msg);
	return plugin_reply(rq, 500,
	                    json_pack("{s:b, s:s, s:s}", "Allow", 0, "Msg", "", "Err", msg));
}

enum MHD_Result
h_plugin_activate(struct request *rq)
{
	return plugin_reply(rq, 200, json_pack("{s:[s]}", "Implements", "authz"));
}

/* Decode standard base64 (Go's encoding of []byte). Returns the length, or -1. */
static long
base64_decode(const char *in, size_t len, unsigned char *out)
{
	unsigned v = 0;
	int bits = 0;
	long n = 0;
	size_t pad = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		int d;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return -1; /* data after padding */
		if (c >= 'A' && c <= 'Z')
			d = c - 'A';
		else if (c >= 'a' && c <= 'z')
			d = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			d = c - '0' + 52;
		else if (c == '+')
			d = 62;
		else if (c == '/')
			d = 63;
		else
			return -1;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	if (pad > 2 || (len % 4) != 0)
		return -1;
	return n;
}

enum MHD_Result
h_authz_req(struct request *rq)
{
	static const struct jv_field fields[] = {{"User", JV_STRING | JV_NULL, 0},
	                                         {"UserAuthNMethod", JV_STRING | JV_NULL, 0},
	                                         {"RequestMethod", JV_STRING, 1},
	                                         {"RequestUri", JV_STRING, 1},
	                                         {"RequestBody", JV_STRING | JV_NULL, 0},
	                                         {"RequestHeaders", JV_OBJECT | JV_NULL, 0},
	                                         {"RequestPeerCertificates", JV_ARRAY | JV_NULL, 0},
	                                         {NULL, 0, 0}};
	struct problems errs = PROBLEMS_INIT;
	struct decide_request req = {0};
	struct judgement j;
	const char *b64;
	unsigned char *body = NULL;
	enum MHD_Result ret;
	json_t *reply;
	char msg[512];

	if (jv_check_object(rq->json, "", fields, &errs) != 0) {
		snprintf(msg, sizeof(msg), "lockset: malformed AuthZReq: %s: %s",
		         errs.v[0].path[0] ? errs.v[0].path : "/", errs.v[0].message);
		problems_clear(&errs);
		return plugin_error(rq, msg);
	}
	req.method = json_string_value(json_object_get(rq->json, "RequestMethod"));
	req.uri = json_string_value(json_object_get(rq->json, "RequestUri"));
	req.user = json_string_value(json_object_get(rq->json, "User"));
	b64 = json_string_value(json_object_get(rq->json, "RequestBody"));
	if (b64 != NULL && b64[0] != '\0') {
		size_t len = strlen(b64);
		long n;
		body = malloc(len / 4 * 3 + 3);
		if (body == NULL)
			return plugin_error(rq, "lockset: out of memory");
		n = base64_decode(b64, len, body);
		if (n < 0) {
			free(body);
			return plugin_error(rq, "lockset: malformed AuthZReq: /RequestBody: "
			                        "not base64");
		}
		req.body = (const char *)body;
		req.body_len = (size_t)n;
		req.has_body = n > 0;
	}
	judge_request(&req, "authz", req.user && req.user[0] ? req.user : "dockerd", &j);
	reply = json_pack("{s:b, s:s, s:s}", "Allow", j.d.allow, "Msg",
	                  j.d.allow ? "" : (j.message ? j.message : "lockset: denied"), "Err", "");
	ret = plugin_reply(rq, 200, reply);
	judge_clear(&j);
	free(body);
	return ret;
}

enum MHD_Result
h_authz_res(struct request *rq)
{
	/* Responses are not filtered: dockerd hands plugins at most 64 KiB of a
	 * response, so a policy there could not be enforced reliably. */
	return plugin_reply(rq, 200,
	                    json_pack("{s:b, s:s, s:s}", "Allow", 1, "Msg", "", "Err", ""));
}

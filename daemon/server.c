/* SPDX-License-Identifier: Apache-2.0 */
/* Stopping the daemon's state, in the one order that is safe. main.c and the
 * HTTP fuzz harness both end through here. */
#include "build-config.h"

#include "server.h"

#include "api/handlers.h"
#include "audit/audit.h"
#include "audit/audit_syslog.h"
#include "containers/containers.h"
#include "containers/engineinfo.h"
#include "decisions/inputs.h"
#include "decisions/judge.h"
#include "decisions/lookup.h"
#include "decisions/redact.h"
#include "fleet/bundleserve.h"
#include "fleet/fleetstore.h"
#include "fleet/upstream.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/tokens.h"
#include "policy/policylife.h"
#include "policy/policystore.h"
#include "policy/served.h"
#include "policy/userpolicy.h"
#include "policy/watch.h"
#include "proxy/proxy.h"
#include "util/ratelimit.h"

void
server_stop(struct server *s)
{
	proxy_stop(s->proxy); /* its connections may wait for judgements: first */
	watch_stop(s->watch);
	if (s->served != NULL)
		served_wake_all(s->served);
	lookup_stop(s->lookup); /* no request may wait for the engine past this */
	engineinfo_stop(s->engineinfo);
	if (s->http != NULL)
		http_stop(s->http, 3000);
	upstream_stop(s->upstream); /* after the HTTP threads, which read its state */
	proxy_free(s->proxy);       /* the plugin redeemed its tickets until http_stop */
	audit_checkpoint_stop(s->audit);
	lookup_free(s->lookup);
	engineinfo_free(s->engineinfo);
	judge_free(s->judge);
	containers_close(s->containers);
	if (s->served != NULL)
		served_stop(s->served);
	inputs_stop(s->inputs);
	bundleserve_close(s->bundles);
	fleetstore_close(s->fleetstore);
	audit_syslog_stop(s->audit);
	userpolicy_close(s->userpolicy);
	policylife_free(s->policylife);
	policystore_close(s->policystore);
	settings_api_free(s->settings);
	http_free(s->http);
	served_hub_free(s->served);
	tokens_close(s->tokens);
	auth_free(s->auth);
	audit_close(s->audit);
	ratelimit_free(s->events_limit);
	ratelimit_free(s->decisions_limit);
	ratelimit_free(s->reports_limit);
	redact_free(s->redact);
	*s = (struct server){.cfg = s->cfg};
}

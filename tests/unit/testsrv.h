/* SPDX-License-Identifier: Apache-2.0 */
/* The policy objects main.c makes, for the unit tests that need them: a
 * served hub (no settings file), an audit log in the test's directory, the
 * policy history and the per-user policies, in a struct server. */
#ifndef LOCKSET_TESTSRV_H
#define LOCKSET_TESTSRV_H

#include "server.h"
#include "audit/audit.h"
#include "policy/policystore.h"
#include "policy/served.h"
#include "policy/settings.h"
#include "policy/userpolicy.h"

#include <stdio.h>
#include <stdlib.h>

/* Open them in srv over dir. 0, or -1 with the reason on stderr. */
static inline int
testsrv_open(struct server *srv, const char *dir, const struct audit_opts *aopts)
{
	struct settings_env env;
	char *err = NULL;

	settings_env_default(&env);
	if ((srv->served = served_hub_new("/nonexistent/admin-settings.json", &env)) == NULL ||
	    (srv->audit = audit_open(dir, aopts, &err)) == NULL ||
	    (srv->policystore = policystore_open(audit_db(srv->audit))) == NULL ||
	    (srv->userpolicy = userpolicy_open(srv->served, srv->policystore, srv->audit, &err)) ==
	        NULL) {
		fprintf(stderr, "cannot open the policy objects: %s\n",
		        err ? err : "out of memory");
		free(err);
		return -1;
	}
	return 0;
}

/* Close what testsrv_open opened, the audit log last. */
static inline void
testsrv_close(struct server *srv)
{
	userpolicy_close(srv->userpolicy);
	policystore_close(srv->policystore);
	served_hub_free(srv->served);
	audit_close(srv->audit);
}

#endif

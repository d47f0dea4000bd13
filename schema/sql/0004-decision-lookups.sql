-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 4: lookups into decision rows. A decision's
-- row names the caller as actor and the user the request was about in
-- data.user; GET /v1/audit?user= filters by that user, and
-- GET /v1/decisions/{id} finds a decision by data.decisionId. Expression
-- indexes over the stored JSON, partial so rows without the member cost
-- nothing; the events table and its hash chain are unchanged.
CREATE INDEX events_user ON events(json_extract(data, '$.user'))
	WHERE json_extract(data, '$.user') IS NOT NULL;
CREATE INDEX events_decision_id ON events(json_extract(data, '$.decisionId'))
	WHERE json_extract(data, '$.decisionId') IS NOT NULL;

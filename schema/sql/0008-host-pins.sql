-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 8: what a reporting host is pinned to. A
-- central lockset takes the first caller that reports a host name, and the
-- first audit-checkpoint key that host shows, as the host's own: a report
-- for it from any other caller, or with a checkpoint signed by another key,
-- is refused until an admin forgets the host (DELETE /v1/hosts/{host}).
-- hosts.reporter already holds the caller of the last report, which is now
-- always the first one's.
ALTER TABLE hosts ADD COLUMN checkpoint_key TEXT NOT NULL DEFAULT ''; -- hex Ed25519 public key; '' none yet

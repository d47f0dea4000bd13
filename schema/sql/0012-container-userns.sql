-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 12: whether each recorded container runs
-- in the host's user namespace (--userns=host, or a namespace joined from a
-- container that does), which ECI judges again when it is started or
-- exec'd into. A fourth bit, 8 for the user namespace, moves the shared
-- bits up by one: ns = known | shared << 4 (bits 1 PID, 2 network, 4 IPC,
-- 8 user). Rows written before say nothing of the user namespace: the
-- engine is asked for it.
UPDATE containers SET ns = (ns & 7) | (((ns >> 3) & 7) << 4);

-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 7: the namespaces each recorded container
-- shares with the host. A create with --pid, --network or --ipc
-- container:NAME joins NAME's namespace, which is the host's when NAME
-- itself runs on it (a monitoring agent); the records now say so, as known
-- from the create's body or the engine's answer. Bits: 1 PID, 2 network,
-- 4 IPC; known in the low three, shared with the host in the next three
-- (ns = known | shared << 3). 0, every row written before: nothing known.
ALTER TABLE containers ADD COLUMN ns INTEGER NOT NULL DEFAULT 0;

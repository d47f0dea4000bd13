-- SPDX-License-Identifier: Apache-2.0
-- lockset state database, version 13: what each recorded container runs
-- with (its privileges, namespace modes, capabilities, devices, security
-- options, system paths, sysctls, runtime, cgroup parent, logging and
-- annotations, as the facts its create was judged by: JSON text), so that
-- a start is judged by deniedFlags as its create would be now: a container
-- made with --privileged before the policy denied it takes no start.
-- NULL, every row written before: not known, and the engine is asked.
ALTER TABLE containers ADD COLUMN flags TEXT;

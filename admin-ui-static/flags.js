// SPDX-License-Identifier: Apache-2.0
// What each containerPolicy.deniedFlags entry denies, in the words of the
// README's deny table: the vocabulary itself comes from the schema's enum, so a
// flag added there is offered at once (with a generic explanation until one is
// written here).

const FLAGS = {
  '--privileged': ['privileged', 'Privileged containers (HostConfig.Privileged, privileged exec) and managed plugin installs: full access to every host device and capability.'],
  '--pid=host': ['host-pid', 'Sharing the host\u2019s process namespace: the container sees and can signal every host process.'],
  '--ipc=host': ['host-ipc', 'Sharing the host\u2019s IPC namespace (shared memory, semaphores).'],
  '--uts=host': ['host-uts', 'Sharing the host\u2019s hostname and domain name.'],
  '--userns=host': ['host-userns', 'Opting out of user-namespace remapping: root in the container is root on the host.'],
  '--network=host': ['host-network', 'The host\u2019s network stack for containers and for builds (build networkmode=host).'],
  '--cgroupns=host': ['host-cgroupns', 'Sharing the host\u2019s cgroup namespace.'],
  '--cap-add=ALL': ['cap-add', 'Adding any capability at all (a requested ALL matches every denied capability).'],
  '--device': ['device', 'Host devices, GPUs (--gpus) and device cgroup rules, at create and update.'],
  '--security-opt=seccomp=unconfined': ['security-opt', 'Turning off the seccomp system-call filter.'],
  '--security-opt=apparmor=unconfined': ['security-opt', 'Turning off the AppArmor profile.'],
  '--security-opt=label=disable': ['security-opt', 'Turning off SELinux labelling.'],
  '--security-opt=systempaths=unconfined': ['security-opt', 'Unmasking /proc and /sys paths Docker hides or makes read-only by default.'],
  '--sysctl': ['sysctl', 'Setting any kernel parameter (HostConfig.Sysctls).'],
  '--runtime': ['runtime', 'Choosing the container runtime (HostConfig.Runtime) instead of the engine\u2019s default.'],
  '--cgroup-parent': ['cgroup-parent', 'Placing containers, and a build\u2019s step containers, under another cgroup.'],
  '--log-driver': ['log-driver', 'Choosing a logging driver: some make the engine, as root, connect where the request says.'],
  '--log-opt': ['log-opt', 'Setting any logging driver option (addresses, files, credentials).'],
  '--annotation': ['annotation', 'Passing annotations to the runtime, which may act on them (systemd scope properties under runc).'],
};

// capabilities(7), one line each.
const CAPS = {
  AUDIT_CONTROL: 'configure kernel auditing', AUDIT_READ: 'read the audit log', AUDIT_WRITE: 'write audit records',
  BLOCK_SUSPEND: 'block system suspend', BPF: 'load BPF programs and maps', CHECKPOINT_RESTORE: 'checkpoint and restore processes',
  CHOWN: 'change any file\u2019s owner', DAC_OVERRIDE: 'bypass file permission checks', DAC_READ_SEARCH: 'bypass read and search permission checks',
  FOWNER: 'bypass owner checks on files', FSETID: 'keep set-user-ID bits on changed files', IPC_LOCK: 'lock memory',
  IPC_OWNER: 'bypass IPC permission checks', KILL: 'signal any process', LEASE: 'take file leases',
  LINUX_IMMUTABLE: 'set immutable and append-only file flags', MAC_ADMIN: 'configure mandatory access control',
  MAC_OVERRIDE: 'override mandatory access control', MKNOD: 'create device files', NET_ADMIN: 'configure interfaces, routes and firewalls',
  NET_BIND_SERVICE: 'bind ports below 1024', NET_BROADCAST: 'broadcast and listen to multicast', NET_RAW: 'use raw and packet sockets',
  PERFMON: 'use performance monitoring', SETFCAP: 'set file capabilities', SETGID: 'change group IDs', SETPCAP: 'change capability sets',
  SETUID: 'change user IDs', SYS_ADMIN: 'mount file systems and much more (close to root)', SYS_BOOT: 'reboot the host',
  SYS_CHROOT: 'use chroot', SYS_MODULE: 'load kernel modules', SYS_NICE: 'raise priorities and change scheduling',
  SYS_PACCT: 'configure process accounting', SYS_PTRACE: 'trace any process', SYS_RAWIO: 'raw I/O to ports and memory',
  SYS_RESOURCE: 'override resource limits', SYS_TIME: 'set the system clock', SYS_TTY_CONFIG: 'configure terminals',
  SYSLOG: 'read and configure the kernel log', WAKE_ALARM: 'set wake-up alarms',
};

const CATEGORIES = [
  ['privilege', 'Privilege'],
  ['namespaces', 'Host namespaces'],
  ['security', 'Security options'],
  ['devices', 'Devices and kernel parameters'],
  ['capabilities', 'Capabilities (--cap-add)'],
  ['other', 'Other flags'],
];

function categoryOf(flag) {
  if (flag === '--privileged') return 'privilege';
  if (/^--[a-z]+=host$/.test(flag)) return 'namespaces';
  if (flag.startsWith('--security-opt')) return 'security';
  if (flag === '--device' || flag === '--sysctl') return 'devices';
  if (flag.startsWith('--cap-add=')) return 'capabilities';
  return 'other';
}

// {rule, text} for one flag.
export function explainFlag(flag) {
  if (FLAGS[flag]) return { rule: FLAGS[flag][0], text: FLAGS[flag][1] };
  const cap = /^--cap-add=(.+)$/.exec(flag);
  if (cap) {
    const what = CAPS[cap[1]];
    return { rule: 'cap-add', text: 'Adding CAP_' + cap[1] + (what ? ': ' + what + '.' : '.') };
  }
  return { rule: '', text: 'Requests that use ' + flag + '.' };
}

// The vocabulary grouped for display: [{id, label, flags: [...]}], in the
// schema's order within each group.
export function groupFlags(vocabulary) {
  return CATEGORIES.map(([id, label]) => ({ id, label, flags: vocabulary.filter((f) => categoryOf(f) === id) }))
    .filter((g) => g.flags.length > 0);
}

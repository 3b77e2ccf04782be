/**
 * A lab node: a network namespace plus its own mount, UTS, IPC and PID namespaces, whose PID 1 is a real sshd.
 * Its file-system view is the machine's, with copy-on-write overlays over the directories a provisioner writes,
 * so that a write on one node shows neither on another node nor on the machine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { quoteArg } from '../host/shell';
import type { LabNetworkManager, TopologyNode } from './topology';

// The files a boot runs for netstrap (kept in step with src/host/resources/sysctl.ts and persist.ts).
const SYSCTL_FILE = '/etc/sysctl.d/90-netstrap.conf';
const UNIT_LINK = '/etc/systemd/system/multi-user.target.wants/netstrap-network.service';

/** The file in a node's directory that names the network manager the lab runs in it, and the links it manages. */
export const MANAGER_FILE = 'network-manager';
/** systemd-networkd as Debian installs it. */
export const NETWORKD = '/lib/systemd/systemd-networkd';
/**
 * Inside a node: starts networkd in the background (its parent becomes the node's PID 1), its output appended to
 * <node dir>/networkd.log, then waits as network-online.target would: each managed link online (bounded: 2 s).
 * Reads $dir (the node directory) and $links.
 */
const NETWORKD_START = `setsid ${NETWORKD} >> "$dir/networkd.log" 2>&1 < /dev/null &
  i=0
  for link in $links; do
    while [ $i -lt 100 ]; do
      index=$(cat "/sys/class/net/$link/ifindex" 2>/dev/null || echo none)
      grep -qs '^ONLINE_STATE=online' "/run/systemd/netif/links/$index" && break
      sleep 0.02; i=$((i + 1))
    done
  done`;

/** The script `lab service … start` runs inside a node to start its networkd. */
export function startNetworkdScript(dir: string): string {
  return `dir=${quoteArg(dir)}\nread -r manager links < "$dir/${MANAGER_FILE}"\n${NETWORKD_START}\n`;
}

/** Directories given a per-node copy-on-write overlay (when they exist on the machine). */
export const OVERLAID = ['etc', 'var/lib', 'opt', 'usr/local'] as const;

/** Directory of a node under the state dir. */
export function nodeDir(stateDir: string, node: string): string {
  return path.join(stateDir, 'nodes', node);
}

/** The overlay upper directory of one overlaid path of a node, e.g. upperDir(dir, 'etc'). */
export function upperDir(dir: string, overlaid: (typeof OVERLAID)[number]): string {
  return path.join(dir, 'fs', overlaid.replace('/', '-'), 'upper');
}

/**
 * The node's init, run by `unshare` as PID 1 of the node: private mounts, then exec sshd (so sshd is PID 1 and
 * killing it ends every process of the node). $1 is the node directory.
 */
export const INIT_SCRIPT = `#!/bin/sh
# netstrap lab node init: PID 1 of a node's mount/UTS/IPC/PID namespaces until it becomes sshd.
set -eu
dir="$1"
# The node's copies of the /run/netns mounts would pin every lab namespace: drop them from this view.
umount -l /run/netns 2>/dev/null || true
# Upper dirs live in the state dir. Where overlayfs refuses that file system as upper (an overlay root, as in some
# containers) or NETSTRAP_LAB_UPPER=tmpfs, they move to a tmpfs private to this node, seeded from the state dir.
upper="$dir/fs"
overlay() { mount -t overlay netstrap-lab -o "lowerdir=/$1,upperdir=$upper/$2/upper,workdir=$upper/$2/work" "/$1"; }
if [ "\${NETSTRAP_LAB_UPPER:-}" = tmpfs ] || ! overlay etc etc 2>/dev/null; then
  mount -t tmpfs -o mode=0700,size=512m tmpfs "$dir/tmpfs"
  for key in $(ls "$dir/fs"); do
    mkdir -p "$dir/tmpfs/$key/upper" "$dir/tmpfs/$key/work"
    cp -a "$dir/fs/$key/upper/." "$dir/tmpfs/$key/upper/"
  done
  upper="$dir/tmpfs"
  overlay etc etc
  # A reboot (lab reboot) cannot keep this node's disk: the tmpfs goes with the node.
  echo tmpfs > "$dir/upper-mode"
fi
for d in ${OVERLAID.filter((d) => d !== 'etc').join(' ')}; do
  [ -d "/$d" ] || continue
  overlay "$d" "$(echo "$d" | tr / -)"
done
mount --bind "$dir/root" /root
mount -t tmpfs -o mode=0755,size=64m tmpfs /run
mkdir -m 0755 /run/sshd
mount -t tmpfs -o mode=1777,size=256m tmpfs /tmp
# kernel.*, vm.*, fs.* are the machine's: read-only here; net.* belongs to the node's network namespace.
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount --bind /proc/sys/net /proc/sys/net
mount -o remount,bind,rw /proc/sys/net
hostname "$(cat /etc/hostname)"
# A network manager the lab runs (lab.networkManager), first, as systemd starts it on a real host.
if [ -f "$dir/${MANAGER_FILE}" ]; then
  read -r manager links < "$dir/${MANAGER_FILE}"
  # networkd waits for udev forever unless it believes it runs in a container: read-only /sys, /run/systemd/container.
  mount -o remount,ro /sys
  mkdir -p /run/systemd
  echo netstrap-lab > /run/systemd/container
  # The system bus, as on an installed server: networkctl (reload, reconfigure) talks to networkd through it.
  mkdir -p /run/dbus
  dbus-daemon --system --fork || echo "netstrap lab: dbus-daemon failed"
  if [ "$manager" = netplan ]; then netplan generate || echo "netstrap lab: netplan generate failed"; fi
  ${NETWORKD_START}
  echo "netstrap lab: systemd-networkd started ($manager)"
fi
if [ "\${2:-}" = boot ]; then
  # What the machine's boot would run for netstrap: systemd-sysctl with its file, then its enabled unit.
  if [ -f ${SYSCTL_FILE} ]; then sysctl -q -p ${SYSCTL_FILE} || echo "netstrap lab boot: sysctl -p ${SYSCTL_FILE} failed"; fi
  unit=${UNIT_LINK}
  if [ -e "$unit" ]; then
    command=$(sed -n 's/^ExecStart=//p' "$unit")
    if [ -n "$command" ]; then sh -c "$command" || echo "netstrap lab boot: $command failed"; fi
  fi
  echo "netstrap lab boot: done"
fi
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
`;

/** Where Debian's containernetworking-plugins package installs the CNI plugins on this machine. */
export const MACHINE_CNI_PLUGINS = '/usr/lib/cni';

/**
 * Installs the machine's CNI plugins into the node's CNI bin directory (cni.binDir, /opt/cni/bin by default), as a
 * node would after installing them there: one symbolic link per plugin in the node's copy-on-write upper dir, so
 * the node runs the real binaries while neither the machine nor another node sees the directory. Nothing to do
 * when binDir is the machine's own plugin directory, or lies outside the overlaid directories (then it is the
 * machine's, shared by every node).
 */
export function installCniPlugins(dir: string, binDir: string, source = MACHINE_CNI_PLUGINS): void {
  if (!fs.existsSync(source) || path.resolve(binDir) === path.resolve(source)) return;
  const overlaid = OVERLAID.find((o) => binDir.startsWith(`/${o}/`));
  if (!overlaid) return;
  const target = path.join(upperDir(dir, overlaid), binDir.slice(overlaid.length + 2));
  fs.mkdirSync(target, { recursive: true, mode: 0o755 });
  for (const plugin of fs.readdirSync(source)) fs.symlinkSync(path.join(source, plugin), path.join(target, plugin));
}

/** Creates the node directory: overlay dirs, a private /root with the lab key, and seeded /etc files. */
export function prepareNodeDir(
  dir: string,
  node: TopologyNode,
  files: { controller: string; authorizedKey: string; sshdConfig: string },
): void {
  for (const overlaid of OVERLAID) {
    const key = overlaid.replace('/', '-');
    fs.mkdirSync(path.join(dir, 'fs', key, 'upper'), { recursive: true, mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'fs', key, 'work'), { recursive: true, mode: 0o755 });
  }
  fs.mkdirSync(path.join(dir, 'tmpfs'), { mode: 0o700 });
  const etc = upperDir(dir, 'etc');
  fs.mkdirSync(path.join(etc, 'ssh'), { mode: 0o755 });
  fs.writeFileSync(path.join(etc, 'hostname'), `${node.name}\n`);
  fs.writeFileSync(
    path.join(etc, 'hosts'),
    ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${node.address}\t${node.name}`, ''].join(
      '\n',
    ),
  );
  // A harmless resolver: the controller's address on the lab bridge, where nothing answers DNS.
  fs.writeFileSync(
    path.join(etc, 'resolv.conf'),
    `# netstrap lab: no real resolver inside the lab\nnameserver ${files.controller}\n`,
  );
  fs.writeFileSync(path.join(etc, 'ssh', 'sshd_config'), files.sshdConfig);
  if (node.networkManager) writeManagerFiles(dir, node, node.networkManager);
  // sshd's StrictModes wants root-owned, not group/world-writable home and .ssh.
  fs.mkdirSync(path.join(dir, 'root', '.ssh'), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.join(dir, 'root'), 0o700);
  fs.writeFileSync(path.join(dir, 'root', '.ssh', 'authorized_keys'), `${files.authorizedKey}\n`, { mode: 0o600 });
}

/**
 * What an installer or cloud-init would have written for the node's network manager: a .network file per LAN
 * interface holding its first declared address (networkd), or one netplan YAML (netplan, turned into .network files
 * by `netplan generate` at each start); and the node directory's MANAGER_FILE, which the init script reads.
 */
function writeManagerFiles(dir: string, node: TopologyNode, manager: LabNetworkManager): void {
  const etc = upperDir(dir, 'etc');
  if (manager === 'networkd') {
    const networkDir = path.join(etc, 'systemd', 'network');
    fs.mkdirSync(networkDir, { recursive: true, mode: 0o755 });
    for (const port of node.ports) {
      const address = port.addresses[0];
      fs.writeFileSync(
        path.join(networkDir, `10-${port.name}.network`),
        ['[Match]', `Name=${port.name}`, '', '[Network]', ...(address ? [`Address=${address}`] : []), ''].join('\n'),
      );
    }
  } else {
    fs.mkdirSync(path.join(etc, 'netplan'), { recursive: true, mode: 0o755 });
    const ethernets = node.ports.flatMap((port) =>
      port.addresses[0] ? [`    ${port.name}:`, `      addresses: [${port.addresses[0]}]`] : [`    ${port.name}: {}`],
    );
    // netplan warns about a YAML others can read.
    fs.writeFileSync(
      path.join(etc, 'netplan', '50-lab.yaml'),
      ['network:', '  version: 2', '  renderer: networkd', '  ethernets:', ...ethernets, ''].join('\n'),
      { mode: 0o600 },
    );
  }
  fs.writeFileSync(path.join(dir, MANAGER_FILE), `${manager} ${node.ports.map((p) => p.name).join(' ')}\n`);
}

/** The argv that starts a node: enter its network namespace, unshare the rest, run the init script. */
export function launcherArgv(netns: string, initScript: string, dir: string, boot = false): string[] {
  return [
    'ip',
    'netns',
    'exec',
    netns,
    'unshare',
    '--mount',
    '--uts',
    '--ipc',
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
    '--propagation',
    'private',
    '/bin/sh',
    initScript,
    dir,
    ...(boot ? ['boot'] : []),
  ];
}

/** Starts a node in the background (own session, logs to <dir>/sshd.log); returns the launcher's pid. */
export function startNode(netns: string, initScript: string, dir: string, boot = false): number {
  const log = fs.openSync(path.join(dir, 'sshd.log'), 'w');
  try {
    // zx loads here only: the commands that merely check a lab's nodes (src/lab/attach.ts) do not need it.
    const { $ } = require('zx/core') as typeof import('zx/core');
    // `exec`: the recorded pid is the launcher itself (isLauncher and the sshd's parent check rely on it).
    const argv = launcherArgv(netns, initScript, dir, boot);
    const launcher = $({ detached: true, stdio: ['ignore', log, log], nothrow: true, quiet: true })`exec ${argv}`;
    launcher.child?.unref();
    if (launcher.pid === undefined) throw new Error(`cannot start ${argv.join(' ')}`);
    return launcher.pid;
  } finally {
    fs.closeSync(log);
  }
}

/** The process's command line, or undefined when it has ended (zombies count as ended). */
export function cmdline(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return undefined;
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** Parent pid of a live process. */
function parentPid(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The direct children of a process. */
export function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .filter((p) => parentPid(p) === pid);
  }
}

/** True when the pid still runs the recorded launcher of the node at `dir`. */
export function isLauncher(pid: number, dir: string): boolean {
  const line = cmdline(pid);
  return line?.includes('unshare') === true && line.includes(dir);
}

/** True when the pid still is the sshd started by that launcher. */
export function isNodeSshd(pid: number, launcherPid: number): boolean {
  const line = cmdline(pid);
  return line?.includes('sshd') === true && parentPid(pid) === launcherPid;
}

/** How long a launcher may take from fork to exec before it counts as stuck. */
const EXEC_GRACE_MS = 5000;

export type Readiness = { ok: true; sshdPid: number } | { ok: false; error: string };

/** Waits (bounded) until the node's sshd logs "Server listening on", the launcher dies, or time runs out. */
export async function waitReady(launcherPid: number, dir: string, deadline: number): Promise<Readiness> {
  const logFile = path.join(dir, 'sshd.log');
  for (;;) {
    const log = fs.readFileSync(logFile, 'utf8');
    if (log.includes('Server listening on')) {
      const sshd = childrenOf(launcherPid).find((pid) => isNodeSshd(pid, launcherPid));
      if (sshd !== undefined) return { ok: true, sshdPid: sshd };
    }
    if (cmdline(launcherPid) === undefined)
      return { ok: false, error: `node exited: ${log.trim().split('\n').slice(-5).join(' | ') || 'no output'}` };
    // Between fork and exec the launcher does not look like one yet; give up only once it does (or is stuck), so
    // that the teardown after a failure recognises it and ends it instead of leaving it running.
    const launched = isLauncher(launcherPid, dir);
    if (Date.now() > deadline && (launched || Date.now() > deadline + EXEC_GRACE_MS)) {
      return {
        ok: false,
        error: `sshd not ready in time: ${log.trim().split('\n').slice(-5).join(' | ') || 'no output'}`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends SIGKILL to pid only when `matches(pid)` still holds; then waits (bounded) for it to end. */
export async function killIfMatches(
  pid: number | undefined,
  matches: (pid: number) => boolean,
  deadline: number,
): Promise<boolean> {
  if (pid === undefined || pid <= 1 || !matches(pid)) return false;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return false;
  }
  while (cmdline(pid) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return true;
}

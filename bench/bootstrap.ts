/**
 * The bootstrap section of `npm run bench`: the node-prep plan of bench/lab-cluster.ts applied to N real lab
 * nodes (`netstrap lab`: network namespaces running OpenSSH) by
 * - netstrap: `bin/netstrap bootstrap <file> --json --ssh-config <lab ssh_config>`, first run on a fresh lab, then
 *   the no-op re-run (timed as the CLI process users run, and as the engine's own durationMs from --json);
 * - Ansible (ansible-core 2.14, bench/ansible/node-prep.yml) with its best settings: gather_facts off,
 *   forks = N, pipelining on, ControlMaster auto + ControlPersist 60s (the re-run reuses the first run's masters);
 * - BundleWrap (bench/bundlewrap.ts, the bundle in bench/bundlewrap/) with its best settings;
 * - two floors on every lab: a fresh `ssh <node> true` to every node at once (OpenSSH client, the lab's
 *   ssh_config), and one Node process opening one ssh2 connection per node (bench/ssh2-floor.ts).
 * Each repetition uses a fresh lab per tool. After the first repetition every tool's node state is snapshotted and
 * compared with netstrap's (see normalizeSnapshot). Round trips: netstrap's from --json; the peers' by ssh/sftp/scp
 * wrappers that log every invocation (each is one SSH session over the ControlMaster).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { DEFAULT_CONCURRENCY } from '../src/host/defaults';
import { labDown, labExec, labUp, LabState, readState } from '../src/lab';
import { run as runCommand } from '../src/lab/exec';
import { loadClusterFile } from '../src/model/load';
import { bootstrapReport, Cost, SizeResult, Tool, ToolRun } from './bootstrap-report';
import { bundlewrapRun, bundlewrapVersion, ensureBundlewrap } from './bundlewrap';
import { ssh2Floor } from './floors';
import { labClusterText } from './lab-cluster';
import { labSshdCpuMs, machineBusyMs, measure } from './measure';
import { nodePrepValues, sessionsPerHost, writeSessionWrappers } from './peers';
import { median, progress, run } from './stats';

export interface BootstrapBenchOptions {
  sizes: number[];
  repetitions: number;
  /** Also run Ansible (installs ansible-core with apt-get when missing). */
  ansible: boolean;
  /** BundleWrap: 'install' installs it with apt-get when missing; 'if-present' skips it, with a line saying so. */
  bundlewrap: 'install' | 'if-present' | false;
  /** Also time bin/netstrap on its compiled lib/ (`npm run build`, as `npm ci` leaves a clone). */
  compiled: boolean;
  /** Runs of each peer (Ansible, BundleWrap) per size where fewer than `repetitions` (minutes per run). */
  peerRuns?: Partial<Record<'ansible' | 'bundlewrap', Record<number, number>>>;
  /** Sizes at which netstrap also runs through tsx. @default every size */
  tsxSizes?: number[];
  /** Write a V8 CPU profile of every compiled netstrap run to bench/out/prof. */
  profile?: boolean;
}

const ROOT = path.join(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const NETSTRAP = path.join(ROOT, 'bin', 'netstrap');

/** Runs the bootstrap benchmark; returns its markdown section and the problems found. */
export async function bootstrapBench(
  options: BootstrapBenchOptions,
): Promise<{ markdown: string; problems: string[] }> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) {
    return { markdown: 'Not measured: `netstrap lab` needs root.', problems: ['bootstrap: not root, no lab'] };
  }
  if (options.ansible) ensureAnsible();
  const skipped: string[] = [];
  let bundlewrap = options.bundlewrap !== false;
  if (options.bundlewrap === 'install') ensureBundlewrap();
  else if (bundlewrap && !bundlewrapVersion()) {
    bundlewrap = false;
    skipped.push(
      "BundleWrap not measured: `bw` is not installed (the full run installs Debian's bundlewrap with apt-get).",
    );
    progress(skipped[skipped.length - 1]);
  }
  const compiledCli = options.compiled ? buildCli() : undefined;
  const results: SizeResult[] = [];
  const notes: string[] = [];
  const largest = Math.max(...options.sizes);
  for (const n of options.sizes) {
    const file = path.join(OUT, `lab-${n}.yaml`);
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(file, labClusterText(n));
    const empty = (): Record<Tool, ToolRun[]> => ({ netstrap: [], 'netstrap-js': [], ansible: [], bundlewrap: [] });
    const result: SizeResult = { n, floor: [], ssh2Floor: [], first: empty(), rerun: empty(), labUpMs: [] };
    results.push(result);
    const snapshots: Partial<Record<Tool, Map<string, unknown>>> = {};
    const tools: Tool[] = [
      ...(options.tsxSizes === undefined || options.tsxSizes.includes(n) ? ['netstrap' as const] : []),
      ...(compiledCli ? ['netstrap-js' as const] : []),
      ...(bundlewrap ? ['bundlewrap' as const] : []),
      ...(options.ansible ? ['ansible' as const] : []),
    ];
    const floorTool = tools.includes('netstrap-js') ? 'netstrap-js' : tools[0];
    const snapshotTool = tools.find((t) => t.startsWith('netstrap'));
    const runsOf = (tool: Tool) =>
      (tool === 'ansible' || tool === 'bundlewrap' ? options.peerRuns?.[tool]?.[n] : undefined) ?? options.repetitions;
    for (let r = 0; r < options.repetitions; r++) {
      for (const tool of tools.filter((t) => r < runsOf(t))) {
        progress(`bootstrap N=${n} ${tool} run ${r + 1}/${runsOf(tool)}`);
        try {
          await withLab(file, n, result, async (state) => {
            // The OpenSSH floor takes ~0.1 s of CPU per node (its post-quantum key exchange): measured on one lab per
            // repetition (netstrap's), the ssh2 floor on every lab.
            if (tool === floorTool) result.floor.push(await floor(state));
            result.ssh2Floor.push(
              await costOf(state, async () => {
                const run = await ssh2Floor(state, DEFAULT_CONCURRENCY);
                return {
                  ms: run.ms,
                  cpuMs: run.cpuMs,
                  rssMb: run.maxRssMb,
                  engineMs: run.engineMs,
                  roundTrips: 1,
                  changedHosts: 0,
                };
              }),
            );
            const once = (extra: string[] = []) =>
              costOf(state, () =>
                tool === 'ansible'
                  ? ansibleRun(file, state, n)
                  : tool === 'bundlewrap'
                    ? bundlewrapRun(file, state, n)
                    : netstrapRun(
                        tool === 'netstrap' ? 'tsx' : 'compiled',
                        file,
                        state,
                        extra,
                        options.profile === true && n === largest,
                      ),
              );
            const first = await once();
            const rerun = await once();
            result.first[tool].push(first);
            result.rerun[tool].push(rerun);
            if (first.changedHosts !== n)
              problems.push(`bootstrap N=${n} ${tool} first run: ${first.changedHosts} of ${n} hosts changed`);
            if (rerun.changedHosts !== 0)
              problems.push(`bootstrap N=${n} ${tool} re-run: ${rerun.changedHosts} hosts changed (not idempotent)`);
            // At the largest size: is the concurrency limit what bounds netstrap? The same re-run, every host at once.
            if (tool === 'netstrap-js' && n === largest && n > DEFAULT_CONCURRENCY) {
              result.rerunAllAtOnce ??= [];
              result.rerunAllAtOnce.push(await once(['--concurrency', String(n)]));
            }
            // netstrap's state from the first of its two launch paths that ran at this size (the same engine).
            if (r === 0 && (tool === snapshotTool || tool === 'ansible' || tool === 'bundlewrap'))
              snapshots[tool] = await snapshot(state);
          });
        } catch (error) {
          problems.push(`bootstrap N=${n} ${tool}: ${(error as Error).message.split('\n').slice(0, 8).join(' ')}`);
        }
      }
    }
    for (const peer of ['ansible', 'bundlewrap'] as const) {
      const mine = snapshots.netstrap ?? snapshots['netstrap-js'];
      const theirs = snapshots[peer];
      if (!mine || !theirs) continue;
      const label = peer === 'ansible' ? 'Ansible' : 'BundleWrap';
      const differing = [...mine].filter(([node, s]) => !isDeepStrictEqual(s, theirs.get(node)));
      if (differing.length) {
        const [node, s] = differing[0] as [string, Record<string, unknown>];
        const other = theirs.get(node) as Record<string, unknown> | undefined;
        const fields = Object.keys(s).filter((k) => !isDeepStrictEqual(s[k], other?.[k]));
        problems.push(
          `bootstrap N=${n}: node state differs between netstrap and ${label} on ${differing.length} node(s); first ${node}: ` +
            fields
              .map((k) => `${k}: netstrap ${JSON.stringify(s[k])} vs ${label} ${JSON.stringify(other?.[k])}`)
              .join('; ')
              .slice(0, 1500),
        );
      } else {
        notes.push(
          `N=${n}: all ${mine.size} nodes identical after netstrap and after ${label} (normalized snapshot, see bench/README.md).`,
        );
      }
    }
  }
  const markdown = bootstrapReport(results, {
    repetitions: options.repetitions,
    concurrency: DEFAULT_CONCURRENCY,
    notes,
    skipped,
  });
  return { markdown, problems };
}

/** Runs one measured command and adds what the lab's sshds and the whole machine spent meanwhile. */
async function costOf<T extends Omit<ToolRun, 'sshdCpuMs' | 'machineBusy'>>(
  state: LabState,
  body: () => Promise<T>,
): Promise<T & Cost> {
  const sshd = labSshdCpuMs(state);
  const busy = machineBusyMs();
  const started = performance.now();
  const run = await body();
  const elapsed = performance.now() - started;
  return {
    ...run,
    sshdCpuMs: labSshdCpuMs(state) - sshd,
    machineBusy: (machineBusyMs() - busy) / (os.cpus().length * elapsed),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Lab, floor, tools

async function withLab(
  file: string,
  n: number,
  result: SizeResult,
  body: (state: LabState) => Promise<void>,
): Promise<void> {
  const stateDir = path.join(OUT, `lab-state-${n}`);
  if (readState(stateDir)) await labDown(stateDir);
  else fs.rmSync(stateDir, { recursive: true, force: true });
  const started = Date.now();
  const state = await labUp(loadClusterFile(file), { stateDir });
  result.labUpMs.push(Date.now() - started);
  try {
    await body(state);
  } finally {
    await labDown(stateDir);
  }
}

/** Runs a command (zx, via src/lab/exec.ts); resolves with its exit code and wall time (ms), bounded by timeoutMs. */
async function timed(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ status: number | null; ms: number; stdout: string; stderr: string }> {
  const started = performance.now();
  const output = await runCommand(argv, {
    cwd: options.cwd ?? ROOT,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 600000,
    allowFailure: true,
  });
  return { ...output, ms: performance.now() - started };
}

/** The floor: a fresh OpenSSH connection running `true` on every node, all at once. */
async function floor(state: LabState): Promise<number> {
  const started = performance.now();
  const runs = await Promise.all(
    state.nodes.map((node) =>
      timed(['ssh', '-F', state.sshConfigFile, '-o', 'ControlMaster=no', '-o', 'ControlPath=none', node.name, 'true'], {
        timeoutMs: 60000,
      }),
    ),
  );
  const failed = runs.filter((r) => r.status !== 0);
  if (failed.length) throw new Error(`floor: ssh true failed on ${failed.length} node(s): ${failed[0].stderr.trim()}`);
  return performance.now() - started;
}

/** Builds lib/ as `npm ci` does (its `prepare` script) for the compiled rows: bin/netstrap runs lib/ only. */
function buildCli(): boolean {
  progress('building lib/ (npm run build) for the compiled rows');
  run(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')],
    { cwd: ROOT },
  );
  return true;
}

/** The compiled CLI users run (bin/netstrap on lib/), or the development launcher (`npm run netstrap`, tsx). */
const LAUNCHER: Record<'tsx' | 'compiled', string[]> = {
  tsx: [process.execPath, '--import', 'tsx', path.join(ROOT, 'scripts', 'netstrap.ts')],
  compiled: [NETSTRAP],
};

async function netstrapRun(mode: 'tsx' | 'compiled', file: string, state: LabState, extra: string[], profile: boolean) {
  // --cpu-prof is refused in NODE_OPTIONS: the compiled CLI runs under `node --cpu-prof` instead.
  const launcher =
    profile && mode === 'compiled'
      ? [process.execPath, '--cpu-prof', '--cpu-prof-dir', path.join(OUT, 'prof'), NETSTRAP]
      : LAUNCHER[mode];
  const child = await measure(
    [...launcher, 'bootstrap', file, '--json', '--ssh-config', state.sshConfigFile, ...extra],
    { cwd: ROOT, timeoutMs: 600000 },
  );
  if (child.status !== 0)
    throw new Error(`netstrap bootstrap (${mode}) exited ${child.status}: ${child.stderr.slice(-2000)}`);
  const result = JSON.parse(child.stdout) as {
    ok: boolean;
    durationMs: number;
    hosts: Array<{ status: string; changes: number; roundTrips: number; verifyRoundTrips: number }>;
  };
  if (!result.ok) throw new Error(`netstrap bootstrap failed: ${child.stdout.slice(0, 1000)}`);
  return {
    ms: child.ms,
    cpuMs: child.cpuMs,
    rssMb: child.maxRssMb,
    engineMs: result.durationMs,
    roundTrips: median(result.hosts.map((h) => h.roundTrips + h.verifyRoundTrips)),
    changedHosts: result.hosts.filter((h) => h.changes > 0).length,
  };
}

function ensureAnsible(): void {
  try {
    run('ansible-playbook', ['--version']);
  } catch {
    progress('installing ansible-core (apt-get)');
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'ansible-core'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
}

/** Writes the Ansible working directory of a lab: config, inventory with every host's values, ssh/sftp wrappers. */
function ansibleDir(file: string, state: LabState, n: number): { dir: string; log: string } {
  const dir = path.join(OUT, `ansible-${n}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'cp'), { recursive: true });
  const log = path.join(dir, 'ssh.log');
  writeSessionWrappers(dir, log);
  const hosts = Object.fromEntries(nodePrepValues(file));
  fs.writeFileSync(
    path.join(dir, 'inventory.json'),
    JSON.stringify(
      {
        all: { hosts, vars: { ansible_python_interpreter: '/usr/bin/python3' } },
      },
      null,
      1,
    ),
  );
  fs.writeFileSync(
    path.join(dir, 'ansible.cfg'),
    [
      '[defaults]',
      `inventory = ${path.join(dir, 'inventory.json')}`,
      `forks = ${n}`,
      'host_key_checking = True',
      'retry_files_enabled = False',
      `local_tmp = ${path.join(dir, 'tmp')}`,
      '',
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = -F ${state.sshConfigFile} -o ControlMaster=auto -o ControlPersist=60s`,
      `control_path_dir = ${path.join(dir, 'cp')}`,
      `ssh_executable = ${path.join(dir, 'ssh')}`,
      `sftp_executable = ${path.join(dir, 'sftp')}`,
      `scp_executable = ${path.join(dir, 'scp')}`,
      '',
    ].join('\n'),
  );
  return { dir, log };
}

const ansibleDirs = new Map<string, { dir: string; log: string }>();

async function ansibleRun(file: string, state: LabState, n: number) {
  // The first run of a lab writes the directory; the re-run reuses it (and its persisted control masters).
  let setup = ansibleDirs.get(state.stateDir + state.nodes[0].pid);
  if (!setup) {
    setup = ansibleDir(file, state, n);
    ansibleDirs.set(state.stateDir + state.nodes[0].pid, setup);
  }
  fs.writeFileSync(setup.log, '');
  const result = await measure(['ansible-playbook', path.join(__dirname, 'ansible', 'node-prep.yml')], {
    env: {
      ...process.env,
      ANSIBLE_CONFIG: path.join(setup.dir, 'ansible.cfg'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
    },
    timeoutMs: 900000,
    tree: true,
  });
  if (result.status !== 0) {
    const fatal = result.stdout
      .split('\n')
      .filter((l) => /^(fatal|failed):/.test(l))
      .slice(0, 2)
      .join(' ');
    throw new Error(
      `ansible-playbook exited ${result.status}: ${(fatal || result.stdout + result.stderr).slice(-1500)}`,
    );
  }
  const recap = [
    ...result.stdout.matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm),
  ];
  if (recap.length !== n) throw new Error(`ansible-playbook: ${recap.length} hosts in the recap, expected ${n}`);
  return {
    ms: result.ms,
    cpuMs: result.cpuMs,
    rssMb: result.treeRssMb,
    roundTrips: sessionsPerHost(
      setup.log,
      state.nodes.map((node) => node.name),
    ),
    changedHosts: recap.filter((m) => Number(m[3]) > 0).length,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Node state snapshots

const SNAPSHOT = [
  'ip -j addr show',
  'echo @@',
  'ip -j route show',
  'echo @@',
  'iptables-save -t nat',
  'echo @@',
  'sysctl -n net.ipv4.ip_forward',
  'echo @@',
  'cat /etc/sysctl.d/*.conf 2>/dev/null',
  'echo @@',
  'cat /etc/hosts',
  'echo @@',
  'for f in /etc/netstrap/network.sh /etc/systemd/system/netstrap-network.service; do [ -f "$f" ] && stat -c "%a %n" "$f" && cat "$f"; done',
  'echo @@',
  'readlink /etc/systemd/system/multi-user.target.wants/netstrap-network.service',
].join('; ');

async function snapshot(state: LabState): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const node of state.nodes) {
    const { stdout } = await labExec(state, node.name, ['sh', '-c', SNAPSHOT]);
    out.set(node.name, normalizeSnapshot(stdout));
  }
  return out;
}

/**
 * What is compared, and the normalisation (documented in bench/README.md):
 * - interfaces: name, UP flag, MTU and addresses (sorted); not ifindex, MAC addresses, counters or IPv6
 *   link-local addresses (derived from the MAC: a bridge gets a random MAC, and each lab's veths differ);
 * - routes: destination, gateway, device, protocol, scope (sorted);
 * - nat table: the rules (`-A ...` lines) with `-m comment --comment <text>` removed (netstrap tags its rules
 *   `netstrap:<id>`, the playbook `ansible: ...`), in chain order; not counters or the generated-on header lines;
 * - net.ipv4.ip_forward now, and the key = value lines of /etc/sysctl.d/*.conf (comments dropped);
 * - /etc/hosts byte for byte (both write the block between `# BEGIN netstrap` and `# END netstrap`);
 * - the boot script and unit (mode and content) and the unit's enable link.
 */
export function normalizeSnapshot(text: string): unknown {
  const [addr, route, nat, forward, sysctlFiles, hosts, boot, link] = text.split('@@\n');
  const links = (
    JSON.parse(addr) as Array<{
      ifname: string;
      flags: string[];
      mtu: number;
      addr_info: Array<{ local: string; prefixlen: number }>;
    }>
  )
    .map((l) => ({
      ifname: l.ifname,
      up: l.flags.includes('UP'),
      mtu: l.mtu,
      addresses: l.addr_info
        .filter((a) => !a.local.startsWith('fe80:'))
        .map((a) => `${a.local}/${a.prefixlen}`)
        .sort(),
    }))
    .sort((a, b) => a.ifname.localeCompare(b.ifname));
  const routes = (JSON.parse(route) as Array<Record<string, unknown>>)
    .map((r) => `${r.dst} via ${r.gateway ?? '-'} dev ${r.dev} proto ${r.protocol ?? '-'} scope ${r.scope ?? '-'}`)
    .sort();
  const rules = nat
    .split('\n')
    .filter((l) => l.startsWith('-A '))
    .map((l) => l.replace(/ -m comment --comment ("[^"]*"|\S+)/, ''));
  const sysctls = sysctlFiles
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) =>
      l
        .split('=')
        .map((s) => s.trim())
        .join(' = '),
    )
    .sort();
  return { links, routes, rules, ipForward: forward.trim(), sysctls, hosts, boot, link: link.trim() };
}

/**
 * The bootstrap section of `npm run bench`: the node-prep plan of bench/lab-cluster.ts applied to N real lab
 * nodes (`netstrap lab`: network namespaces running OpenSSH) by
 * - netstrap: `bin/netstrap bootstrap <file> --json --ssh-config <lab ssh_config>`, first run on a fresh lab, then
 *   the no-op re-run (timed as the CLI process users run, and as the engine's own durationMs from --json);
 * - Ansible (ansible-core 2.14, bench/ansible/node-prep.yml) with its best settings: gather_facts off,
 *   forks = N, pipelining on, ControlMaster auto + ControlPersist 60s (the re-run reuses the first run's masters);
 * - the floor: a fresh `ssh <node> true` to every node at once (OpenSSH client, the lab's ssh_config).
 * Each repetition uses a fresh lab per tool. After the first repetition both tools' node state is snapshotted and
 * compared (see normalizeSnapshot). Round trips: netstrap's from --json; Ansible's by an ssh/sftp wrapper that logs
 * every invocation (each is one SSH session over the ControlMaster).
 */
import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { $ } from 'zx/core';
import { labDown, labExec, labUp, LabState, readState } from '../src/lab';
import { nodeBootScript } from '../src/host/resources';
import { UNIT_CONTENT } from '../src/host/resources/persist';
import { loadClusterFile } from '../src/model/load';
import { BRIDGE, labClusterText } from './lab-cluster';
import { fmt, markdownTable, median, progress, ratio, run } from './stats';

export interface BootstrapBenchOptions {
  sizes: number[];
  repetitions: number;
  /** Also run Ansible (installs ansible-core with apt-get when missing). */
  ansible: boolean;
  /** Also time bin/netstrap on its compiled lib/ (`npm run build`, as `npm ci` leaves a clone). */
  compiled: boolean;
}

type Tool = 'netstrap' | 'netstrap-js' | 'ansible';
const TOOL_LABEL: Record<Tool, string> = {
  'netstrap': 'netstrap bootstrap (`npm run netstrap`: the TypeScript through tsx, as while developing)',
  'netstrap-js': 'netstrap bootstrap (bin/netstrap on its compiled lib/, as after npm ci)',
  'ansible': 'Ansible playbook',
};

const ROOT = path.join(__dirname, '..');
const OUT = path.join(__dirname, 'out');
const NETSTRAP = path.join(ROOT, 'bin', 'netstrap');

interface ToolRun {
  /** Wall time of the whole command (process start to exit). */
  ms: number;
  /** netstrap only: the engine's own duration from --json (connect, facts, plan, apply, verify). */
  engineMs?: number;
  /** SSH round trips (netstrap) or SSH sessions (Ansible) per host, median over hosts. */
  roundTrips: number;
  /** Hosts that reported changes; must be N on a first run and 0 on a re-run. */
  changedHosts: number;
}

interface SizeResult {
  n: number;
  floor: number[];
  first: Record<Tool, ToolRun[]>;
  rerun: Record<Tool, ToolRun[]>;
  labUpMs: number[];
}

/** Runs the bootstrap benchmark; returns its markdown section and the problems found. */
export async function bootstrapBench(options: BootstrapBenchOptions): Promise<{ markdown: string; problems: string[] }> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) {
    return { markdown: 'Not measured: `netstrap lab` needs root.', problems: ['bootstrap: not root, no lab'] };
  }
  if (options.ansible) ensureAnsible();
  const compiledCli = options.compiled ? buildCli() : undefined;
  const results: SizeResult[] = [];
  const notes: string[] = [];
  for (const n of options.sizes) {
    const file = path.join(OUT, `lab-${n}.yaml`);
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(file, labClusterText(n));
    const empty = (): Record<Tool, ToolRun[]> => ({ 'netstrap': [], 'netstrap-js': [], 'ansible': [] });
    const result: SizeResult = { n, floor: [], first: empty(), rerun: empty(), labUpMs: [] };
    results.push(result);
    const snapshots: Partial<Record<Tool, Map<string, unknown>>> = {};
    const tools: Tool[] = ['netstrap', ...(compiledCli ? ['netstrap-js' as const] : []), ...(options.ansible ? ['ansible' as const] : [])];
    for (let r = 0; r < options.repetitions; r++) {
      for (const tool of tools) {
        progress(`bootstrap N=${n} ${tool} run ${r + 1}/${options.repetitions}`);
        try {
          await withLab(file, n, result, async (state) => {
            result.floor.push(await floor(state));
            const once = () => (tool === 'ansible' ? ansibleRun(file, state, n)
              : netstrapRun(tool === 'netstrap' ? 'tsx' : 'compiled', file, state));
            const first = await once();
            const rerun = await once();
            result.first[tool].push(first);
            result.rerun[tool].push(rerun);
            if (first.changedHosts !== n) problems.push(`bootstrap N=${n} ${tool} first run: ${first.changedHosts} of ${n} hosts changed`);
            if (rerun.changedHosts !== 0) problems.push(`bootstrap N=${n} ${tool} re-run: ${rerun.changedHosts} hosts changed (not idempotent)`);
            if (r === 0 && tool !== 'netstrap-js') snapshots[tool] = await snapshot(state);
          });
        } catch (error) {
          problems.push(`bootstrap N=${n} ${tool}: ${(error as Error).message.split('\n').slice(0, 8).join(' ')}`);
        }
      }
    }
    if (snapshots.netstrap && snapshots.ansible) {
      const differing = [...snapshots.netstrap].filter(([node, s]) => !isDeepStrictEqual(s, snapshots.ansible!.get(node)));
      if (differing.length) {
        const [node, s] = differing[0] as [string, Record<string, unknown>];
        const other = snapshots.ansible.get(node) as Record<string, unknown> | undefined;
        const fields = Object.keys(s).filter((k) => !isDeepStrictEqual(s[k], other?.[k]));
        problems.push(`bootstrap N=${n}: node state differs between netstrap and Ansible on ${differing.length} node(s); first ${node}: ` +
          fields.map((k) => `${k}: netstrap ${JSON.stringify(s[k])} vs Ansible ${JSON.stringify(other?.[k])}`).join('; ').slice(0, 1500));
      } else {
        notes.push(`N=${n}: all ${snapshots.netstrap.size} nodes identical after netstrap and after Ansible (normalized snapshot, see bench/README.md).`);
      }
    }
  }
  return { markdown: bootstrapTables(results, options, notes), problems };
}

// ---------------------------------------------------------------------------------------------------------------
// Lab, floor, tools

async function withLab(file: string, n: number, result: SizeResult, body: (state: LabState) => Promise<void>): Promise<void> {
  const stateDir = path.join(OUT, `lab-state-${n}`);
  if (readState(stateDir)) await labDown(stateDir);
  else fs.rmSync(stateDir, { recursive: true, force: true });
  const started = Date.now();
  const state = await labUp(loadClusterFile(file), { stateDir, timeoutMs: 60000 });
  result.labUpMs.push(Date.now() - started);
  try {
    await body(state);
  } finally {
    await labDown(stateDir);
  }
}

/** Runs a command (zx quotes the argv) and resolves with its exit code and wall time (ms); bounded by `timeoutMs`. */
async function timed(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<{ status: number | null; ms: number; stdout: string; stderr: string }> {
  const started = performance.now();
  const output = await $({
    cwd: options.cwd ?? ROOT, env: options.env ?? process.env, timeout: options.timeoutMs ?? 600000, timeoutSignal: 'SIGKILL',
    nothrow: true, quiet: true,
  })`exec ${argv}`;
  return { status: output.exitCode, ms: performance.now() - started, stdout: output.stdout, stderr: output.stderr };
}

/** The floor: a fresh OpenSSH connection running `true` on every node, all at once. */
async function floor(state: LabState): Promise<number> {
  const started = performance.now();
  const runs = await Promise.all(state.nodes.map((node) =>
    timed(['ssh', '-F', state.sshConfigFile, '-o', 'ControlMaster=no', '-o', 'ControlPath=none', node.name, 'true'], { timeoutMs: 60000 })));
  const failed = runs.filter((r) => r.status !== 0);
  if (failed.length) throw new Error(`floor: ssh true failed on ${failed.length} node(s): ${failed[0].stderr.trim()}`);
  return performance.now() - started;
}

/** Builds lib/ as `npm ci` does (its `prepare` script) for the compiled rows: bin/netstrap runs lib/ only. */
function buildCli(): boolean {
  progress('building lib/ (npm run build) for the compiled rows');
  run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT });
  return true;
}

/** The compiled CLI users run (bin/netstrap on lib/), or the development launcher (`npm run netstrap`, tsx). */
const LAUNCHER: Record<'tsx' | 'compiled', string[]> = {
  tsx: [process.execPath, '--import', 'tsx', path.join(ROOT, 'scripts', 'netstrap.ts')],
  compiled: [NETSTRAP],
};

async function netstrapRun(mode: 'tsx' | 'compiled', file: string, state: LabState): Promise<ToolRun> {
  const child = await timed([...LAUNCHER[mode], 'bootstrap', file, '--json', '--ssh-config', state.sshConfigFile]);
  const { ms, stdout } = child;
  if (child.status !== 0) throw new Error(`netstrap bootstrap (${mode}) exited ${child.status}: ${child.stderr.slice(-2000)}`);
  const result = JSON.parse(stdout) as { ok: boolean; durationMs: number; hosts: Array<{ status: string; changes: number; roundTrips: number; verifyRoundTrips: number }> };
  if (!result.ok) throw new Error(`netstrap bootstrap failed: ${stdout.slice(0, 1000)}`);
  return {
    ms,
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
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'ansible-core'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

/** Writes the Ansible working directory of a lab: config, inventory with every host's values, ssh/sftp wrappers. */
function ansibleDir(file: string, state: LabState, n: number): { dir: string; log: string } {
  const dir = path.join(OUT, `ansible-${n}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'cp'), { recursive: true });
  const log = path.join(dir, 'ssh.log');
  // Each ssh/sftp invocation is one SSH session (multiplexed over the ControlMaster): log it, then run the real one.
  for (const tool of ['ssh', 'sftp', 'scp']) {
    fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${log}'\nexec /usr/bin/${tool} "$@"\n`, { mode: 0o755 });
  }
  const model = loadClusterFile(file);
  const hosts: Record<string, unknown> = {};
  for (const node of model.cluster.nodes) {
    hosts[node.name] = {
      sysctl_file: 'net.ipv4.ip_forward = 1\n',
      bridge: BRIDGE,
      bridge_address: node.bridges[0].addresses[0],
      routes: node.routes.map((r) => ({ to: r.to, via: r.via })),
      masquerade_source: node.nat.masquerade[0].source,
      dnat_to: node.nat.portForwards[0].to,
      hosts_block: node.hosts.map((h) => `${h.ip}\t${h.names.join(' ')}`).join('\n'),
      boot_script: nodeBootScript(node),
      boot_unit: UNIT_CONTENT,
    };
  }
  fs.writeFileSync(path.join(dir, 'inventory.json'), JSON.stringify({
    all: { hosts, vars: { ansible_python_interpreter: '/usr/bin/python3' } },
  }, null, 1));
  fs.writeFileSync(path.join(dir, 'ansible.cfg'), [
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
  ].join('\n'));
  return { dir, log };
}

const ansibleDirs = new Map<string, { dir: string; log: string }>();

async function ansibleRun(file: string, state: LabState, n: number): Promise<ToolRun> {
  // The first run of a lab writes the directory; the re-run reuses it (and its persisted control masters).
  let setup = ansibleDirs.get(state.stateDir + state.nodes[0].pid);
  if (!setup) {
    setup = ansibleDir(file, state, n);
    ansibleDirs.set(state.stateDir + state.nodes[0].pid, setup);
  }
  fs.writeFileSync(setup.log, '');
  const result = await timed(['ansible-playbook', path.join(__dirname, 'ansible', 'node-prep.yml')], {
    env: { ...process.env, ANSIBLE_CONFIG: path.join(setup.dir, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
    timeoutMs: 900000,
  });
  if (result.status !== 0) {
    const fatal = result.stdout.split('\n').filter((l) => /^(fatal|failed):/.test(l)).slice(0, 2).join(' ');
    throw new Error(`ansible-playbook exited ${result.status}: ${(fatal || result.stdout + result.stderr).slice(-1500)}`);
  }
  const recap = [...result.stdout.matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
  if (recap.length !== n) throw new Error(`ansible-playbook: ${recap.length} hosts in the recap, expected ${n}`);
  const sessions = new Map<string, number>(state.nodes.map((node) => [node.name, 0]));
  for (const line of fs.readFileSync(setup.log, 'utf8').split('\n')) {
    const words = line.split(' ');
    const host = words.find((w) => sessions.has(w) || sessions.has(w.replace(/^\[|\]$/g, '').replace(/:.*$/, '')));
    if (host) {
      const name = sessions.has(host) ? host : host.replace(/^\[|\]$/g, '').replace(/:.*$/, '');
      sessions.set(name, sessions.get(name)! + 1);
    }
  }
  return {
    ms: result.ms,
    roundTrips: median([...sessions.values()]),
    changedHosts: recap.filter((m) => Number(m[3]) > 0).length,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Node state snapshots

const SNAPSHOT = [
  'ip -j addr show', 'echo @@', 'ip -j route show', 'echo @@', 'iptables-save -t nat', 'echo @@',
  'sysctl -n net.ipv4.ip_forward', 'echo @@', 'cat /etc/sysctl.d/*.conf 2>/dev/null', 'echo @@', 'cat /etc/hosts', 'echo @@',
  'for f in /etc/netstrap/network.sh /etc/systemd/system/netstrap-network.service; do [ -f "$f" ] && stat -c "%a %n" "$f" && cat "$f"; done', 'echo @@',
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
  const links = (JSON.parse(addr) as Array<{ ifname: string; flags: string[]; mtu: number; addr_info: Array<{ local: string; prefixlen: number }> }>)
    .map((l) => ({
      ifname: l.ifname, up: l.flags.includes('UP'), mtu: l.mtu,
      addresses: l.addr_info.filter((a) => !a.local.startsWith('fe80:')).map((a) => `${a.local}/${a.prefixlen}`).sort(),
    }))
    .sort((a, b) => a.ifname.localeCompare(b.ifname));
  const routes = (JSON.parse(route) as Array<Record<string, unknown>>)
    .map((r) => `${r.dst} via ${r.gateway ?? '-'} dev ${r.dev} proto ${r.protocol ?? '-'} scope ${r.scope ?? '-'}`).sort();
  const rules = nat.split('\n').filter((l) => l.startsWith('-A '))
    .map((l) => l.replace(/ -m comment --comment ("[^"]*"|\S+)/, ''));
  const sysctls = sysctlFiles.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('=').map((s) => s.trim()).join(' = ')).sort();
  return { links, routes, rules, ipForward: forward.trim(), sysctls, hosts, boot, link: link.trim() };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function bootstrapTables(results: SizeResult[], options: BootstrapBenchOptions, notes: string[]): string {
  const reps = `median of ${options.repetitions}`;
  const rows: string[][] = [];
  const verdict: string[][] = [];
  const med = (runs: ToolRun[], key: keyof ToolRun) => (runs.length ? median(runs.map((x) => x[key] as number)) : undefined);
  const div = (a?: number, b?: number) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
  const check = (value: number | undefined, ok: (v: number) => boolean) => (value === undefined ? '–' : `${value.toFixed(2)}× ${ok(value) ? '✓' : '✗'}`);
  for (const r of results) {
    const floorMs = r.floor.length ? median(r.floor) : undefined;
    rows.push([String(r.n), 'floor: parallel fresh `ssh <node> true`', fmt(floorMs), '–', '1.00×', '–', '–', '1']);
    const tools = (Object.keys(TOOL_LABEL) as Tool[]).filter((t) => r.first[t].length > 0);
    for (const tool of tools) {
      for (const [phase, runs, ansible] of [['first run', r.first[tool], r.first.ansible], ['no-op re-run', r.rerun[tool], r.rerun.ansible]] as const) {
        const ms = med(runs, 'ms');
        const engine = tool === 'ansible' ? undefined : med(runs, 'engineMs');
        rows.push([String(r.n), `${TOOL_LABEL[tool]}, ${phase}`, fmt(ms), fmt(engine), ratio(ms, floorMs), ratio(engine, floorMs),
          tool === 'ansible' ? '–' : ratio(med(ansible, 'ms'), ms), fmt(med(runs, 'roundTrips'))]);
      }
    }
    for (const tool of tools.filter((t) => t !== 'ansible')) {
      const first = med(r.first[tool], 'ms');
      const rerun = med(r.rerun[tool], 'ms');
      verdict.push([String(r.n), TOOL_LABEL[tool],
        `${check(div(first, floorMs), (v) => v <= 1.5)} (engine ${check(div(med(r.first[tool], 'engineMs'), floorMs), (v) => v <= 1.5)})`,
        `${check(div(rerun, floorMs), (v) => v <= 1.2)} (engine ${check(div(med(r.rerun[tool], 'engineMs'), floorMs), (v) => v <= 1.2)})`,
        r.first.ansible.length ? `${check(div(med(r.first.ansible, 'ms'), first), (v) => v >= 20)} / ${check(div(med(r.rerun.ansible, 'ms'), rerun), (v) => v >= 20)}` : 'not run']);
    }
  }
  return [
    markdownTable(['nodes', 'what', `wall ms (${reps})`, 'engine ms (--json durationMs)', 'wall ÷ floor', 'engine ÷ floor', 'Ansible ÷ this', 'SSH round trips per host'], rows),
    '',
    markdownTable(['nodes', 'netstrap', 'first run ÷ floor (target ≤ 1.5×)', 'no-op re-run ÷ floor (target ≤ 1.2×)', 'Ansible ÷ netstrap, first / re-run (target ≥ 20×)'], verdict),
    '',
    `Lab up (not timed above): ${results.map((r) => `${r.n} nodes ${fmt(r.labUpMs.length ? median(r.labUpMs) : undefined)} ms`).join(', ')}.`,
    ...notes.map((n) => `- ${n}`),
  ].join('\n');
}

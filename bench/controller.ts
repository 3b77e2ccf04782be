/**
 * The controller alone at 100 to 1,000 nodes (`npm run bench`, section "1,000 nodes"): the lab cannot hold 1,000
 * sshds on 2 cores, so the nodes are replayed. One real 3-node lab (bench/lab-cluster.ts, wide layout) is
 * bootstrapped twice over SSH and what its middle node answered is recorded: the fact script's output on a bare
 * node, the apply script's output (steps, then the facts read again) and the fact script's output on the converged
 * node. A replaying transport then answers every node of an N-node cluster of the same layout with those bytes,
 * each node's own names and addresses put in place of the recorded node's (and the run's marker in place of the
 * recorded one). What is measured is the controller process: `bootstrap` of the N-node file (read, check, plan,
 * build every script, parse every answer, report as --json), with nothing on the other side but a lookup.
 *
 * The child (`node --import tsx bench/controller.ts <cluster.yaml> <recording.json> first|noop`) prints one JSON
 * line; the parent (controllerBench) measures it with bench/rusage.py: CPU (user + system) and peak RSS.
 */
import { isUtf8 } from 'buffer';
import * as fs from 'fs';
import * as path from 'path';
import { labDown, labUp, readState } from '../src/lab';
import { bootstrapCluster } from '../src/host/provision';
import { resultJson } from '../src/host/report';
import { joinFiles, splitFiles } from '../src/host/resources/file-facts';
import { type Connector, sshConnector, type Transport } from '../src/host/ssh';
import { effectiveNodes } from '../src/model/effective';
import { loadClusterFile } from '../src/model/load';
import type { ClusterNode } from '../src/model/schema';
import { labClusterText, nodeName } from './lab-cluster';
import { measure } from './measure';
import { fmt, markdownTable, median, progress } from './stats';

const OUT = path.join(__dirname, 'out');
const ROOT = path.join(__dirname, '..');
const MARKER = /@@netstrap-[0-9a-f]+@@/;
const PLACEHOLDER = '@@netstrap-recorded@@';
/** The recorded node: the middle one of 3, so that its two neighbours are distinct nodes. */
const RECORDED = nodeName(2);

/** What one node answered, marker replaced by PLACEHOLDER. */
export interface Recording {
  readonly node: string;
  /** Fact script output on the bare node (first run, round trip 1). */
  readonly bare: string;
  /** Apply script output (first run, round trip 2: steps, then the facts read again). */
  readonly apply: string;
  /** Fact script output on the converged node (no-op re-run). */
  readonly converged: string;
  /** The cluster file the recording was made from (for the node's own values). */
  readonly clusterFile: string;
}

/** Brings up the 3-node recording lab, bootstraps it twice over SSH and records what the middle node answered. */
export async function recordNode(): Promise<Recording> {
  const file = path.join(OUT, 'controller-lab-3.yaml');
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(file, labClusterText(3, 'wide'));
  const stateDir = path.join(OUT, 'lab-state-controller');
  if (readState(stateDir)) await labDown(stateDir);
  else fs.rmSync(stateDir, { recursive: true, force: true });
  const model = loadClusterFile(file);
  const state = await labUp(model, { stateDir });
  try {
    const answers: string[] = [];
    const recording: Connector = async (node, options) => {
      const transport = await sshConnector(node, options);
      if (node.name !== RECORDED) return transport;
      return {
        close: () => transport.close(),
        run: async (script, timeoutMs) => {
          const result = await transport.run(script, timeoutMs);
          const marker = MARKER.exec(script)?.[0];
          if (marker) answers.push(result.stdout.replaceAll(marker, PLACEHOLDER));
          return result;
        },
      };
    };
    const options = { sshConfigFile: state.sshConfigFile, connector: recording };
    const first = await bootstrapCluster(model, options);
    const rerun = await bootstrapCluster(model, options);
    const changed = first.hosts.filter((h) => h.status === 'changed').length;
    if (!first.ok || changed !== 3 || !rerun.ok || rerun.hosts.some((h) => h.status !== 'ok') || answers.length !== 3)
      throw new Error(
        `recording lab: first run ${changed}/3 changed (ok ${first.ok}), re-run ${rerun.hosts.map((h) => h.status).join(',')}, ${answers.length} answers recorded`,
      );
    const [bare, apply, converged] = answers;
    return { node: RECORDED, bare, apply, converged, clusterFile: file };
  } finally {
    await labDown(stateDir);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The replaying transport

/**
 * Every string of `recorded` that differs from `node`'s value at the same place (the nodes of the bench's cluster
 * all have the same shape), and for `address/len` and `address:port` values their address too: recorded → node's.
 */
export function nodeValueMap(recorded: ClusterNode, node: ClusterNode): Map<string, string> {
  const map = new Map<string, string>();
  const add = (from: string, to: string) => {
    if (from === to) return;
    map.set(from, to);
    const bare = (value: string) => value.replace(/[/:][0-9]+$/, '');
    if (bare(from) !== from) map.set(bare(from), bare(to));
  };
  const walk = (a: unknown, b: unknown) => {
    if (typeof a === 'string' && typeof b === 'string') add(a, b);
    else if (a !== null && typeof a === 'object' && b !== null && typeof b === 'object')
      for (const key of Object.keys(a)) walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]);
  };
  walk(recorded, node);
  return map;
}

/**
 * `text` with every recorded value replaced at once (whole values only: 10.244.2.1 is not part of 10.244.2.10),
 * also inside base64 tokens of text (files travel as base64 in the facts).
 */
export function substitute(text: string, map: ReadonlyMap<string, string>): string {
  if (map.size === 0) return text;
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const keys = [...map.keys()].sort((a, b) => b.length - a.length).map(literal);
  const values = `(?<![\\w.])(?:${keys.join('|')})(?![\\w])`;
  const replaceIn = (s: string): string =>
    s.replace(new RegExp(`${values}|[A-Za-z0-9+/]{16,}={0,2}`, 'g'), (found) => {
      const value = map.get(found);
      if (value !== undefined) return value;
      const bytes = Buffer.from(found, 'base64');
      if (bytes.toString('base64') !== found) return found;
      const decoded = bytes.toString('utf8');
      // Text only (a key or a digest stays as it is): valid UTF-8 without control characters but tab and newline.
      if (!isUtf8(bytes) || [...decoded].some((ch) => ch < ' ' && ch !== '\n' && ch !== '\t')) return found;
      return Buffer.from(replaceIn(decoded), 'utf8').toString('base64');
    });
  return replaceIn(text);
}

/**
 * substitute() over recorded script output, except that the joint read of every file (section `files`: their sizes,
 * then their bytes in one base64) is split into its files, each substituted, and joined again with the new sizes.
 */
export function substituteFacts(text: string, map: ReadonlyMap<string, string>): string {
  const begin = `${PLACEHOLDER} fact files\n`;
  const start = text.indexOf(begin);
  const end = start < 0 ? -1 : text.indexOf(`\n${PLACEHOLDER} end\n`, start);
  if (end < 0) return substitute(text, map);
  const body = text.slice(start + begin.length, end);
  const heads = body.split('\n').findIndex((line) => !/^(file|none) /.test(line));
  const files = splitFiles(body, new Array<string>(Math.max(heads, 0)).fill(''));
  return (
    substitute(text.slice(0, start), map) +
    begin +
    joinFiles(files.map((file) => substitute(file, map))) +
    substitute(text.slice(end), map)
  );
}

/**
 * A connector whose nodes answer from the recording: a fact script with the bare or converged facts (as the node
 * is now), an apply script with the recorded apply output (the node is converged after it). Each node's answers
 * are made once, when it is first connected to.
 */
export function replayConnector(
  recording: Recording,
  recordedNode: ClusterNode,
  start: 'bare' | 'converged',
  /** Adds the CPU (µs) the replay itself spends making answers, so that it can be told apart from netstrap's. */
  spent: { us: number } = { us: 0 },
): Connector {
  return async (node) => {
    const map = nodeValueMap(recordedNode, node);
    let state = start;
    const transport: Transport = {
      run: async (script) => {
        const marker = MARKER.exec(script)?.[0];
        if (!marker) throw new Error(`replay ${node.name}: a script without a marker`);
        const applies = script.includes(`echo '${marker} step 1'`);
        const recorded = applies ? recording.apply : state === 'bare' ? recording.bare : recording.converged;
        if (applies) state = 'converged';
        const before = process.cpuUsage();
        const stdout = substituteFacts(recorded, map).replaceAll(PLACEHOLDER, marker);
        const used = process.cpuUsage(before);
        spent.us += used.user + used.system;
        return { stdout, stderr: '', code: 0 };
      },
      close: () => {},
    };
    return transport;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The child: one bootstrap of N replayed nodes

async function child(file: string, recordingFile: string, mode: 'first' | 'noop'): Promise<void> {
  const recording = JSON.parse(fs.readFileSync(recordingFile, 'utf8')) as Recording;
  const recordedModel = loadClusterFile(recording.clusterFile);
  const recordedNode = effectiveNodes(recordedModel.cluster).find((n) => n.name === recording.node)!;
  const before = process.cpuUsage();
  const started = performance.now();
  const model = loadClusterFile(file, { connects: true });
  const loaded = process.cpuUsage(before);
  const replay = { us: 0 };
  const connector = replayConnector(recording, recordedNode, mode === 'first' ? 'bare' : 'converged', replay);
  const result = await bootstrapCluster(model, { connector });
  const json = JSON.stringify(resultJson(result));
  const cpu = process.cpuUsage(before);
  const ms = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      ok: result.ok,
      hosts: result.hosts.length,
      changed: result.hosts.filter((h) => h.status === 'changed').length,
      roundTrips: median(result.hosts.map((h) => h.roundTrips)),
      statuses: [...new Set(result.hosts.map((h) => h.status))],
      firstError: result.hosts.find((h) => h.error)?.error,
      engineMs: performance.now() - started,
      engineCpuMs: ms(cpu) - replay.us / 1000,
      loadCpuMs: ms(loaded),
      replayCpuMs: replay.us / 1000,
      jsonBytes: json.length,
    })}\n`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The bench section

interface ControllerRun {
  readonly cpuMs: number;
  readonly engineCpuMs: number;
  readonly loadCpuMs: number;
  readonly replayCpuMs: number;
  readonly wallMs: number;
  readonly rssMb: number;
}

export interface ControllerBenchOptions {
  sizes: number[];
  repetitions: number;
  /** Write a V8 CPU profile of each run at the largest size to bench/out/prof. */
  profile?: boolean;
}

/** Runs the section: record once (real lab), then first run and no-op at each size, `repetitions` times each. */
export async function controllerBench(
  options: ControllerBenchOptions,
): Promise<{ markdown: string; problems: string[] }> {
  if (process.getuid?.() !== 0)
    return { markdown: 'Not measured: recording a node needs `netstrap lab`, i.e. root.', problems: [] };
  progress('controller: recording a node on a 3-node lab');
  const recording = await recordNode();
  const recordingFile = path.join(OUT, 'controller-recording.json');
  fs.writeFileSync(recordingFile, JSON.stringify(recording));
  const problems: string[] = [];
  const results = new Map<number, { first: ControllerRun[]; noop: ControllerRun[] }>();
  const largest = Math.max(...options.sizes);
  for (const n of options.sizes) {
    const file = path.join(OUT, `controller-${n}.yaml`);
    fs.writeFileSync(file, labClusterText(n, 'wide'));
    const runs = { first: [] as ControllerRun[], noop: [] as ControllerRun[] };
    results.set(n, runs);
    for (let r = 0; r < options.repetitions; r++) {
      for (const mode of ['first', 'noop'] as const) {
        progress(`controller N=${n} ${mode} run ${r + 1}/${options.repetitions}`);
        const profile =
          options.profile && n === largest ? ['--cpu-prof', '--cpu-prof-dir', path.join(OUT, 'prof')] : [];
        const run = await measure(
          [process.execPath, ...profile, '--import', 'tsx', __filename, file, recordingFile, mode],
          { cwd: ROOT, timeoutMs: 600000 },
        );
        let out: Record<string, unknown> = {};
        try {
          out = JSON.parse(run.stdout.trim().split('\n').pop() ?? '');
        } catch {
          problems.push(`controller N=${n} ${mode}: exit ${run.status}: ${run.stderr.slice(-500)}`);
          continue;
        }
        const wantChanged = mode === 'first' ? n : 0;
        if (!out.ok || out.hosts !== n || out.changed !== wantChanged)
          problems.push(
            `controller N=${n} ${mode}: ok ${out.ok}, ${out.changed}/${out.hosts} changed (expected ${wantChanged}), statuses ${out.statuses}: ${out.firstError ?? ''}`,
          );
        runs[mode].push({
          cpuMs: run.cpuMs,
          engineCpuMs: out.engineCpuMs as number,
          loadCpuMs: out.loadCpuMs as number,
          replayCpuMs: out.replayCpuMs as number,
          wallMs: run.ms,
          rssMb: run.maxRssMb,
        });
      }
    }
  }
  return { markdown: controllerReport(results, options), problems };
}

const LABEL = { first: 'first run', noop: 'no-op re-run' } as const;

function controllerReport(
  results: Map<number, { first: ControllerRun[]; noop: ControllerRun[] }>,
  options: ControllerBenchOptions,
): string {
  const sizes = [...results.keys()].sort((a, b) => a - b);
  const med = (runs: ControllerRun[], key: keyof ControllerRun) =>
    runs.length ? median(runs.map((r) => r[key])) : undefined;
  const rows = sizes.flatMap((n) =>
    (['first', 'noop'] as const).map((mode) => {
      const runs = results.get(n)![mode];
      const cpu = med(runs, 'cpuMs');
      const engine = med(runs, 'engineCpuMs');
      return [
        String(n),
        LABEL[mode],
        fmt(med(runs, 'wallMs')),
        fmt(cpu),
        fmt(engine),
        fmt(med(runs, 'loadCpuMs')),
        fmt(med(runs, 'replayCpuMs')),
        fmt(engine === undefined ? undefined : engine / n, 2),
        fmt(med(runs, 'rssMb')),
      ];
    }),
  );
  const small = sizes[0];
  const big = sizes[sizes.length - 1];
  const exponent = (mode: 'first' | 'noop', key: keyof ControllerRun, a = small, b = big) => {
    const x = med(results.get(a)![mode], key);
    const y = med(results.get(b)![mode], key);
    return x === undefined || y === undefined || a === b ? undefined : Math.log(y / x) / Math.log(b / a);
  };
  // k between neighbouring sizes, when there are more than two.
  const steps = sizes.length > 2 ? sizes.slice(1) : [];
  const mark = (k: number | undefined) => (k === undefined ? '–' : `${k.toFixed(2)} ${k <= 1.1 ? '✓' : '✗'}`);
  const growth = (['first', 'noop'] as const).map((mode) => [
    LABEL[mode],
    mark(exponent(mode, 'engineCpuMs')),
    fmt(exponent(mode, 'cpuMs'), 2),
    fmt(exponent(mode, 'rssMb'), 2),
    ...steps.map((n, i) => fmt(exponent(mode, 'engineCpuMs', sizes[i], n), 2)),
  ]);
  return [
    markdownTable(
      [
        'nodes',
        'run',
        `wall ms (median of ${options.repetitions})`,
        'controller CPU ms (process: user + sys)',
        'engine CPU ms (load + check + bootstrap + --json)',
        'of which load + check ms',
        'replay CPU ms (the fake nodes, not in engine CPU)',
        'engine CPU ms per node',
        'controller peak MB (maxRSS)',
      ],
      rows,
    ),
    '',
    markdownTable(
      [
        'run',
        `growth exponent k ${small}→${big} nodes, engine CPU (t ∝ Nᵏ; target ≤ 1.1)`,
        'k, process CPU',
        'k, peak MB',
        ...steps.map((n, i) => `k ${sizes[i]}→${n}`),
      ],
      growth,
    ),
    '',
    'The controller alone: every node answers from a recording of a real lab node (bench/controller.ts), so no SSH ' +
      'handshake and no node-side work is in these figures; the process runs through tsx (its start-up, ~0.3 s, is in ' +
      'the process CPU, not in the engine CPU). What a real run adds per node: see bench/README.md.',
  ].join('\n');
}

if (require.main === module) {
  const [file, recordingFile, mode] = process.argv.slice(2);
  child(file, recordingFile, mode as 'first' | 'noop').catch((error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exitCode = 1;
  });
}

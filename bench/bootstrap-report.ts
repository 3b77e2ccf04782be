/**
 * The bootstrap bench's results and its report: one table of every row (floors, netstrap, peers), the verdict on
 * the targets, the growth exponents and the line on what bounds netstrap at the largest size.
 * Columns are explained in bench/README.md.
 */
import * as os from 'os';
import { fmt, markdownTable, median, ratio } from './stats';

export type Tool = 'netstrap' | 'netstrap-js' | 'ansible' | 'bundlewrap';
export const TOOL_LABEL: Record<Tool, string> = {
  netstrap: 'netstrap bootstrap (`npm run netstrap`: the TypeScript through tsx, as while developing)',
  'netstrap-js': 'netstrap bootstrap (bin/netstrap on its compiled lib/, as after npm ci)',
  ansible: 'Ansible playbook',
  bundlewrap: 'BundleWrap `bw apply`',
};
const PEERS = ['ansible', 'bundlewrap'] as const;
const TARGET_VS_PEER: Record<(typeof PEERS)[number], number> = { ansible: 20, bundlewrap: 5 };
/** Issue 23's targets for netstrap's wall time ÷ the ssh2 floor's (the round before asked for 1.5× and 1.2×). */
const TARGET_VS_SSH2 = { first: 2.0, rerun: 1.5 } as const;

/** What one run cost, as measured around its process (bench/measure.ts). */
export interface Cost {
  /** Wall time of the whole command (process start to exit). */
  ms: number;
  /** User + system CPU of the command and its waited-for children. */
  cpuMs: number;
  /** Peak memory: the process's peak RSS (netstrap, floors) or the peak sum over the tool's process tree (peers). */
  rssMb?: number;
  /**
   * CPU the lab's sshds spent on the sessions that ended during the run (a peer's multiplexed sessions persist past
   * its run, so this is netstrap's and the floors' figure only).
   */
  sshdCpuMs: number;
  /** How busy the whole machine was during the run: busy CPU time ÷ (cores × elapsed time), 0-1. */
  machineBusy: number;
}

export interface ToolRun extends Cost {
  /** netstrap only: the engine's own duration from --json (connect, facts, plan, apply, verify). */
  engineMs?: number;
  /** SSH round trips (netstrap) or SSH sessions (peers) per host, median over hosts. */
  roundTrips: number;
  /** Hosts that reported changes; must be N on a first run and 0 on a re-run. */
  changedHosts: number;
}

export interface SizeResult {
  n: number;
  /** Parallel fresh `ssh <node> true` (OpenSSH), wall ms, one per lab brought up. */
  floor: number[];
  /** bench/ssh2-floor.ts: one Node process, ssh2, one `true` per node at netstrap's concurrency. */
  ssh2Floor: ToolRun[];
  first: Record<Tool, ToolRun[]>;
  rerun: Record<Tool, ToolRun[]>;
  labUpMs: number[];
  /** netstrap (compiled) no-op re-runs at --concurrency N (instead of the default) at the largest size. */
  rerunAllAtOnce?: ToolRun[];
}

export interface ReportOptions {
  repetitions: number;
  concurrency: number;
  notes: string[];
  skipped: string[];
}

const med = (runs: ToolRun[] | undefined, key: keyof ToolRun) =>
  runs?.length ? median(runs.map((x) => x[key] as number)) : undefined;
const div = (a?: number, b?: number) => (a === undefined || b === undefined || b === 0 ? undefined : a / b);
const check = (value: number | undefined, ok: (v: number) => boolean) =>
  value === undefined ? '–' : `${value.toFixed(2)}× ${ok(value) ? '✓' : '✗'}`;

/** Growth exponent k of t ∝ N^k between two sizes: 1.0 is linear. */
function exponent(n1: number, t1?: number, n2?: number, t2?: number): number | undefined {
  if (t1 === undefined || t2 === undefined || n2 === undefined || t1 <= 0) return undefined;
  return Math.log(t2 / t1) / Math.log(n2 / n1);
}

export function bootstrapReport(results: SizeResult[], options: ReportOptions): string {
  const rows: string[][] = [];
  const verdict: string[][] = [];
  const runsLabel = (runs: ToolRun[]) =>
    runs.length === options.repetitions ? '' : ` (${runs.length} run${runs.length === 1 ? '' : 's'})`;
  for (const r of results) {
    const floorMs = r.floor.length ? median(r.floor) : undefined;
    const ssh2Ms = med(r.ssh2Floor, 'ms');
    rows.push([
      String(r.n),
      'floor: parallel fresh OpenSSH `ssh <node> true`',
      fmt(floorMs),
      '–',
      '1.00×',
      ratio(floorMs, ssh2Ms),
      '–',
      '–',
      '1',
      '–',
      '–',
      '–',
    ]);
    rows.push([
      String(r.n),
      `floor: one Node process, ssh2, \`true\` on every node, ${options.concurrency} at once`,
      fmt(ssh2Ms),
      fmt(med(r.ssh2Floor, 'engineMs')),
      ratio(ssh2Ms, floorMs),
      '1.00×',
      '–',
      '–',
      '1',
      fmt(med(r.ssh2Floor, 'cpuMs')),
      fmt(med(r.ssh2Floor, 'sshdCpuMs')),
      fmt(med(r.ssh2Floor, 'rssMb')),
    ]);
    const tools = (Object.keys(TOOL_LABEL) as Tool[]).filter((t) => r.first[t].length > 0);
    for (const tool of tools) {
      for (const [phase, runs, peerRuns] of [
        ['first run', r.first[tool], r.first],
        ['no-op re-run', r.rerun[tool], r.rerun],
      ] as const) {
        const ms = med(runs, 'ms');
        const isPeer = (PEERS as readonly string[]).includes(tool);
        rows.push([
          String(r.n),
          `${TOOL_LABEL[tool]}, ${phase}${runsLabel(runs)}`,
          fmt(ms),
          fmt(med(runs, 'engineMs')),
          ratio(ms, floorMs),
          ratio(ms, ssh2Ms),
          ...PEERS.map((peer) => (isPeer ? '–' : ratio(med(peerRuns[peer], 'ms'), ms))),
          fmt(med(runs, 'roundTrips')),
          fmt(med(runs, 'cpuMs')),
          isPeer ? '–' : fmt(med(runs, 'sshdCpuMs')),
          fmt(med(runs, 'rssMb')),
        ]);
      }
    }
    for (const tool of tools.filter((t) => t.startsWith('netstrap'))) {
      const first = med(r.first[tool], 'ms');
      const rerun = med(r.rerun[tool], 'ms');
      verdict.push([
        String(r.n),
        TOOL_LABEL[tool],
        `${check(div(first, ssh2Ms), (v) => v <= TARGET_VS_SSH2.first)} (OpenSSH ${ratio(first, floorMs)})`,
        `${check(div(rerun, ssh2Ms), (v) => v <= TARGET_VS_SSH2.rerun)} (OpenSSH ${ratio(rerun, floorMs)})`,
        ...PEERS.map((peer) =>
          r.first[peer].length
            ? `${check(div(med(r.first[peer], 'ms'), first), (v) => v >= TARGET_VS_PEER[peer])} / ${check(div(med(r.rerun[peer], 'ms'), rerun), (v) => v >= TARGET_VS_PEER[peer])}`
            : 'not run',
        ),
      ]);
    }
  }
  const reps = `median of ${options.repetitions}`;
  return [
    markdownTable(
      [
        'nodes',
        'what',
        `wall ms (${reps})`,
        'engine ms',
        '÷ OpenSSH floor',
        '÷ ssh2 floor',
        'Ansible ÷ this',
        'BundleWrap ÷ this',
        'SSH round trips per host',
        'controller CPU ms',
        'lab sshd CPU ms',
        'controller peak MB',
      ],
      rows,
    ),
    '',
    markdownTable(
      [
        'nodes',
        'netstrap',
        `first run ÷ ssh2 floor (target ≤ ${TARGET_VS_SSH2.first.toFixed(1)}×)`,
        `no-op re-run ÷ ssh2 floor (target ≤ ${TARGET_VS_SSH2.rerun.toFixed(1)}×)`,
        'Ansible ÷ netstrap, first / re-run (target ≥ 20×)',
        'BundleWrap ÷ netstrap, first / re-run (target ≥ 5×)',
      ],
      verdict,
    ),
    '',
    growthTable(results),
    '',
    boundLine(results, options.concurrency),
    '',
    `Lab up (not timed above): ${results.map((r) => `${r.n} nodes ${fmt(r.labUpMs.length ? median(r.labUpMs) : undefined)} ms`).join(', ')}.`,
    ...options.skipped.map((s) => `- ${s}`),
    ...options.notes.map((n) => `- ${n}`),
  ].join('\n');
}

/** Growth exponents of every row's wall time from the smallest to the largest size (and between neighbours). */
function growthTable(results: SizeResult[]): string {
  if (results.length < 2) return '';
  const first = results[0];
  const last = results[results.length - 1];
  const series: Array<[string, (r: SizeResult) => number | undefined, boolean]> = [
    ['floor: OpenSSH `ssh true`', (r) => (r.floor.length ? median(r.floor) : undefined), false],
    ['floor: ssh2, one process', (r) => med(r.ssh2Floor, 'ms'), false],
  ];
  for (const tool of Object.keys(TOOL_LABEL) as Tool[]) {
    series.push([`${TOOL_LABEL[tool]}, first run`, (r) => med(r.first[tool], 'ms'), tool.startsWith('netstrap')]);
    series.push([`${TOOL_LABEL[tool]}, no-op re-run`, (r) => med(r.rerun[tool], 'ms'), tool.startsWith('netstrap')]);
  }
  const steps = results.slice(1).map((r, i) => [results[i], r] as const);
  const rows = series
    .filter(([, get]) => results.some((r) => get(r) !== undefined))
    .map(([label, get, judged]) => {
      const k = exponent(first.n, get(first), last.n, get(last));
      return [
        label,
        k === undefined ? '–' : `${fmt(k, 2)}${judged ? (k <= 1.1 ? ' ✓' : ' ✗') : ''}`,
        ...steps.map(([a, b]) => fmt(exponent(a.n, get(a), b.n, get(b)), 2)),
      ];
    });
  return markdownTable(
    [
      'what',
      `growth exponent k ${first.n}→${last.n} nodes (t ∝ Nᵏ; target for netstrap ≤ 1.1)`,
      ...steps.map(([a, b]) => `k ${a.n}→${b.n}`),
    ],
    rows,
  );
}

/**
 * What bounds netstrap at the largest size: the CPU split of its first run (controller, the lab's sshds, the whole
 * machine against the cores available) and the no-op re-run with every host at once instead of the concurrency limit.
 */
function boundLine(results: SizeResult[], concurrency: number): string {
  const r = results[results.length - 1];
  const tool: Tool = r?.first['netstrap-js'].length ? 'netstrap-js' : 'netstrap';
  const runs = r?.first[tool];
  if (!runs?.length) return '';
  const wall = med(runs, 'ms')!;
  const cores = os.cpus().length;
  const busy = med(runs, 'machineBusy')!;
  const controller = med(runs, 'cpuMs')!;
  const sshd = med(runs, 'sshdCpuMs')!;
  const floorCpu = med(r.ssh2Floor, 'cpuMs');
  const floorSshd = med(r.ssh2Floor, 'sshdCpuMs');
  const pct = (a: number) => `${((100 * a) / (cores * wall)).toFixed(0)} %`;
  const lines = [
    `**What bounds netstrap at ${r.n} nodes** (${TOOL_LABEL[tool]}, first run, medians): wall ${fmt(wall)} ms on ${cores} cores = ` +
      `${fmt(cores * wall)} CPU-ms available, the machine ${(100 * busy).toFixed(0)} % busy: the controller used ${fmt(controller)} ` +
      `(${pct(controller)}), the lab's sshds ${fmt(sshd)} (${pct(sshd)}), the rest is other processes. The ssh2 floor's own process needs ` +
      `${fmt(floorCpu)} CPU-ms and its sshds ${fmt(floorSshd)} for the same ${r.n} handshakes.`,
  ];
  if (r.rerunAllAtOnce?.length) {
    lines.push(
      `No-op re-run with --concurrency ${r.n} (every host at once) instead of the default ${concurrency}: ` +
        `${fmt(med(r.rerunAllAtOnce, 'ms'))} ms vs ${fmt(med(r.rerun[tool], 'ms'))} ms.`,
    );
  }
  return lines.join(' ');
}

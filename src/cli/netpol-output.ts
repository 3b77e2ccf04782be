/** Output of `netstrap netpol`: verdicts, truth tables, connection lists (txt, json, md, csv, dot) and diffs. */
import { Endpoint, NetpolAnalysis, ruleRefText, Verdict, DirectionVerdict } from '../model/netpol/analyze';
import type { Protocol } from '../model/netpol/inventory';
import type { InputCounts } from '../model/netpol/read';

export const LIST_FORMATS = ['txt', 'json', 'md', 'csv', 'dot'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

function endpointText(analysis: NetpolAnalysis, endpoint: Endpoint): string {
  return 'workload' in endpoint ? analysis.workloads[endpoint.workload].key : endpoint.text;
}

/**
 * `allowed: x/a => y/b on TCP 80`, and with --explain the policies and rules deciding each side. When the families
 * answer differently (an ipBlock of one family), the line names them and --explain gives each family's reasons.
 */
export function formatVerdict(
  analysis: NetpolAnalysis,
  from: Endpoint,
  to: Endpoint,
  port: number,
  protocol: Protocol,
  verdict: Verdict,
  explain: boolean,
  notes: readonly string[],
): string {
  const src = endpointText(analysis, from);
  const dst = endpointText(analysis, to);
  const families = verdict.byFamily
    ? ` over ${verdict.byFamily
        .filter((f) => f.verdict.allowed)
        .map((f) => `IPv${f.family}`)
        .join(' and ')} only (denied over ${verdict.byFamily
        .filter((f) => !f.verdict.allowed)
        .map((f) => `IPv${f.family}`)
        .join(' and ')})`
    : '';
  const lines = [`${verdict.allowed ? 'allowed' : 'denied'}: ${src} => ${dst} on ${protocol} ${port}${families}`];
  if (explain) {
    for (const note of notes) lines.push(`  note: ${note}`);
    const reasons = (v: Verdict, indent: string) => {
      if (v.note) lines.push(`${indent}${v.note}: always allowed`);
      lines.push(`${indent}${sideText('egress', src, v.egress, dst, protocol, port)}`);
      lines.push(`${indent}${sideText('ingress', dst, v.ingress, src, protocol, port)}`);
    };
    if (verdict.byFamily)
      for (const { family, verdict: v } of verdict.byFamily) {
        lines.push(`  over IPv${family}: ${v.allowed ? 'allowed' : 'denied'}`);
        reasons(v, '    ');
      }
    else reasons(verdict, '  ');
  }
  return `${lines.join('\n')}\n`;
}

/** One side of a verdict in words: `egress of x/a: allowed by NetworkPolicy x/p egress[0].to[1]`. */
function sideText(
  what: 'egress' | 'ingress',
  who: string,
  v: DirectionVerdict,
  other: string,
  protocol: Protocol,
  port: number,
): string {
  const type = what === 'egress' ? 'Egress' : 'Ingress';
  if (v.notAPod) return `${what} of ${who}: not a pod, so no ${type} policy applies`;
  if (!v.isolated)
    return `${what} of ${who}: not isolated (no NetworkPolicy selects it with policyType ${type}): allowed`;
  if (v.allowed) return `${what} of ${who}: allowed by ${v.allowedBy.map(ruleRefText).join('; ')}`;
  return (
    `${what} of ${who}: isolated by ${v.policies.map((p) => `NetworkPolicy ${p.namespace}/${p.name}`).join(', ')}; ` +
    `no rule of them admits ${other} on ${protocol} ${port}: denied`
  );
}

/**
 * The truth table (cyclonus style: `.` allowed, `X` denied; rows from, columns to), or with `inputs` (what it was
 * made from) the JSON.
 */
export function formatMatrix(
  analysis: NetpolAnalysis,
  matrix: boolean[][],
  port: number,
  protocol: Protocol,
  inputs?: InputCounts,
): string {
  const keys = analysis.workloads.map((w) => w.key);
  if (inputs) {
    // Written row by row (a million pairs as one object tree would cost most of the command's time).
    const quoted = keys.map((k) => JSON.stringify(k));
    const rows = quoted.map((from, s) => `${from}:{${quoted.map((to, d) => `${to}:${matrix[s][d]}`).join(',')}}`);
    return `{"port":${port},"protocol":${JSON.stringify(protocol)},"inputs":${JSON.stringify(inputs)},"matrix":{${rows.join(',')}}}\n`;
  }
  return matrixTable(
    `${protocol}/${port}`,
    keys,
    matrix.map((row) => row.map((ok) => (ok ? '.' : 'X'))),
    `. allowed, X denied${familiesNote(analysis)}`,
  );
}

/**
 * `netpol matrix` without --port: every port of every protocol. A cell is `.` when every connection is allowed, `X`
 * when none is, `~` when some ports are (`netpol list` names them); --json gives each pair's connections in words
 * (`All Connections`, `No Connections`, `TCP 80;UDP 53`).
 */
export function formatAnyPortMatrix(analysis: NetpolAnalysis, inputs?: InputCounts): string {
  const keys = analysis.workloads.map((w) => w.key);
  const sets = keys.map((_, s) => keys.map((_, d) => analysis.connections(s, d)));
  if (inputs) {
    const quoted = keys.map((k) => JSON.stringify(k));
    const rows = quoted.map(
      (from, s) => `${from}:{${quoted.map((to, d) => `${to}:${JSON.stringify(sets[s][d].toString())}`).join(',')}}`,
    );
    return `{"port":"any","protocol":"any","inputs":${JSON.stringify(inputs)},"matrix":{${rows.join(',')}}}\n`;
  }
  return matrixTable(
    'any port',
    keys,
    sets.map((row) => row.map((set) => (set.isAll() ? '.' : set.isEmpty() ? 'X' : '~'))),
    `. every connection allowed, ~ some ports (netstrap netpol list names them), X denied${familiesNote(analysis)}`,
  );
}

/** With IPv4 and IPv6 analysed, what a cell means (nothing for one family, so IPv4-only output stays as it was). */
function familiesNote(analysis: NetpolAnalysis): string {
  return analysis.families.length > 1
    ? '; IPv4 and IPv6: allowed over either family (netstrap netpol can names it)'
    : '';
}

/** Widest matrix printed with its column names across; a wider one writes them downwards. */
const ACROSS_WIDTH = 160;

/**
 * The matrix as text, the workloads' names as column headers: across when the table fits ACROSS_WIDTH columns,
 * else read downwards, so the columns stay narrow.
 */
function matrixTable(corner: string, keys: readonly string[], cells: readonly string[][], legend: string): string {
  const width = Math.max(corner.length, ...keys.map((k) => k.length));
  const across = width + keys.reduce((sum, k) => sum + k.length + 2, 0) <= ACROSS_WIDTH;
  const column = (d: number) => (across ? keys[d].length + 2 : 2);
  const lines: string[] = [];
  if (across) lines.push(`${corner.padEnd(width)}${keys.map((k) => `  ${k}`).join('')}`);
  else {
    const tall = Math.max(0, ...keys.map((k) => k.length));
    for (let row = 0; row < tall; row++) {
      const label = row === tall - 1 ? corner : '';
      lines.push(
        `${label.padEnd(width)} ${keys.map((k) => (k[row - (tall - k.length)] ?? ' ').padStart(2)).join('')}`.trimEnd(),
      );
    }
  }
  keys.forEach((key, s) =>
    lines.push(
      `${key.padEnd(width)}${across ? '' : ' '}${cells[s]
        .map((cell, d) => (across ? `  ${cell.padEnd(column(d) - 2)}` : cell.padStart(2)))
        .join('')}`.trimEnd(),
    ),
  );
  lines.push('', `rows: from; columns: to${across ? '' : ' (names read downwards)'}; ${legend}`);
  return `${lines.join('\n')}\n`;
}

/** `netpol list` prints the library's netpolList rows. */
export { netpolList as connectionRows, type ConnectionRow } from '../model/netpol/api';
import type { ConnectionRow } from '../model/netpol/api';

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const mdCell = (v: string) => v.replace(/\|/g, '\\|');

export function formatList(rows: readonly ConnectionRow[], format: ListFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(
        rows.map(({ src, dst, connections, ports }) => ({ src, dst, connections, ports })),
        null,
        2,
      )}\n`;
    case 'csv':
      return (
        ['src,dst,connections', ...rows.map((r) => [r.src, r.dst, r.connections].map(csvCell).join(','))].join('\n') +
        '\n'
      );
    case 'md':
      return (
        [
          '| src | dst | connections |',
          '|-----|-----|-------------|',
          ...rows.map((r) => `| ${mdCell(r.src)} | ${mdCell(r.dst)} | ${mdCell(r.connections)} |`),
        ].join('\n') + '\n'
      );
    case 'dot': {
      const nodes = [...new Set(rows.flatMap((r) => [r.src, r.dst]))];
      const lines = ['digraph netpol {', '  rankdir=LR;', '  node [shape=box];'];
      // Address ranges are ellipses: IPv4 ones start with a digit, IPv6 ones hold a colon (a workload key has none).
      for (const node of nodes)
        lines.push(
          `  ${JSON.stringify(node)}${/^[0-9.]+[/-]|^[0-9.]+,/.test(node) || /^\d/.test(node) || node.includes(':') ? ' [shape=ellipse]' : ''};`,
        );
      for (const r of rows)
        lines.push(`  ${JSON.stringify(r.src)} -> ${JSON.stringify(r.dst)} [label=${JSON.stringify(r.connections)}];`);
      lines.push('}');
      return `${lines.join('\n')}\n`;
    }
    default:
      return rows.map((r) => `${r.src} => ${r.dst} : ${r.connections}`).join('\n') + (rows.length > 0 ? '\n' : '');
  }
}

/** One change between two inputs. */
export interface DiffRow {
  readonly change: 'added' | 'removed';
  readonly src: string;
  readonly dst: string;
  readonly connections: string;
}

/** Connections added and removed, per pair (a changed pair gives an added and/or a removed row). */
export function diffRows(before: readonly ConnectionRow[], after: readonly ConnectionRow[]): DiffRow[] {
  const { ConnectionSet } = require('../model/netpol/connections') as typeof import('../model/netpol/connections');
  const toSet = (ports: Record<string, string[]>) => {
    let set = ConnectionSet.none();
    for (const [protocol, ranges] of Object.entries(ports)) {
      for (const r of ranges) {
        const [a, b] = r.split('-').map(Number);
        set = set.union(ConnectionSet.ports(protocol as Protocol, a, b ?? a));
      }
    }
    return set;
  };
  const index = (rows: readonly ConnectionRow[]) => new Map(rows.map((r) => [`${r.src} => ${r.dst}`, r]));
  const old = index(before);
  const now = index(after);
  const out: DiffRow[] = [];
  for (const key of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(key);
    const b = now.get(key);
    const setA = a ? toSet(a.ports) : ConnectionSet.none();
    const setB = b ? toSet(b.ports) : ConnectionSet.none();
    const { src, dst } = (a ?? b)!;
    const added = setB.minus(setA);
    const removed = setA.minus(setB);
    if (!added.isEmpty()) out.push({ change: 'added', src, dst, connections: added.toString() });
    if (!removed.isEmpty()) out.push({ change: 'removed', src, dst, connections: removed.toString() });
  }
  return out;
}

export function formatDiff(rows: readonly DiffRow[], format: 'txt' | 'json' | 'md' | 'csv'): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(rows, null, 2)}\n`;
    case 'csv':
      return (
        [
          'change,src,dst,connections',
          ...rows.map((r) => [r.change, r.src, r.dst, r.connections].map(csvCell).join(',')),
        ].join('\n') + '\n'
      );
    case 'md':
      return (
        [
          '| change | src | dst | connections |',
          '|--------|-----|-----|-------------|',
          ...rows.map((r) => `| ${r.change} | ${mdCell(r.src)} | ${mdCell(r.dst)} | ${mdCell(r.connections)} |`),
        ].join('\n') + '\n'
      );
    default:
      return rows.length === 0
        ? 'no connection added or removed\n'
        : rows.map((r) => `${r.change === 'added' ? '+' : '-'} ${r.src} => ${r.dst} : ${r.connections}`).join('\n') +
            '\n';
  }
}

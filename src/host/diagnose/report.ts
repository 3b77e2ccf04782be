/**
 * diagnose's output: a table for people (warnings and failures spelled out with their fix, oks counted), a
 * Markdown table (every finding, for an issue or a wiki page), and the JSON documented in the README:
 * `{"cluster", "nodes": [{"node", "findings": [F…]}], "findings": [F…], "summary": {"ok", "warn", "fail"}}`.
 */
import type { DiagnoseReport } from './index';
import type { Finding } from './types';

export type DiagnoseFormat = 'table' | 'md' | 'json';

/** One finding as JSON: the documented keys only, optional ones left out when empty. */
function findingJson(f: Finding): Record<string, unknown> {
  return {
    check: f.check,
    severity: f.severity,
    message: f.message,
    fix: f.fix,
    ...(f.observed !== undefined ? { observed: f.observed } : {}),
    ...(f.expected !== undefined ? { expected: f.expected } : {}),
    ...(f.nodes !== undefined ? { nodes: [...f.nodes] } : {}),
  };
}

export function diagnoseJson(report: DiagnoseReport): unknown {
  return {
    cluster: report.cluster,
    nodes: report.nodes.map((n) => ({ node: n.node, findings: n.findings.map(findingJson) })),
    findings: report.findings.map(findingJson),
    summary: { ok: report.summary.ok, warn: report.summary.warn, fail: report.summary.fail },
  };
}

const ORDER = { fail: 0, warn: 1, ok: 2 } as const;

function headline(report: DiagnoseReport): string {
  const { ok, warn, fail } = report.summary;
  return `cluster ${report.cluster}: ${report.nodes.length} node(s) in ${(report.durationMs / 1000).toFixed(1)} s: ${ok} ok, ${warn} warn, ${fail} fail`;
}

export function formatDiagnoseTable(report: DiagnoseReport): string {
  const out: string[] = [];
  const group = (title: string, findings: ReadonlyArray<Finding>, trips?: number) => {
    const shown = [...findings]
      .filter((f) => f.severity !== 'ok')
      .sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
    const oks = findings.length - shown.length;
    out.push(
      `${title}${trips !== undefined ? ` (${trips} round trip${trips === 1 ? '' : 's'})` : ''}: ${oks} ok${shown.length === 0 ? '' : `, ${shown.filter((f) => f.severity === 'warn').length} warn, ${shown.filter((f) => f.severity === 'fail').length} fail`}`,
    );
    const width = Math.max(0, ...shown.map((f) => f.check.length));
    for (const f of shown) {
      out.push(`  ${f.severity.toUpperCase().padEnd(4)}  ${f.check.padEnd(width)}  ${f.message}`);
      if (f.fix) out.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  fix: ${f.fix}`);
    }
  };
  for (const node of report.nodes) group(node.node, node.findings, node.roundTrips);
  if (report.findings.length > 0) group('across nodes', report.findings);
  out.push('', headline(report));
  return out.join('\n') + '\n';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function formatDiagnoseMarkdown(report: DiagnoseReport): string {
  const out = [
    `# netstrap diagnose: ${report.cluster}`,
    '',
    `${headline(report)}`,
    '',
    '| node | severity | check | message | fix |',
    '|---|---|---|---|---|',
  ];
  const rows = [
    ...report.nodes.flatMap((n) => n.findings.map((f) => ({ where: n.node, f }))),
    ...report.findings.map((f) => ({ where: (f.nodes ?? []).join(', ') || '(cluster)', f })),
  ];
  for (const { where, f } of rows)
    out.push(`| ${cell(where)} | ${f.severity} | \`${f.check}\` | ${cell(f.message)} | ${cell(f.fix)} |`);
  return out.join('\n') + '\n';
}

export function formatDiagnose(report: DiagnoseReport, format: DiagnoseFormat): string {
  if (format === 'json') return JSON.stringify(diagnoseJson(report), null, 2) + '\n';
  return format === 'md' ? formatDiagnoseMarkdown(report) : formatDiagnoseTable(report);
}

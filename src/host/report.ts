/**
 * What the provisioner tells its user: a live progress line (on a terminal), the plan per host, an
 * Ansible-recap-like summary table, and a JSON form of the same results for machines.
 */
import { describeRefusal } from './disruption';
import { describeManagers, type NodeNetworkManager } from './network-manager';
import { describeCommand } from './shell';
import type { ClusterResult, HostResult } from './provision';

/** A progress callback for ProvisionOptions.onHostDone: one self-overwriting line on a TTY, nothing otherwise. */
export function progressLine(
  stream: NodeJS.WriteStream,
  label: string,
): ((result: HostResult, done: number, total: number) => void) | undefined {
  if (!stream.isTTY) return undefined;
  const counts = new Map<string, number>();
  return (result, done, total) => {
    counts.set(result.status, (counts.get(result.status) ?? 0) + 1);
    const parts = [...counts].map(([status, n]) => `${status} ${n}`).join(', ');
    stream.write(`\r\x1b[K${label}: ${done}/${total} hosts done (${parts})${done === total ? '\n' : ''}`);
  };
}

/** The plan, per host: every change with before → after, its exact commands and file diffs. */
export function formatPlan(result: ClusterResult): string {
  const out: string[] = [];
  for (const host of result.hosts) {
    if (host.status === 'unreachable' || host.status === 'failed') {
      out.push(`${host.node}: ${host.status.toUpperCase()}: ${host.error}`);
      continue;
    }
    out.push(
      `${host.node}: ${host.changes.length === 0 ? 'no changes' : `${host.changes.length} change(s)`}` +
        `${host.status === 'refused' ? ': REFUSED (bootstrap sends nothing to this node)' : ''}`,
    );
    if (host.networkManager && showsManager(host.networkManager))
      out.push(`  ${describeManagers(host.networkManager)}`);
    for (const warning of host.warnings) out.push(`  ! warning: ${warning}`);
    for (const drift of host.drift ?? []) out.push(`  ! drift: ${drift.message}`);
    for (const refusal of host.refusals ?? []) {
      out.push(
        `  ! ${host.status === 'refused' ? 'refused' : 'disruptive, applied under commit-confirm'}: ${describeRefusal(refusal)}`,
      );
    }
    for (const change of host.changes) {
      const removal = (change.releases?.length ?? 0) > 0;
      out.push(
        removal
          ? `  - ${change.kind} ${change.target} (${result.mode === 'reset' ? 'reset' : 'no longer declared'}): ${change.before} → ${change.after}`
          : `  ~ ${change.kind} ${change.target}: ${change.before} → ${change.after}`,
      );
      for (const command of change.apply) out.push(`      $ ${describeCommand(command)}`);
      if (change.diff)
        out.push(
          ...change.diff
            .replace(/\n$/, '')
            .split('\n')
            .map((line) => `      ${line}`),
        );
    }
  }
  const pending = result.hosts.filter((h) => h.status === 'pending').length;
  const changes = result.hosts.reduce((n, h) => n + h.changes.length, 0);
  const changed = result.hosts.filter((h) => h.status === 'changed').length;
  const refused = result.hosts.filter((h) => h.status === 'refused').length;
  const refusedNote = refused > 0 ? `, ${refused} refused (pass --allow-disruption to apply under commit-confirm)` : '';
  if (result.rollout) out.push(...batchLines(result));
  out.push(
    pending > 0 || changed === 0
      ? `${result.mode === 'reset' ? 'reset plan' : 'plan'}: ${changes} change(s) on ${pending + refused} of ${result.hosts.length} host(s)${refusedNote}; nothing was changed`
      : `${result.mode}: ${changes} change(s) on ${changed} of ${result.hosts.length} host(s)${refusedNote}`,
  );
  return out.join('\n') + '\n';
}

/** The batches of a staged rollout, one line each: which nodes bootstrap --serial starts together. */
function batchLines(result: ClusterResult): string[] {
  const { rollout } = result;
  if (!rollout) return [];
  const lines = [`batches (--serial ${rollout.serial}${rollout.maxFail ? `, --max-fail ${rollout.maxFail}` : ''}):`];
  for (let batch = 1; batch <= rollout.batches; batch++) {
    const nodes = result.hosts.filter((h) => h.batch === batch).map((h) => h.node);
    lines.push(`  batch ${batch}: ${nodes.join(', ')}`);
  }
  return lines;
}

/** A node's manager is worth a plan line when one manages what netstrap touches, or the cluster file names one. */
function showsManager(nm: NodeNetworkManager): boolean {
  return nm.source === 'cluster file' || nm.interfaces.some((i) => i.manager !== 'none');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** The recap table (host, status, changes, round trips, verify round trips, duration), then errors and checks. */
export function formatSummary(result: ClusterResult): string {
  // A staged rollout adds the batch of each host.
  const staged = result.rollout !== undefined;
  const header = ['HOST', ...(staged ? ['BATCH'] : []), 'STATUS', 'CHANGES', 'ROUND TRIPS', 'VERIFY', 'DURATION'];
  const rows = result.hosts.map((h) => [
    h.node,
    ...(staged ? [String(h.batch)] : []),
    h.status,
    String(h.changes.length),
    String(h.roundTrips),
    String(h.verifyRoundTrips),
    seconds(h.durationMs),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  const failed = result.hosts.filter((h) => h.error);
  if (failed.length > 0) {
    out.push('');
    // An error that already starts with its status ("refused: …") is not prefixed again.
    for (const h of failed)
      out.push(`${h.node}: ${h.error!.startsWith(`${h.status}: `) ? '' : `${h.status}: `}${h.error}`);
  }
  const drifted = result.hosts.filter((h) => (h.drift ?? []).length > 0);
  if (drifted.length > 0) {
    out.push('');
    for (const h of drifted) for (const d of h.drift!) out.push(`${h.node}: drift: ${d.message}`);
  }
  const warned = result.hosts.filter((h) => h.warnings.length > 0);
  if (warned.length > 0) {
    out.push('');
    for (const h of warned) for (const w of h.warnings) out.push(`${h.node}: warning: ${w}`);
  }
  if (result.checks.length > 0) {
    out.push('');
    for (const c of result.checks) {
      out.push(`check ${c.from} → ${c.check} (expect ${c.expect}): ${c.status}${c.detail ? `: ${c.detail}` : ''}`);
    }
  }
  const count = (status: string) => result.hosts.filter((h) => h.status === status).length;
  const passed = result.checks.filter((c) => c.status === 'passed').length;
  if (result.rollout?.reason) {
    out.push('');
    out.push(
      `${result.rollout.reason}; ${count('skipped')} node(s) skipped, nothing was sent to them: fix the failure, ` +
        'then run bootstrap again',
    );
  }
  out.push('');
  out.push(
    `${result.mode} ${result.cluster}: ${result.hosts.length} host(s): ok=${count('ok')} changed=${count('changed')} ` +
      `pending=${count('pending')} failed=${count('failed')} unreachable=${count('unreachable')}` +
      `${count('refused') > 0 ? ` refused=${count('refused')}` : ''}${count('reverted') > 0 ? ` reverted=${count('reverted')}` : ''}` +
      `${count('skipped') > 0 ? ` skipped=${count('skipped')}` : ''}; ` +
      `checks ${passed}/${result.checks.length} passed; ${seconds(result.durationMs)}`,
  );
  return out.join('\n') + '\n';
}

/** The results as JSON: per host status, changes, commands run, round trips, duration. */
export function resultJson(result: ClusterResult): unknown {
  return {
    mode: result.mode,
    cluster: result.cluster,
    ok: result.ok,
    durationMs: result.durationMs,
    hosts: result.hosts.map((h) => ({
      node: h.node,
      status: h.status,
      changes: h.changes.length,
      changeList: h.changes.map((c) => ({ kind: c.kind, target: c.target, before: c.before, after: c.after })),
      commands: h.commands,
      warnings: h.warnings,
      ...(h.drift ? { drift: h.drift } : {}),
      ...(h.networkManager ? { networkManager: h.networkManager } : {}),
      roundTrips: h.roundTrips,
      verifyRoundTrips: h.verifyRoundTrips,
      durationMs: h.durationMs,
      ...(h.error ? { error: h.error } : {}),
      ...(h.failedStep ? { failedStep: h.failedStep } : {}),
      ...(h.refusals ? { refusals: h.refusals } : {}),
      ...(h.batch !== undefined ? { batch: h.batch } : {}),
      ...(h.reason !== undefined ? { reason: h.reason } : {}),
    })),
    checks: result.checks,
    ...(result.rollout ? { rollout: result.rollout } : {}),
  };
}

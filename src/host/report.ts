/**
 * What the provisioner tells its user: a live progress line (on a terminal), the plan per host, an
 * Ansible-recap-like summary table, and a JSON form of the same results for machines.
 */
import { describeRefusal } from './disruption';
import { describeManagers, type NodeNetworkManager } from './network-manager';
import { isRemoval } from './node-plan';
import {
  ACTION_SYMBOL,
  addCounts,
  countChanges,
  formatCounts,
  NO_CHANGES,
  type PlanStep,
  planSteps,
} from './plan-summary';
import { describeCommand } from './shell';
import type { ClusterResult, HostResult } from './provision';

/** Where the progress line goes: a terminal stream (stderr), or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** How often the progress line redraws while no host finishes, so that its elapsed time keeps moving. */
const PROGRESS_TICK_MS = 1000;

/**
 * A progress callback for ProvisionOptions.onHostDone: one self-overwriting line on a TTY (`bootstrap: 2/3 hosts
 * done (changed 1, ok 1), 4.1s`), nothing otherwise (never on a pipe or a file). With `total` known up front, the
 * line also appears while the first hosts are still running, once a run has taken a second, and its elapsed time
 * moves every second until the last host is done (the timer never keeps the process alive).
 */
export function progressLine(
  stream: ProgressStream,
  label: string,
  total?: number,
  clock: () => number = Date.now,
): ((result: HostResult, done: number, total: number) => void) | undefined {
  if (!stream.isTTY) return undefined;
  const started = clock();
  const counts = new Map<string, number>();
  let done = 0;
  const draw = (of: number) => {
    const parts = [...counts].map(([status, n]) => `${status} ${n}`).join(', ');
    const elapsed = `${((clock() - started) / 1000).toFixed(1)}s`;
    stream.write(
      `\r\x1b[K${label}: ${done}/${of} hosts done${parts ? ` (${parts})` : ''}, ${elapsed}${done === of ? '\n' : ''}`,
    );
  };
  const ticker =
    total !== undefined && total > 0
      ? setInterval(() => {
          if (done < total) draw(total);
        }, PROGRESS_TICK_MS)
      : undefined;
  ticker?.unref();
  return (result, doneNow, of) => {
    counts.set(result.status, (counts.get(result.status) ?? 0) + 1);
    done = doneNow;
    if (done === of && ticker) clearInterval(ticker);
    draw(of);
  };
}

/** How `formatPlan` renders: `brief` shows one line per object (no commands, no diffs); `colour` adds ANSI colours. */
export interface PlanFormat {
  readonly brief?: boolean;
  readonly colour?: boolean;
}

const ANSI = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' } as const;
type Paint = (style: keyof typeof ANSI, text: string) => string;

function painter(colour: boolean): Paint {
  return colour ? (style, text) => `\x1b[${ANSI[style]}m${text}\x1b[0m` : (_style, text) => text;
}

const ACTION_STYLE = { create: 'green', update: 'yellow', remove: 'red' } as const;

/**
 * The plan, per host: a summary line (`node01: +3 ~1 -0`), then every change marked `+` create, `~` change, `-`
 * remove, with before → after, its exact commands and file diffs (with `brief`: one line per object, nothing
 * more); the ownership record's update as one line; then the run's summary line.
 */
export function formatPlan(result: ClusterResult, format: PlanFormat = {}): string {
  const paint = painter(format.colour === true);
  const out: string[] = [];
  for (const host of result.hosts) out.push(...hostPlanLines(result, host, format.brief === true, paint));
  const hosts = (status: string) => result.hosts.filter((h) => h.status === status).length;
  const [pending, changed, refused] = [hosts('pending'), hosts('changed'), hosts('refused')];
  const counts = formatCounts(result.hosts.map((h) => countChanges(h.changes)).reduce(addCounts, NO_CHANGES));
  const refusedNote = refused > 0 ? `, ${refused} refused (pass --allow-disruption to apply under commit-confirm)` : '';
  if (result.rollout) out.push(...batchLines(result));
  out.push(
    paint(
      'bold',
      pending > 0 || changed === 0
        ? `${result.mode === 'reset' ? 'reset plan' : 'plan'}: ${counts} on ${pending + refused} of ${result.hosts.length} host(s)${refusedNote}; nothing was changed`
        : `${result.mode}: ${counts} on ${changed} of ${result.hosts.length} host(s)${refusedNote}`,
    ),
  );
  return out.join('\n') + '\n';
}

function hostPlanLines(result: ClusterResult, host: HostResult, brief: boolean, paint: Paint): string[] {
  if (host.status === 'unreachable' || host.status === 'failed')
    return [`${paint('bold', host.node)}: ${paint('red', `${host.status.toUpperCase()}: ${host.error}`)}`];
  const refused = host.status === 'refused';
  const out = [
    `${paint('bold', host.node)}: ${host.changes.length === 0 ? 'no changes' : formatCounts(countChanges(host.changes))}` +
      `${refused ? paint('red', ': REFUSED (bootstrap sends nothing to this node)') : ''}`,
  ];
  if (host.networkManager && showsManager(host.networkManager)) out.push(`  ${describeManagers(host.networkManager)}`);
  for (const warning of host.warnings) out.push(paint('yellow', `  ! warning: ${warning}`));
  for (const drift of host.drift ?? []) out.push(paint('yellow', `  ! drift: ${drift.message}`));
  for (const refusal of host.refusals ?? []) {
    out.push(
      paint(
        refused ? 'red' : 'yellow',
        `  ! ${refused ? 'refused' : 'disruptive, applied under commit-confirm'}: ${describeRefusal(refusal)}`,
      ),
    );
  }
  const removed = result.mode === 'reset' ? 'reset' : 'no longer declared';
  const steps = planSteps(host.changes);
  const line = (step: PlanStep, extra = '') => {
    const { change, action } = step;
    const why = isRemoval(change) ? ` (${removed})` : '';
    const text = `  ${ACTION_SYMBOL[action]} ${change.kind} ${change.target}${why}${extra}`;
    return paint(ACTION_STYLE[action], text);
  };
  for (const [index, step] of steps.entries()) {
    const { change } = step;
    if (step.bookkeeping) {
      out.push(paint('dim', `  · ${change.kind} record ${change.target}: ${change.before} → ${change.after}`));
      continue;
    }
    if (!brief) {
      out.push(line(step, `: ${change.before} → ${change.after}`));
      for (const command of change.apply) out.push(paint('dim', `      $ ${describeCommand(command)}`));
      if (change.diff) out.push(...diffLines(change.diff, paint));
      continue;
    }
    if (step.object !== index) continue;
    const parts = steps.filter((s) => s.object === index);
    if (parts.length === 1) {
      out.push(line(step, `: ${change.before} → ${change.after}`));
      continue;
    }
    const mixed = parts.some((s) => s.action !== step.action);
    out.push(
      line(
        step,
        ` (${parts.length} changes${mixed ? `: ${formatCounts(countChanges(parts.map((s) => s.change)))}` : ''})`,
      ),
    );
  }
  return out;
}

function diffLines(diff: string, paint: Paint): string[] {
  return diff
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => {
      const style = text.startsWith('@@')
        ? 'cyan'
        : text.startsWith('+') && !text.startsWith('+++')
          ? 'green'
          : text.startsWith('-') && !text.startsWith('---')
            ? 'red'
            : undefined;
      return `      ${style ? paint(style, text) : text}`;
    });
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
      summary: countChanges(h.changes),
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
    /** Changes by action over every host (the ownership records' updates left out), as `plan` prints `+3 ~1 -0`. */
    summary: result.hosts.map((h) => countChanges(h.changes)).reduce(addCounts, NO_CHANGES),
  };
}

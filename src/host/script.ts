/**
 * The apply script: a node's whole plan as ONE shell script, sent in one round trip.
 *
 * Steps are the plan's changes, in order. Before each step the script prints a marker line; a step's commands
 * are chained with && so the first failing command ends the step. When step k fails, the script runs the
 * reverts of step k, then k-1 … 1 (each revert command on its own, a failing revert is reported and the others
 * still run), prints what happened and exits 3. Step k's own revert runs only when at least one of its commands
 * succeeded (a step can fail half-way: its first command done, its second not); when its first command failed,
 * nothing happened and there is nothing to undo, so no revert can report a false failure.
 *
 * The script starts with the ownership prelude (ownership.ts): the node's lock, and a check that no other run
 * applied since the facts were read (else it exits 4 before changing anything).
 *
 * On success it runs the fact script again, so the engine can re-plan in-process and check that no change is
 * left — verification without a third round trip.
 */
import { renderCommand } from './shell';
import type { Change, Command } from './types';

/** Exit status of an apply script whose step failed (after its reverts ran). */
export const STEP_FAILED_EXIT = 3;

/** Extra shell around the steps (commit-confirm, confirm.ts): run before step 1, and before a failure's reverts. */
export interface ApplyHooks {
  readonly prologue: string;
  /** A condition: the script reverts its steps only when it succeeds (the watchdog may have reverted them). */
  readonly mayRevert: string;
  /**
   * Shell that records the step and its "$done" count for the watchdog, run as each step begins, after each command
   * that succeeded and when the step fails; with `running`, a condition run before each command (false once the
   * watchdog fired: no command starts after it) that records a command in flight.
   */
  readonly progress: (step: number, running: boolean) => string;
  /** Shell run right after a command started in the background: records its pid ($!), so the watchdog can stop it. */
  readonly started: (step: number) => string;
  /** Shell run once every step succeeded, before the script says `applied` (it exits when the watchdog fired). */
  readonly applied: string;
}

/** The shell function that reverts (see revertFunction). */
export const REVERT_FUNCTION = 'netstrap_revert';

/**
 * The ONE place that decides what a revert undoes, used by the apply script for its own failures and by the
 * commit-confirm watchdog (confirm.ts fire.sh): `netstrap_revert S DONE` runs the reverts of step S when DONE > 0
 * (some of its commands succeeded; when none did, nothing happened and no revert may report a false failure),
 * then of every step before S, last first. Each revert command runs on its own; one that fails prints
 * `<prefix>revert-failed k` and the others still run; `<prefix>undo-failed-step` when step S's own revert runs,
 * with `announceUndo` (the apply script's outcome, parseApplyOutput).
 */
export function revertFunction(changes: ReadonlyArray<Change>, prefix: string, announceUndo: boolean): string {
  const lines = [`${REVERT_FUNCTION}() {`];
  for (let k = changes.length; k >= 1; k--) {
    const reverts = changes[k - 1].revert;
    if (reverts.length === 0) continue;
    lines.push(`  if [ "$1" -gt ${k} ] || { [ "$1" -eq ${k} ] && [ "$2" -gt 0 ]; }; then`);
    if (announceUndo) lines.push(`    if [ "$1" -eq ${k} ]; then echo '${prefix}undo-failed-step'; fi`);
    for (const command of reverts)
      lines.push(`    { ${renderCommand(command)}; } 2>&1 || echo '${prefix}revert-failed ${k}'`);
    lines.push('  fi');
  }
  lines.push('  :', '}');
  return lines.join('\n');
}

/**
 * Builds the apply script for `changes`; `factScript` (from fact-script.ts, same marker) is appended after success,
 * `prelude` (ownership.ts applyPrelude) goes first, then the hooks' prologue (commit-confirm).
 */
export function buildApplyScript(
  changes: ReadonlyArray<Change>,
  marker: string,
  factScript: string,
  prelude = '',
  hooks?: ApplyHooks,
): string {
  const lines: string[] = [];
  if (prelude) lines.push(prelude.trimEnd());
  if (hooks) lines.push(hooks.prologue.trimEnd());
  lines.push(revertFunction(changes, `${marker} `, true));
  changes.forEach((change, index) => {
    const step = index + 1;
    lines.push(`echo '${marker} step ${step}'`);
    // done counts the step's commands that succeeded (the group runs in this shell, so it is seen below).
    lines.push('done=0');
    if (hooks) lines.push(hooks.progress(step, false));
    // With hooks, each command runs in the background and is waited for, so that its pid is known to the watchdog.
    const run = (command: Command) =>
      hooks
        ? `{ ${hooks.progress(step, true)} && { ${renderCommand(command)} & ${hooks.started(step)}; wait "$!"; }; } && ` +
          `done=$((done + 1)) && ${hooks.progress(step, false)}`
        : `${renderCommand(command)} && done=$((done + 1))`;
    lines.push('{');
    lines.push(change.apply.map(run).join(' &&\n') || ':');
    lines.push('} 2>&1 || {');
    if (hooks) lines.push(`  ${hooks.progress(step, false)}`);
    lines.push(`  echo '${marker} failed ${step}'`);
    if (hooks) lines.push(`  if ${hooks.mayRevert}; then`);
    lines.push(`  ${REVERT_FUNCTION} ${step} "$done"`);
    if (hooks) lines.push('  fi');
    lines.push(`  echo '${marker} reverted'`);
    lines.push(`  exit ${STEP_FAILED_EXIT}`);
    lines.push('}');
  });
  if (hooks) lines.push(hooks.applied);
  lines.push(`echo '${marker} applied'`);
  return lines.join('\n') + '\n' + factScript;
}

/** What the output of an apply script says happened. */
export interface ApplyOutcome {
  /** Steps that completed (1-based count); on failure, those before the failed one. */
  readonly completed: number;
  /** The last step that began (0: none did) — the one running when the output ends early. */
  readonly started: number;
  /** The 1-based step that failed, if one did. */
  readonly failedStep?: number;
  /** What the failed step printed (its commands' stdout and stderr). */
  readonly failedOutput?: string;
  /** Steps whose revert reported an error (their state may not be back to "before"). */
  readonly revertFailures: ReadonlyArray<number>;
  /** Whether the script reached the end of its reverts after a failure. */
  readonly reverted: boolean;
  /** Whether every step succeeded. */
  readonly applied: boolean;
  /** Whether the failed step's own revert ran (it does only when some of the step's commands had succeeded). */
  readonly failedStepUndone?: boolean;
  /** The script changed nothing: another run held the node's lock too long, or applied since the facts were read. */
  readonly stale?: 'locked' | 'changed';
  /** The node's watchdog fired before the script ended (confirm.ts): the watchdog, not the script, reverts. */
  readonly watchdogFired?: boolean;
}

export function parseApplyOutput(output: string, marker: string): ApplyOutcome {
  let completed = 0;
  let current = 0;
  let failedStep: number | undefined;
  let reverted = false;
  let applied = false;
  let stale: ApplyOutcome['stale'];
  let failedStepUndone = false;
  let watchdogFired = false;
  const revertFailures: number[] = [];
  const stepOutput: string[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith(`${marker} `)) {
      if (current > 0 && failedStep === undefined && !applied) stepOutput.push(line);
      continue;
    }
    const [what, arg] = line.slice(marker.length + 1).split(' ');
    if (what === 'step') {
      completed = current;
      current = Number(arg);
      stepOutput.length = 0;
    } else if (what === 'failed') {
      failedStep = Number(arg);
      completed = failedStep - 1;
    } else if (what === 'revert-failed') {
      revertFailures.push(Number(arg));
    } else if (what === 'reverted') {
      reverted = true;
    } else if (what === 'applied') {
      applied = true;
      completed = current;
    } else if (what === 'undo-failed-step') {
      failedStepUndone = true;
    } else if (what === 'watchdog-fired') {
      watchdogFired = true;
    } else if (what === 'stale') {
      stale = arg as 'locked' | 'changed';
    } else if (what === 'fact') {
      break;
    }
  }
  return {
    completed,
    started: current,
    failedStep,
    reverted,
    applied,
    revertFailures,
    stale,
    failedStepUndone,
    ...(watchdogFired ? { watchdogFired } : {}),
    failedOutput: failedStep === undefined ? undefined : stepOutput.join('\n').trim(),
  };
}

/** The commands a run actually executed, rendered, for reports: completed steps, the failed step, the reverts. */
export function commandsRun(changes: ReadonlyArray<Change>, outcome: ApplyOutcome): string[] {
  const render = (commands: ReadonlyArray<Command>) => commands.map((command) => renderCommand(command));
  const ran: string[] = [];
  const last = outcome.failedStep ?? outcome.completed;
  for (let step = 1; step <= last; step++) ran.push(...render(changes[step - 1].apply));
  if (outcome.failedStep !== undefined) {
    const first = outcome.failedStepUndone ? outcome.failedStep : outcome.failedStep - 1;
    for (let step = first; step >= 1; step--) ran.push(...render(changes[step - 1].revert));
  }
  return ran;
}

/**
 * Commit-confirm (`bootstrap --allow-disruption`), as `netplan try` and nmstate do it:
 *
 * 1. The apply script first ARMS a watchdog on the node, which outlives the SSH session: a detached process (new
 *    session, stdio on /dev/null; survives sshd's session ending, also where sshd is PID 1 of a lab node), or a
 *    transient `systemd-run --on-active` timer where systemd runs the machine. It lives in
 *    /run/netstrap/confirm-<token>/: the reverts of every step (fire.sh) and a state file that is renamed, so
 *    exactly one of `pending`, `confirmed`, `aborted`, `firing`, `reverted` exists at any time (mv is atomic:
 *    a late confirm and the watchdog cannot both win).
 * 2. Still before any change, the script runs the PROBES: the node's default gateway (when it has one) and the
 *    node's probes. Then the steps (a failing step disarms the watchdog and reverts as usual), then facts.
 * 3. The controller confirms over a NEW connection, in one round trip: the probes that passed before run again,
 *    and only when all pass is `pending` renamed to `confirmed`; otherwise the script reverts at once.
 * 4. When no new connection can be made, the controller reverts over the old one if it still works; else it waits
 *    for the watchdog's deadline and reads its outcome over a new connection.
 * --confirm-timeout counts from the arming, so it covers the apply, the new connection and the probes.
 *
 * Every other apply runs under the same watchdog as an APPLY GUARD (newApplyGuard), so that no step outlives its run
 * unaccounted: the apply script's own end confirms it, and when the script has not applied every step by its
 * deadline (the run's --command-timeout), or dies first (its session went away: sshd gone, the output pipe
 * closed), the watchdog stops the command in flight (it and its children are killed) and reverts what the run did,
 * as the script would have on a failing step. The node is then as before; the next plan shows the same changes.
 */
import { randomBytes } from 'crypto';
import { RUN_LOCK, RUN_SERIAL } from './ownership';
import { type ApplyHooks, REVERT_FUNCTION, revertFunction } from './script';
import { REVERT_NOW_TIMEOUT_MS, WATCHDOG_GRACE_MS } from './defaults';
import { quoteArg } from './shell';
import type { RunResult, Transport } from './ssh';
import type { Change } from './types';
import { buildProbeScript, parseProbeOutput, type ProbeResult, type Probe } from './verify';

export type WatchdogKind = 'detached' | 'systemd';
/** Exit status of an apply script that could not arm its watchdog (nothing was changed). */
export const ARM_FAILED_EXIT = 5;

/** One node's watchdog: where it lives and when it fires. */
export interface Confirm {
  readonly token: string;
  readonly dir: string;
  /** Time from arming to the revert unless confirmed (an apply guard: its applyTimeoutMs). */
  readonly timeoutMs: number;
  /** The apply script must have run every step within this from the arming, or the watchdog stops it and reverts. */
  readonly applyTimeoutMs: number;
  /** Commit-confirm (a new connection confirms); false: an apply guard, which the apply script's own end confirms. */
  readonly confirms: boolean;
  readonly watchdog: WatchdogKind;
  /** The node's run lock and run serial (ownership.ts), which fire.sh takes and changes while it reverts. */
  readonly runLock: string;
  readonly runSerial: string;
}

export const WATCHDOG_BASE = '/run/netstrap';

/** Where a watchdog lives, and the run lock and serial it uses: the node's, or files under `base` (tests off a node). */
function place(kind: 'confirm' | 'apply', base: string) {
  const token = randomBytes(6).toString('hex');
  const own = base !== WATCHDOG_BASE;
  return {
    token,
    dir: `${base}/${kind}-${token}`,
    runLock: own ? `${base}.run-lock` : RUN_LOCK,
    runSerial: own ? `${base}.run-serial` : RUN_SERIAL,
  };
}

/**
 * A fresh commit-confirm; `base` is where its directory goes (a parameter for tests run off a node). The apply must
 * end within `applyTimeoutMs` (the run's round-trip timeout), which the confirm timeout bounds.
 */
export function newConfirm(
  timeoutMs: number,
  watchdog: WatchdogKind = 'detached',
  base = WATCHDOG_BASE,
  applyTimeoutMs = timeoutMs,
): Confirm {
  return {
    ...place('confirm', base),
    timeoutMs,
    applyTimeoutMs: Math.min(applyTimeoutMs, timeoutMs),
    confirms: true,
    watchdog,
  };
}

/** A fresh apply guard: the watchdog of an apply without commit-confirm (see the top of this file). */
export function newApplyGuard(applyTimeoutMs: number, base = WATCHDOG_BASE): Confirm {
  return {
    ...place('apply', base),
    timeoutMs: applyTimeoutMs,
    applyTimeoutMs,
    confirms: false,
    watchdog: 'detached',
  };
}

/** Removes the watchdog's directory, and /run/netstrap with it when no other run's is left. */
const REMOVE_DIR = 'rm -rf "$d"; rmdir "${d%/*}" 2>/dev/null';

/** The probes of a node: its default gateway (when it has one), then its own verify probes. */
export function nodeProbes(
  node: string,
  gateway: string | undefined,
  checks: ReadonlyArray<Probe>,
  verifyCount: number,
): Probe[] {
  return [
    ...(gateway
      ? [{ index: verifyCount, spec: { from: node, ping: gateway, expect: 'success' as const }, address: gateway }]
      : []),
    ...checks,
  ];
}

const unit = (c: Confirm) => `netstrap-confirm-${c.token}`;

/** Polls of fire.sh (0.1 s apart) for a command of the apply script in flight to end: at most 10 s. */
const IN_FLIGHT_POLLS = 100;
/**
 * Polls (2 s) a command in flight gets to end by itself before fire.sh kills it: one that ends on its own is reverted
 * only when it succeeded (no false "revert failed" for a command that did nothing); one that does not is stopped.
 */
const KILL_AFTER_POLLS = 20;

/**
 * Shell function: `netstrap_kill_tree PID` stops PID and every process below it (SIGSTOP first, so that none can
 * start another while the tree is read from /proc by shell builtins alone), then kills them all.
 */
const KILL_TREE = [
  'netstrap_kill_tree() {',
  '  all=$1 new=$1; kill -STOP "$1" 2>/dev/null',
  '  while [ -n "$new" ]; do',
  '    next=',
  '    for f in /proc/[0-9]*/stat; do',
  '      p=; q=; read -r p _c _s q _r < "$f" 2>/dev/null || continue',
  '      case " $new " in *" $q "*) kill -STOP "$p" 2>/dev/null; next="$next $p"; all="$all $p";; esac',
  '    done',
  '    new=$next',
  '  done',
  '  kill -KILL $all 2>/dev/null; true',
  '}',
].join('\n');

/**
 * fire.sh: takes `pending` (else does nothing; from then on the apply script starts no command), stops the command
 * the apply script may have in flight when it does not end by itself within 2 s (killed with its children: a step
 * that outlived its run must not finish after the revert), takes the node's run lock (bounded), then reverts exactly as the apply script reverts a failed step
 * (script.ts revertFunction): the step it was in only when some of that step's commands ran ("$d/step" ends with
 * `step done [run [pid]]`, appended by the apply script), then every step before it, last first; logs, marks
 * `reverted`, and changes the run serial so that a run that read the node before the revert applies nothing.
 * An apply guard tidies its directory away after a clean revert (no controller is left to read it); one whose
 * revert reported an error stays, with its revert.log.
 */
function fireScript(c: Confirm, changes: ReadonlyArray<Change>): string {
  return [
    `d=${quoteArg(c.dir)}`,
    'mv "$d/pending" "$d/firing" 2>/dev/null || exit 0',
    // Reverted by the controller: the watchdog has nothing left to do.
    `[ "$1" = watchdog ] || { ${stopWatchdog(c)}; }`,
    revertFunction(changes, '', false),
    KILL_TREE,
    // The record is appended to, a line per update: its last whole line counts (a killed writer leaves half a line).
    'netstrap_step() { s=; n=; busy=; cmd=; while read -r s1 n1 b1 c1; do s=$s1 n=$n1 busy=$b1 cmd=$c1; done < "$d/step"; } 2>/dev/null',
    'a=; read -r a _pp < "$d/apply-pid" 2>/dev/null; i=0; k=',
    `while [ "$i" -lt ${IN_FLIGHT_POLLS} ]; do`,
    '  netstrap_step',
    '  [ -n "$n" ] && [ "$busy" != run ] && break',
    // In flight: it counts as run, whatever it did before it was killed.
    `  [ -n "$cmd" ] && [ "$i" -ge ${KILL_AFTER_POLLS} ] && { netstrap_kill_tree "$cmd"; k=$s; break; }`,
    '  kill -0 "$a" 2>/dev/null || { netstrap_step; break; }',
    '  sleep 0.1; i=$((i + 1))',
    'done',
    // A command still in flight, or cut short with its script, may have changed something: it counts as run.
    // An unreadable record (never seen: it is written whole) reverts every step.
    `[ -n "$n" ] || { s=${changes.length}; n=1; }`,
    '[ "$busy" = run ] && n=$((n + 1))',
    // `command`: a lock file that cannot be opened must not end the script (exec is a special built-in).
    `{ command exec 9>${quoteArg(c.runLock)} && flock -w 10 9; } 2>/dev/null`,
    `{ echo "reverted by $1"; echo "steps $s"; ${REVERT_FUNCTION} "$s" "$n"; } > "$d/revert.log" 2>&1`,
    `echo ${quoteArg(`reverted-${c.token}`)} > ${quoteArg(c.runSerial)}`,
    'mv "$d/firing" "$d/reverted"',
    // A killed command may have done nothing, so that its step's revert fails: only other failures keep the log.
    c.confirms ? ':' : `grep '^revert-failed' "$d/revert.log" | grep -qvx "revert-failed $k" || { ${REMOVE_DIR}; }`,
    '',
  ].join('\n');
}

/**
 * The detached watchdog (watchdog.sh). Until the apply script has applied every step (`applied`, or `pending`
 * gone), it checks every 0.2 s that the apply script is alive and still a child of the process that started it
 * (sshd's session: when that ends, the controller is gone) and that the apply deadline has not passed; then, under
 * commit-confirm, it sleeps until the confirm deadline. Time is read from /proc/uptime by the shell itself (no
 * process), in centiseconds since the arming. It fires (fire.sh) unless `pending` is gone by then; when `pending`
 * is gone (confirmed, aborted, done) it tidies the directory away, unless someone else's reading it is due.
 */
function watchdogScript(c: Confirm): string {
  const cs = (ms: number) => Math.max(1, Math.round(ms / 10));
  return [
    `d=${quoteArg(c.dir)}`,
    'echo $$ > "$d/pid"',
    'a=; pp=; read -r a pp < "$d/apply-pid"',
    // Elapsed centiseconds in $el; without /proc/uptime, 20 per poll.
    't0=; read -r t0 _ < /proc/uptime; t0=${t0%.*}${t0#*.}; i=0',
    'netstrap_elapsed() { t=; read -r t _ < /proc/uptime; if [ -n "$t0" ] && [ -n "$t" ]; then el=$((${t%.*}${t#*.} - t0)); else el=$((i * 20)); fi; }',
    'while [ -e "$d/pending" ] && ! [ -e "$d/applied" ]; do',
    '  netstrap_elapsed',
    `  [ "$el" -ge ${cs(c.applyTimeoutMs)} ] && break`,
    '  q=; read -r _p _c _s q _r < "/proc/$a/stat" 2>/dev/null || break',
    '  [ "$q" = "$pp" ] || break',
    '  sleep 0.2; i=$((i + 1))',
    'done',
    ...(c.confirms
      ? [
          'if [ -e "$d/pending" ] && [ -e "$d/applied" ]; then',
          '  netstrap_elapsed',
          `  r=$((${cs(c.timeoutMs)} - el))`,
          '  [ "$r" -gt 0 ] && sleep "$((r / 100)).$((r / 10 % 10))$((r % 10))"',
          'fi',
        ]
      : []),
    'if [ -e "$d/pending" ]; then exec sh "$d/fire.sh" watchdog; fi',
    // Confirmed or aborted (their scripts remove the directory) or, for an apply guard, done: tidy up.
    `[ -e "$d/done" ] && { ${REMOVE_DIR}; }`,
    'true',
    '',
  ].join('\n');
}

/** Shell that writes `content` to "$d/<name>" (the shell's own printf: no process; quoted in shell.ts's one way). */
function writeInDir(name: string, content: string): string {
  return `printf %s ${quoteArg(content)} > "$d/${name}"`;
}

/** Stops a watchdog that will not be needed (the state file is already renamed, so this is only tidying up). */
function stopWatchdog(c: Confirm): string {
  return c.watchdog === 'systemd'
    ? `systemctl stop ${unit(c)}.timer >/dev/null 2>&1`
    : 'p=$(cat "$d/pid" 2>/dev/null) && tr "\\0" " " < "/proc/$p/cmdline" 2>/dev/null | grep -qF "$d/watchdog.sh" && { kill -- "-$p" 2>/dev/null || kill "$p"; }';
}

/** The apply script's beginning: arm the watchdog (or exit ARM_FAILED_EXIT), then run the probes. */
export function armScript(
  c: Confirm,
  changes: ReadonlyArray<Change>,
  marker: string,
  probes: ReadonlyArray<Probe>,
): string {
  const seconds = (c.timeoutMs / 1000).toFixed(3);
  const fail = (why: string) => `{ echo ${quoteArg(`${marker} arm-failed ${why}`)}; exit ${ARM_FAILED_EXIT}; }`;
  // The apply script's pid and its parent's (sshd's session), for the watchdog; written before it starts.
  const applyPid = 'echo "$$ $PPID" > "$d/apply-pid"';
  const start =
    c.watchdog === 'systemd'
      ? [
          `[ -d /run/systemd/system ] || ${fail('systemd is not running this machine (use --watchdog detached)')}`,
          `systemd-run --quiet --unit=${unit(c)} --on-active=${seconds}s --timer-property=AccuracySec=100ms /bin/sh "$d/fire.sh" watchdog || ${fail('systemd-run failed')}`,
        ]
      : [
          applyPid,
          writeInDir('watchdog.sh', watchdogScript(c)),
          // Started from a subshell that exits at once, so it is no child of this script (whose `wait` would wait for
          // it); a new session with no terminal and stdio on /dev/null: nothing sshd does to the session reaches it.
          '( if command -v setsid >/dev/null 2>&1; then setsid sh "$d/watchdog.sh" </dev/null >/dev/null 2>&1 &',
          'else nohup sh "$d/watchdog.sh" </dev/null >/dev/null 2>&1 & fi )',
        ];
  return [
    `d=${quoteArg(c.dir)}`,
    `{ [ -d "\${d%/*}" ] || mkdir -p "\${d%/*}"; } && mkdir -m 0700 "$d" || ${fail(`cannot create ${c.dir}`)}`,
    `${writeInDir('fire.sh', fireScript(c, changes))} || ${fail('cannot write fire.sh')}`,
    ': > "$d/pending"',
    'echo 0 0 > "$d/step"',
    ...start,
    ...(c.watchdog === 'systemd' ? [applyPid] : []),
    `echo ${quoteArg(`${marker} armed`)}`,
    probes.length > 0 ? buildProbeScript(probes, marker).trimEnd() : ':',
    '',
  ].join('\n');
}

/**
 * The apply script's record of its progress, read by fire.sh (ApplyHooks.progress): the step and its "$done" count;
 * with `running`, a condition run before each command: only while `pending` exists, it records the command in flight.
 */
export function progressRecord(step: number, running: boolean): string {
  return running ? `[ -e "$d/pending" ] && echo "${step} $done run" >> "$d/step"` : `echo "${step} $done" >> "$d/step"`;
}

/** ApplyHooks.started: records the pid of the command just started in the background ($!), for fire.sh to stop it. */
export function startedRecord(step: number): string {
  return `echo "${step} $done run $!" >> "$d/step"`;
}

/**
 * ApplyHooks.applied, run once every step succeeded: under commit-confirm it marks the apply done (the watchdog now
 * waits for the confirm); an apply guard is confirmed by it (`pending` → `done`, its watchdog tidies up). When the
 * watchdog fired first, the script says so and stops: the watchdog reverts.
 */
export function appliedCommand(c: Confirm, marker: string): string {
  const fired = `{ echo ${quoteArg(`${marker} watchdog-fired`)}; exit ${WATCHDOG_FIRED_EXIT}; }`;
  return c.confirms
    ? `[ -e "$d/pending" ] && : > "$d/applied" || ${fired}`
    : `mv "$d/pending" "$d/done" 2>/dev/null || ${fired}`;
}

/** The apply script's hooks for watchdog `c` (script.ts ApplyHooks): arm it first, record progress, end or disarm it. */
export function applyHooks(
  c: Confirm,
  changes: ReadonlyArray<Change>,
  marker: string,
  probes: ReadonlyArray<Probe>,
): ApplyHooks {
  return {
    prologue: armScript(c, changes, marker, probes),
    mayRevert: disarmCommand(c, marker),
    progress: progressRecord,
    started: startedRecord,
    applied: appliedCommand(c, marker),
  };
}

/** Exit status of an apply script whose watchdog fired before the script ended (the watchdog reverts). */
export const WATCHDOG_FIRED_EXIT = 6;

/** Shell run when a step fails: succeeds (and disarms) when the script may revert itself; fails when the watchdog fired. */
export function disarmCommand(c: Confirm, marker: string): string {
  return (
    `{ mv "$d/pending" "$d/aborted" 2>/dev/null && { ${stopWatchdog(c)}; ${REMOVE_DIR}; true; } || ` +
    `{ echo ${quoteArg(`${marker} watchdog-fired`)}; false; }; }`
  );
}

/** Reports the watchdog's state: `state <name>`, and the revert log when it reverted. */
function reportState(marker: string): string {
  return [
    'for s in confirmed firing reverted pending aborted; do [ -e "$d/$s" ] && echo ' +
      quoteArg(`${marker} state`) +
      ' "$s"; done',
    '[ -d "$d" ] || echo ' + quoteArg(`${marker} state missing`),
    // The marker is [@a-z0-9-] only (fact-script.ts newMarker), safe inside a sed expression.
    `[ -e "$d/reverted" ] && sed 's/^/${marker} log /' "$d/revert.log" && { ${REMOVE_DIR}; }`,
    'true',
  ].join('\n');
}

/**
 * The confirm round trip (over a new connection): the probes that passed before run again; when every one
 * passes, `pending` becomes `confirmed`; when one fails, the change is reverted at once.
 */
export function confirmScript(
  c: Confirm,
  marker: string,
  probes: ReadonlyArray<ProbeResult>,
  specs: ReadonlyArray<Probe>,
): string {
  const wanted = specs.filter((p) => probes.some((r) => r.index === p.index && r.status === 'passed'));
  const lines = [`d=${quoteArg(c.dir)}`, 'ok=1'];
  if (wanted.length > 0) {
    lines.push(`out=$(\n${buildProbeScript(wanted, marker).trimEnd()}\n)`, 'printf "%s\\n" "$out"');
    for (const probe of wanted) {
      const line = `${marker} check ${probe.index}`;
      lines.push(
        probe.spec.expect === 'success'
          ? `printf "%s\\n" "$out" | grep -qxF ${quoteArg(`${line} 0`)} || ok=0`
          : `printf "%s\\n" "$out" | grep -F ${quoteArg(`${line} `)} | grep -qvxF ${quoteArg(`${line} 0`)} || ok=0`,
      );
    }
  }
  lines.push(
    `if [ "$ok" = 1 ] && mv "$d/pending" "$d/confirmed" 2>/dev/null; then ${stopWatchdog(c)}; echo ${quoteArg(`${marker} state confirmed`)}; ${REMOVE_DIR}; exit 0; fi`,
    `[ "$ok" = 1 ] || { echo ${quoteArg(`${marker} probes-failed`)}; [ -e "$d/fire.sh" ] && sh "$d/fire.sh" 'the controller (a probe failed)'; }`,
    reportState(marker),
  );
  return lines.join('\n') + '\n';
}

/** Reverts now (the old connection still works, a new one cannot be made), then reports the state. */
export function revertNowScript(c: Confirm, marker: string, why: string): string {
  return (
    [
      `d=${quoteArg(c.dir)}`,
      `[ -e "$d/fire.sh" ] && sh "$d/fire.sh" ${quoteArg(`the controller (${why})`)}`,
      reportState(marker),
    ].join('\n') + '\n'
  );
}

/** Reads the state after the watchdog's deadline. */
export function statusScript(c: Confirm, marker: string): string {
  return [`d=${quoteArg(c.dir)}`, reportState(marker)].join('\n') + '\n';
}

export type WatchdogState = 'confirmed' | 'firing' | 'reverted' | 'pending' | 'aborted' | 'missing';

export interface ConfirmReport {
  readonly state: WatchdogState;
  /** The watchdog's revert log (who reverted; `revert-failed k` lines for steps whose revert reported an error). */
  readonly log: ReadonlyArray<string>;
  readonly probesFailed: boolean;
}

export function parseConfirmOutput(stdout: string, marker: string): ConfirmReport {
  let state: WatchdogState = 'missing';
  const log: string[] = [];
  let probesFailed = false;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(`${marker} `)) continue;
    const rest = line.slice(marker.length + 1);
    if (rest.startsWith('state ')) state = rest.slice(6) as WatchdogState;
    else if (rest.startsWith('log ')) log.push(rest.slice(4));
    else if (rest === 'probes-failed') probesFailed = true;
  }
  return { state, log, probesFailed };
}

/** Whether the apply script armed its watchdog, and why not. */
export function parseArmed(stdout: string, marker: string): { armed: boolean; why?: string } {
  const failed = stdout.split('\n').find((line) => line.startsWith(`${marker} arm-failed `));
  if (failed) return { armed: false, why: failed.slice(marker.length + ' arm-failed '.length) };
  return { armed: stdout.includes(`${marker} armed\n`) };
}

// ---------------------------------------------------------------------------------------------------------------
// The controller's side

export interface ConfirmSteps {
  readonly confirm: Confirm;
  readonly marker: string;
  /** When the controller sent the apply script: the watchdog fires at about deadline = sent + timeout. */
  readonly deadline: number;
  /** Opens a new connection to the node (bounded by the time given). */
  readonly open: (connectTimeoutMs: number) => Promise<Transport>;
  readonly connectTimeoutMs: number;
}

export interface ConfirmOutcome {
  readonly status: 'confirmed' | 'reverted' | 'unknown';
  /** Why it was reverted, or why its state is unknown. */
  readonly detail?: string;
  readonly roundTrips: number;
  /** The steps that had begun when the watchdog state was reverted (from its log). */
  readonly stepsBegun?: number;
  /** The new connection, open, when the change was confirmed. */
  readonly transport?: Transport;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function outcomeOf(report: ConfirmReport, roundTrips: number, why: string): ConfirmOutcome {
  const failures = report.log.filter((line) => line.startsWith('revert-failed'));
  const by = report.log.find((line) => line.startsWith('reverted by '))?.slice('reverted by '.length);
  const begun = report.log.find((line) => /^steps \d+$/.test(line));
  if (report.state === 'reverted') {
    return {
      status: 'reverted',
      roundTrips,
      stepsBegun: begun === undefined ? undefined : Number(begun.slice(6)),
      detail: `${why}; reverted by ${by ?? 'the watchdog'}${failures.length > 0 ? ` (REVERT INCOMPLETE: ${failures.join(', ')})` : ''}`,
    };
  }
  if (report.state === 'confirmed') return { status: 'confirmed', roundTrips };
  return { status: 'unknown', roundTrips, detail: `${why}; the watchdog's state is ${report.state}` };
}

/** Runs one script over a transport, counting the round trip; errors come back as text. */
async function attempt(
  transport: Transport,
  script: string,
  timeoutMs: number,
): Promise<{ run?: RunResult; error?: string }> {
  try {
    return { run: await transport.run(script, Math.max(1000, timeoutMs)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * After a successful apply: confirm over a new connection; failing that, revert over the old one; failing that,
 * wait for the watchdog and read what it did.
 */
export async function confirmOrRevert(
  steps: ConfirmSteps,
  old: Transport,
  before: ReadonlyArray<ProbeResult>,
  probes: ReadonlyArray<Probe>,
): Promise<ConfirmOutcome> {
  const { confirm, marker, deadline } = steps;
  let roundTrips = 0;
  let why: string;
  const remaining = () => deadline - Date.now();
  try {
    const fresh = await steps.open(Math.max(1000, Math.min(steps.connectTimeoutMs, remaining())));
    const r = await attempt(fresh, confirmScript(confirm, marker, before, probes), remaining());
    roundTrips++;
    if (r.run) {
      const report = parseConfirmOutput(r.run.stdout, marker);
      if (report.state === 'confirmed') return { status: 'confirmed', roundTrips, transport: fresh };
      fresh.close();
      if (report.state === 'reverted') {
        const failed = parseProbeOutput(
          r.run.stdout,
          probes.filter((p) => before.some((b) => b.index === p.index && b.status === 'passed')),
          marker,
        )
          .filter((c) => c.status === 'failed')
          .map((c) => c.check);
        return outcomeOf(
          report,
          roundTrips,
          report.probesFailed
            ? `probes that passed before failed after the change: ${failed.join(', ')}`
            : 'not confirmed in time',
        );
      }
      why = `confirm found the watchdog ${report.state}`;
    } else {
      fresh.close();
      why = `the confirm round trip failed: ${r.error}`;
    }
  } catch (error) {
    why = `a new SSH connection failed: ${(error as Error).message}`;
  }
  // The new path does not work: revert through the old connection when it still does.
  const r = await attempt(old, revertNowScript(confirm, marker, why), REVERT_NOW_TIMEOUT_MS);
  roundTrips++;
  if (r.run) {
    const report = parseConfirmOutput(r.run.stdout, marker);
    if (report.state === 'reverted' || report.state === 'confirmed') return outcomeOf(report, roundTrips, why);
  }
  const waited = await awaitWatchdog(steps, why);
  return { ...waited, roundTrips: roundTrips + waited.roundTrips };
}

/** Waits for the watchdog's deadline, then reads its outcome over new connections (bounded in time). */
export async function awaitWatchdog(steps: ConfirmSteps, why: string): Promise<ConfirmOutcome> {
  const { confirm, marker, deadline } = steps;
  await sleep(deadline - Date.now() + 500);
  const giveUp = deadline + WATCHDOG_GRACE_MS;
  let roundTrips = 0;
  let last = 'not tried';
  while (Date.now() < giveUp) {
    try {
      const fresh = await steps.open(Math.max(1000, Math.min(steps.connectTimeoutMs, giveUp - Date.now())));
      const r = await attempt(fresh, statusScript(confirm, marker), giveUp - Date.now());
      fresh.close();
      roundTrips++;
      if (r.run) {
        const report = parseConfirmOutput(r.run.stdout, marker);
        if (report.state !== 'pending' && report.state !== 'firing') return outcomeOf(report, roundTrips, why);
        last = `the watchdog is still ${report.state}`;
      } else {
        last = r.error ?? 'no output';
      }
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(Math.min(1000, giveUp - Date.now()));
  }
  return {
    status: 'unknown',
    roundTrips,
    detail: `${why}; the node did not answer after the watchdog's deadline (${last}): its revert is unconfirmed`,
  };
}

/**
 * One host's run, as phases: read → plan → guard → apply → verify, each returning a discriminated outcome. Under
 * --allow-disruption, apply and verify run inside `withCommitConfirm`, as nmstate wraps its apply in a checkpoint:
 * the watchdog is armed before the first change, and the change is confirmed over a new connection or put back;
 * the apply phase itself knows nothing of it. Without commit-confirm the same watchdog guards the apply (confirm.ts
 * newApplyGuard): a step still running at the run's deadline, or when its session is gone, is stopped and reverted
 * on the node. One connection, 1 round trip for a no-op, 2 for a change (plus the
 * confirm round trip under commit-confirm). Never throws: every failure is the host's result.
 */
import type { ClusterModel } from '../model/load';
import type { ClusterNode } from '../model/schema';
import {
  awaitWatchdog,
  type ConfirmOutcome,
  confirmOrRevert,
  type ConfirmSteps,
  applyHooks,
  newApplyGuard,
  newConfirm,
  nodeProbes,
  parseArmed,
  parseConfirmOutput,
  revertNowScript,
  type WatchdogKind,
} from './confirm';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './defaults';
import {
  describeRefusal,
  type DisruptionCheck,
  findRefusals,
  findWarnings,
  PlanConflict,
  type Refusal,
} from './disruption';
import { FactSet } from './fact';
import { buildFactScript, type FactSection, factSections, newMarker, parseFacts } from './fact-script';
import { type NodeNetworkManager, nodeNetworkManager } from './network-manager';
import { nodeDrift, nodeWarnings, planNode } from './node-plan';
import { applyPrelude, ownershipFacts } from './ownership';
import { ipState } from './resources/ip-facts';
import { podAddresses } from './resources/pods';
import { EDITED_MESSAGE, factDigests, movedFacts, movedMessage, type SavedPlan, samePlan } from './saved-plan';
import { type ApplyHooks, buildApplyScript, commandsRun, parseApplyOutput } from './script';
import { type Connector, RunError, type RunResult, type SshOptions, type Transport } from './ssh';
import type { Change, Drift, ResourceKind } from './types';
import { type HopQuery, hopReadLines, parseHopReads } from './live-route';
import {
  buildProbeScript,
  type LiveReads,
  type Probe,
  type ProbeResult,
  type ProbeSpec,
  parseProbeOutput,
  probeSource,
  probeSourceRoutes,
  type probeTarget,
} from './verify';

/** plan: read and compare; bootstrap: apply; verify: compare and run the probes; reset: undo all netstrap owns. */
export type RunMode = 'plan' | 'bootstrap' | 'verify' | 'reset';

/**
 * - ok: nothing to change; changed: changes applied and verified; pending: changes found (plan) or drift (verify);
 * - failed: a fact read, a step or the post-apply verification failed; unreachable: no connection;
 * - refused: a disruption check refused the plan, nothing was sent (exit 2: the cluster file must change);
 * - reverted: applied under commit-confirm, then put back because it was not confirmed (exit 1);
 * - skipped: never started, because a staged rollout (--serial) stopped before its batch (exit 1; see `reason`).
 */
export type HostStatus = 'ok' | 'changed' | 'pending' | 'failed' | 'unreachable' | 'refused' | 'reverted' | 'skipped';

export interface HostResult {
  readonly node: string;
  readonly status: HostStatus;
  /** The changes planned (plan, verify) or applied (bootstrap). */
  readonly changes: ReadonlyArray<Change>;
  /** Problems the resource kinds saw that are not changes (e.g. a resolver that would crash CoreDNS). */
  readonly warnings: ReadonlyArray<string>;
  /**
   * Live ≠ boot: what a reboot would change (see node-plan.ts nodeDrift), as the node is after the run: read again at
   * the end of an apply that went through, else as read before it.
   */
  readonly drift?: ReadonlyArray<Drift>;
  /** Which network manager owns each interface netstrap touches (absent when the node could not be read). */
  readonly networkManager?: NodeNetworkManager;
  /** Fact name → digest of what the plan was made from (saved-plan.ts); absent when the node could not be read. */
  readonly factDigests?: Readonly<Record<string, string>>;
  /** Every mutating command sent, rendered (none for plan, verify and no-op runs). */
  readonly commands: ReadonlyArray<string>;
  /** Command round trips of provisioning (facts + apply). */
  readonly roundTrips: number;
  /** Round trips spent on connectivity assertions from this node (0 or 1). */
  readonly verifyRoundTrips: number;
  readonly durationMs: number;
  readonly error?: string;
  /** The step that failed during apply (1-based), its change, and whether the earlier steps were reverted. */
  readonly failedStep?: {
    readonly step: number;
    readonly kind: string;
    readonly target: string;
    readonly reverted: boolean;
  };
  /** Changes still found after apply (the host did not converge). */
  readonly remaining?: ReadonlyArray<Change>;
  /** Why disruption checks refused the plan (refused), or what was applied under commit-confirm anyway. */
  readonly refusals?: ReadonlyArray<Refusal>;
  /** The rollout batch the node is in (1-based; plan and bootstrap, 1 for every node without --serial). */
  readonly batch?: number;
  /** Why the node was never started (skipped). */
  readonly reason?: string;
}

/** The node as reset plans it: declaring nothing, so that every owned object is a removal. */
export function declaringNothing(node: ClusterNode): ClusterNode {
  return {
    ...node,
    interfaces: [],
    bridges: [],
    namespaces: [],
    routes: [],
    sysctls: {},
    kubernetesPrerequisites: false,
    nat: { masquerade: [], portForwards: [] },
    hosts: [],
    resolv: undefined,
    cniConflists: false,
  };
}

/** What every host of one run shares. */
export interface HostContext {
  readonly mode: RunMode;
  readonly model: ClusterModel;
  readonly kinds: ReadonlyArray<ResourceKind>;
  readonly connector: Connector;
  readonly options: SshOptions;
  readonly timeoutMs: number;
  /** Apply the plan (bootstrap, reset without dryRun). */
  readonly applies: boolean;
  readonly keepRemoved: boolean;
  readonly guards: ReadonlyArray<DisruptionCheck>;
  readonly allowDisruption: boolean;
  readonly confirmTimeoutMs: number;
  readonly watchdog: WatchdogKind;
  /** Every connectivity assertion of the cluster file, with its index. */
  readonly checks: ReadonlyArray<ScheduledProbe>;
  /**
   * verify, bootstrap: node → the hops of checks' model paths it is asked about with its facts (verify.ts
   * hopQueries), so a failed check is explained at every hop with no round trip more.
   */
  readonly hopQueries: ReadonlyMap<string, ReadonlyArray<HopQuery>>;
  /** bootstrap --plan: apply exactly this plan, refusing a node whose facts moved since it was made. */
  readonly savedPlan?: SavedPlan;
}

/** A probe as the run schedules it: its target, its address when the file tells it, and when it runs. */
export interface ScheduledProbe extends Probe {
  readonly endpoint: ReturnType<typeof probeTarget>['endpoint'];
  /** Runs after every host is done (bootstrap; a pod target), not in the fact round trip of verify. */
  readonly later: boolean;
}

export function probesFrom<T extends { spec: ProbeSpec }>(checks: ReadonlyArray<T>, node: string): T[] {
  return checks.filter(({ spec }) => probeSource(spec).node === node);
}

/** What a host's run hands back to the cluster run: its result, the connection kept open, its probes, its facts. */
export interface HostOutcome {
  readonly result: HostResult;
  readonly transport?: Transport;
  readonly checks: ProbeResult[];
  /** verify, bootstrap: what the node's kernel said, to explain failed checks once every node is read. */
  readonly live?: LiveReads;
  readonly facts?: FactSet;
}

/** What the run found on a host so far (the result reports it whatever the ending). */
interface Found {
  readonly roundTrips: number;
  readonly changes: ReadonlyArray<Change>;
  readonly warnings: ReadonlyArray<string>;
  readonly drift: ReadonlyArray<Drift>;
  readonly refusals: ReadonlyArray<Refusal>;
  readonly networkManager?: NodeNetworkManager;
  readonly factDigests?: Readonly<Record<string, string>>;
}

/** How a host's run ended: its status, and what its result adds to what was found. */
interface End {
  readonly status: HostStatus;
  readonly error?: string;
  readonly commands?: ReadonlyArray<string>;
  readonly failedStep?: HostResult['failedStep'];
  readonly remaining?: ReadonlyArray<Change>;
  /** Round trips after the read (apply, confirm, revert). */
  readonly roundTrips?: number;
  /** A connection still open and usable (the one the run came on, or the confirm's new one). */
  readonly open?: Transport;
  readonly checks?: ProbeResult[];
  readonly live?: LiveReads;
  readonly facts?: FactSet;
  /** Drift as the facts read at the end of the apply show it (replaces the drift found before the apply). */
  readonly drift?: ReadonlyArray<Drift>;
}

const failed = (error: string, extra: Omit<End, 'status' | 'error'> = {}): End => ({
  status: 'failed',
  error,
  ...extra,
});

/** One host: connect, then the phases. Never throws. */
export async function runHost(node: ClusterNode, ctx: HostContext, keepOpen: boolean): Promise<HostOutcome> {
  const started = Date.now();
  const nothing: Found = { roundTrips: 0, changes: [], warnings: [], drift: [], refusals: [] };
  let transport: Transport;
  try {
    transport = await ctx.connector(node, ctx.options);
  } catch (error) {
    return {
      result: hostResult(node, started, nothing, { status: 'unreachable', error: (error as Error).message }),
      checks: [],
    };
  }
  const { found, end } = await phases(node, ctx, transport, nothing);
  const kept = keepOpen ? end.open : undefined;
  if (end.open && end.open !== kept && end.open !== transport) end.open.close();
  if (transport !== kept) transport.close();
  return {
    result: hostResult(node, started, found, end),
    transport: kept,
    checks: end.checks ?? [],
    ...(end.live ? { live: end.live } : {}),
    facts: end.facts,
  };
}

function hostResult(node: ClusterNode, started: number, found: Found, end: End): HostResult {
  return {
    node: node.name,
    status: end.status,
    changes: found.changes,
    commands: end.commands ?? [],
    warnings: found.warnings,
    ...((end.drift ?? found.drift).length > 0 ? { drift: end.drift ?? found.drift } : {}),
    ...(found.factDigests ? { factDigests: found.factDigests } : {}),
    ...(found.networkManager ? { networkManager: found.networkManager } : {}),
    roundTrips: found.roundTrips + (end.roundTrips ?? 0),
    verifyRoundTrips: 0,
    durationMs: Date.now() - started,
    ...(found.refusals.length > 0 ? { refusals: found.refusals } : {}),
    // A read-only run reports `error` even when there is none (undefined), as the result always has.
    ...('error' in end ? { error: end.error } : {}),
    ...(end.failedStep ? { failedStep: end.failedStep } : {}),
    ...(end.remaining ? { remaining: end.remaining } : {}),
  };
}

/** read → plan → guard → apply (→ confirm) → verify; `found` grows as each phase reports. */
async function phases(
  node: ClusterNode,
  ctx: HostContext,
  transport: Transport,
  nothing: Found,
): Promise<{ found: Found; end: End }> {
  let found = nothing;
  try {
    const read = await readPhase(node, ctx, transport);
    found = { ...found, roundTrips: read.kind === 'unsent' ? 0 : 1 };
    if (read.kind !== 'read') return { found, end: failed(read.error) };
    const factDigests = digestsOf(ctx, read);
    found = { ...found, factDigests };
    const stale = ctx.savedPlan && staleSavedPlan(read, ctx.savedPlan, factDigests ?? {});
    if (stale) return { found, end: { status: 'refused', error: stale } };
    const planned = planOrConflict(ctx, read);
    if (planned instanceof PlanConflict) {
      found = { ...found, refusals: [planned.refusal] };
      return { found, end: { status: 'refused', error: `refused: ${planned.message}` } };
    }
    const { changes, warnings, drift } = planned;
    found = { ...found, changes, warnings, drift, networkManager: nodeNetworkManager(read.wanted, read.facts) };
    const saved = ctx.savedPlan?.nodes.find((n) => n.node === node.name);
    if (saved && !samePlan(saved.changes, changes)) return { found, end: { status: 'refused', error: EDITED_MESSAGE } };
    const guard = guardPhase(node, ctx, read, changes);
    found = { ...found, refusals: guard.refusals, warnings: [...found.warnings, ...guard.warnings] };
    if (guard.kind === 'refused') return { found, end: refusedEnd(guard.refusals) };
    if (!ctx.applies || changes.length === 0) return { found, end: unappliedEnd(ctx, read, changes, transport) };
    const apply = (hooks: ApplyHooks, timeoutMs = ctx.timeoutMs, guarded?: string) =>
      applyPhase(transport, read, changes, hooks, timeoutMs, guarded);
    if (guard.kind === 'under-confirm')
      return { found, end: await withCommitConfirm(node, ctx, read, changes, transport, apply) };
    // Without commit-confirm the same watchdog guards the apply: a step that outlives this run is put back.
    const applyGuard = newApplyGuard(ctx.timeoutMs);
    const guarded =
      "; the node puts itself back: its watchdog stops the step in flight and reverts this run's steps once the " +
      `session is gone, at the latest ${Math.round(applyGuard.applyTimeoutMs / 1000)} s after the apply began ` +
      '(`netstrap plan` then shows the same changes again)';
    const applied = await apply(applyHooks(applyGuard, changes, read.marker, []), ctx.timeoutMs, guarded);
    return { found, end: plainEnd(ctx, read, applied, transport) };
  } catch (error) {
    return { found, end: failed((error as Error).message) };
  }
}

/** The read phase's outcome: the node's facts (and, in verify, its probes' results), or why there are none. */
type ReadOutcome =
  | {
      readonly kind: 'read';
      /** The node as planned: itself, or declaring nothing (reset). */
      readonly wanted: ClusterNode;
      readonly facts: FactSet;
      readonly sections: ReadonlyArray<FactSection>;
      readonly marker: string;
      /** The fact script, with the hop questions: the apply script ends by running it again. */
      readonly factScript: string;
      readonly hops: ReadonlyArray<HopQuery>;
      readonly checks: ProbeResult[];
      readonly live?: LiveReads;
    }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'unsent'; readonly error: string };

/**
 * Round trip 1: every fact of the node (and in verify its probes that need no other host, and `ip route get` for
 * the hops of checks' model paths that pass through it), in one script.
 */
async function readPhase(node: ClusterNode, ctx: HostContext, transport: Transport): Promise<ReadOutcome> {
  const wanted = ctx.mode === 'reset' ? declaringNothing(node) : node;
  const readers = [...ctx.kinds, podAddresses, ownershipFacts, ...ctx.guards];
  const sections = factSections(wanted, ctx.model.cluster, readers);
  const marker = newMarker();
  const hops = ctx.hopQueries.get(node.name) ?? [];
  const hopScript = hops.length > 0 ? `${hopReadLines(hops, marker).join('\n')}\n` : '';
  const factScript = buildFactScript(sections, marker) + hopScript;
  // verify mode: facts and this node's probes in the same round trip (counted once, in roundTrips).
  const probes = ctx.mode === 'verify' ? probesFrom(ctx.checks, node.name).filter((c) => !c.later) : [];
  const probeScript = probes.length > 0 ? buildProbeScript(probes, marker) : '';
  let run: RunResult;
  try {
    run = await transport.run(factScript + probeScript, ctx.timeoutMs);
  } catch (error) {
    return { kind: 'unsent', error: (error as Error).message };
  }
  if (run.code !== 0) return { kind: 'failed', error: `reading facts failed (exit ${run.code}): ${run.stderr.trim()}` };
  const facts = new FactSet(parseFacts(run.stdout, sections, marker));
  const checks = probes.length > 0 ? parseProbeOutput(run.stdout, probes, marker) : [];
  const live =
    ctx.mode === 'verify' || hops.length > 0
      ? { sources: probeSourceRoutes(run.stdout, marker), hops: parseHopReads(run.stdout, hops, marker) }
      : undefined;
  return { kind: 'read', wanted, facts, sections, marker, factScript, hops, checks, ...(live ? { live } : {}) };
}

type Read = Extract<ReadOutcome, { kind: 'read' }>;

/** The facts plans are made from: every kind's and the ownership record's (not the guards', nor the probes'). */
const planReaders = (ctx: HostContext) => [...ctx.kinds, ownershipFacts];

/** The digests of the facts plans are made from (plan: saved with --out; bootstrap --plan: compared with the saved). */
function digestsOf(ctx: HostContext, read: Read): Record<string, string> | undefined {
  if (ctx.mode !== 'plan' && !ctx.savedPlan) return undefined;
  return factDigests(planReaders(ctx), read.wanted, ctx.model.cluster, read.facts);
}

/** bootstrap --plan: why the saved plan cannot be applied to this node as read now (undefined: it can). */
function staleSavedPlan(read: Read, plan: SavedPlan, digests: Readonly<Record<string, string>>) {
  const { name } = read.wanted;
  const saved = plan.nodes.find((n) => n.node === name);
  if (!saved) return `refused: ${name} is not in the saved plan; nothing was applied`;
  const moved = movedFacts(saved.facts, digests);
  if (moved.length === 0) return undefined;
  const argv = new Map(read.sections.map((section) => [section.name, section.argv]));
  return movedMessage(name, moved, (fact) => argv.get(fact));
}

/** The plan, its warnings, and live ≠ boot drift, all from the facts just read (in-process). */
function planPhase(ctx: HostContext, read: Read) {
  const { cluster } = ctx.model;
  const changes = planNode(read.wanted, cluster, ctx.kinds, read.facts, { keepRemoved: ctx.keepRemoved });
  const warnings = nodeWarnings(read.wanted, cluster, ctx.kinds, read.facts);
  const drift = ctx.mode !== 'reset' ? nodeDrift(read.wanted, cluster, ctx.kinds, read.facts, changes) : [];
  return { changes, warnings, drift };
}

/** The plan, or the conflict that makes it impossible (refused whatever --allow-disruption says: see PlanConflict). */
function planOrConflict(ctx: HostContext, read: Read): ReturnType<typeof planPhase> | PlanConflict {
  try {
    return planPhase(ctx, read);
  } catch (error) {
    if (error instanceof PlanConflict) return error;
    throw error;
  }
}

/** The disruption checks: nothing to refuse, refused (nothing is sent), or allowed under commit-confirm. */
interface GuardOutcome {
  readonly kind: 'clear' | 'refused' | 'under-confirm';
  readonly refusals: ReadonlyArray<Refusal>;
  readonly warnings: ReadonlyArray<string>;
}

function guardPhase(node: ClusterNode, ctx: HostContext, read: Read, changes: ReadonlyArray<Change>): GuardOutcome {
  if (ctx.mode === 'verify') return { kind: 'clear', refusals: [], warnings: [] };
  // The node's cluster-file entries are named after `node` (also in reset, whose `wanted` declares nothing).
  const context = { node, cluster: ctx.model.cluster, facts: read.facts, changes };
  const refusals = findRefusals(ctx.guards, context);
  const warnings = findWarnings(ctx.guards, context);
  // A refusal no revert could undo stands even under --allow-disruption.
  if (refusals.some((r) => r.irreversible)) return { kind: 'refused', refusals, warnings };
  if (ctx.allowDisruption) return { kind: 'under-confirm', refusals, warnings };
  return { kind: refusals.length > 0 ? 'refused' : 'clear', refusals, warnings };
}

function refusedEnd(refusals: ReadonlyArray<Refusal>): End {
  const final = refusals.some((r) => r.irreversible);
  return {
    status: 'refused',
    error:
      `refused: ${refusals.map(describeRefusal).join('; ')}; nothing was applied ` +
      (final
        ? '(change the cluster file: no revert could undo this, so --allow-disruption does not apply it)'
        : '(change the cluster file, or pass --allow-disruption to apply it under commit-confirm)'),
  };
}

/** Plan, verify, reset --dry-run, or nothing to change: the read is the whole run. */
function unappliedEnd(ctx: HostContext, read: Read, changes: ReadonlyArray<Change>, transport: Transport): End {
  const pending = changes.length > 0;
  return {
    status: pending ? 'pending' : 'ok',
    error:
      ctx.mode === 'verify' && pending
        ? `not converged: ${changes.length} change(s) pending (see netstrap plan)`
        : undefined,
    open: transport,
    checks: read.checks,
    ...(read.live ? { live: read.live } : {}),
    facts: read.facts,
  };
}

/** The hop answers of the facts the apply script read again at its end: the node as the apply left it. */
function appliedLive(read: Read, run: RunResult): { live?: LiveReads } {
  if (read.hops.length === 0) return {};
  return { live: { sources: new Map(), hops: parseHopReads(run.stdout, read.hops, read.marker) } };
}

/** The apply phase's outcome. `cut-short`: the script did not finish (connection lost, timed out, ended early). */
type ApplyOutcome =
  | { readonly kind: 'applied'; readonly run: RunResult; readonly commands: ReadonlyArray<string> }
  | {
      readonly kind: 'cut-short';
      readonly message: string;
      readonly stepsBegun: number;
      readonly commands: ReadonlyArray<string>;
    }
  | { readonly kind: 'failed'; readonly end: End };

/** Round trip 2: every change, reverting on failure, ending with the facts read again. */
async function applyPhase(
  transport: Transport,
  read: Read,
  changes: ReadonlyArray<Change>,
  hooks: ApplyHooks,
  timeoutMs: number,
  /** An apply guard's note on what the node does when the run cannot see the apply to its end (no commit-confirm). */
  guarded?: string,
): Promise<ApplyOutcome> {
  const { marker, facts } = read;
  let run: RunResult;
  try {
    run = await transport.run(
      buildApplyScript(changes, marker, read.factScript, applyPrelude(facts, marker), hooks),
      timeoutMs,
    );
  } catch (error) {
    const partial = error instanceof RunError ? parseApplyOutput(error.stdout, marker) : undefined;
    const how = error instanceof RunError && error.reason === 'lost' ? 'connection lost' : 'command timed out';
    const message = partial
      ? `${how} ${describeStep(changes, partial.started)}: ${(error as Error).message}${partial.started > 0 ? (guarded ?? '') : ''}`
      : (error as Error).message;
    return {
      kind: 'cut-short',
      message,
      stepsBegun: partial?.started ?? 0,
      commands: partial ? commandsRun(changes, partial) : [],
    };
  }
  const outcome = parseApplyOutput(run.stdout, marker);
  if (outcome.stale) return { kind: 'failed', end: { ...failed(staleMessage(outcome.stale)), roundTrips: 1 } };
  const commands = commandsRun(changes, outcome);
  const armed = parseArmed(run.stdout, marker);
  if (!armed.armed) {
    const why = armed.why ?? `exit ${run.code}: ${run.stderr.trim()}`;
    const what = guarded ? "the apply's watchdog" : 'the commit-confirm watchdog';
    return { kind: 'failed', end: failed(`could not arm ${what}: ${why}; nothing was changed`, { roundTrips: 1 }) };
  }
  if (guarded && outcome.watchdogFired) {
    const message = `the apply outlived its deadline ${describeStep(changes, outcome.started)}${guarded}`;
    return { kind: 'failed', end: failed(message, { commands, roundTrips: 1 }) };
  }
  if (outcome.failedStep !== undefined) {
    const change = changes[outcome.failedStep - 1];
    const reverted = outcome.reverted && outcome.revertFailures.length === 0;
    const error =
      `step ${outcome.failedStep}/${changes.length} (${change.kind} ${change.target}) failed: ${outcome.failedOutput || `exit ${run.code}`}; ` +
      (reverted
        ? `reverted steps ${outcome.failedStep}..1`
        : `REVERT INCOMPLETE (steps ${outcome.revertFailures.join(', ')} reported errors)`);
    const failedStep = { step: outcome.failedStep, kind: change.kind, target: change.target, reverted };
    return { kind: 'failed', end: failed(error, { commands, failedStep, roundTrips: 1 }) };
  }
  if (!outcome.applied || run.code !== 0) {
    const message = `apply script ended early ${describeStep(changes, outcome.started)} (exit ${run.code}): ${run.stderr.trim()}${guarded ?? ''}`;
    return { kind: 'cut-short', message, stepsBegun: outcome.started, commands };
  }
  return { kind: 'applied', run, commands };
}

function staleMessage(stale: 'locked' | 'changed'): string {
  return stale === 'locked'
    ? "another netstrap run holds this node's lock (/run/lock/netstrap.lock); nothing was changed"
    : 'another netstrap run applied changes to this node since its facts were read; nothing was changed: run again';
}

function describeStep(changes: ReadonlyArray<Change>, step: number): string {
  const change = changes[step - 1];
  return step === 0 ? 'before step 1' : `during step ${step}/${changes.length} (${change.kind} ${change.target})`;
}

/** The verify phase's outcome: the facts the apply script read at its end, planned again. */
type VerifyOutcome = (
  | { readonly kind: 'converged' }
  | { readonly kind: 'not-converged'; readonly remaining: ReadonlyArray<Change>; readonly message: string }
) & {
  /** Live ≠ boot as the node is now (the drift the run reports, not the one it found and repaired). */
  readonly drift: ReadonlyArray<Drift>;
};

function verifyPhase(ctx: HostContext, read: Read, run: RunResult): VerifyOutcome {
  const { cluster } = ctx.model;
  const after = new FactSet(parseFacts(run.stdout, read.sections, read.marker));
  const remaining = planNode(read.wanted, cluster, ctx.kinds, after, { keepRemoved: ctx.keepRemoved });
  const drift = ctx.mode !== 'reset' ? nodeDrift(read.wanted, cluster, ctx.kinds, after, remaining) : [];
  if (remaining.length === 0) return { kind: 'converged', drift };
  const listed = remaining.map((c) => `${c.kind} ${c.target} (${c.before} → ${c.after})`).join('; ');
  return { kind: 'not-converged', remaining, message: `not converged after apply: ${listed}`, drift };
}

/** Apply without commit-confirm: a failure is the host's; a host that did not converge is failed. */
function plainEnd(ctx: HostContext, read: Read, applied: ApplyOutcome, transport: Transport): End {
  if (applied.kind === 'failed') return applied.end;
  if (applied.kind === 'cut-short') return failed(applied.message, { commands: applied.commands, roundTrips: 1 });
  const verified = verifyPhase(ctx, read, applied.run);
  const { drift } = verified;
  if (verified.kind === 'not-converged')
    return failed(verified.message, {
      commands: applied.commands,
      remaining: verified.remaining,
      roundTrips: 1,
      drift,
    });
  return {
    status: 'changed',
    commands: applied.commands,
    roundTrips: 1,
    open: transport,
    facts: read.facts,
    drift,
    ...appliedLive(read, applied.run),
  };
}

/**
 * Commit-confirm around apply (and verify): arms the watchdog in the apply script's prologue, with the node's probes
 * run before the first change; then confirms over a new connection, or reverts (at once when the plan did not
 * converge, by the watchdog when the node cannot be reached).
 */
async function withCommitConfirm(
  node: ClusterNode,
  ctx: HostContext,
  read: Read,
  changes: ReadonlyArray<Change>,
  transport: Transport,
  apply: (hooks: ApplyHooks, timeoutMs: number) => Promise<ApplyOutcome>,
): Promise<End> {
  const { marker } = read;
  const confirm = newConfirm(ctx.confirmTimeoutMs, ctx.watchdog, undefined, ctx.timeoutMs);
  const probes = confirmProbes(node, ctx, read);
  const hooks = applyHooks(confirm, changes, marker, probes);
  const steps: ConfirmSteps = {
    confirm,
    marker,
    deadline: Date.now() + confirm.timeoutMs,
    connectTimeoutMs: ctx.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    open: (connectTimeoutMs) => ctx.connector(node, { ...ctx.options, connectTimeoutMs }),
  };
  const applied = await apply(hooks, Math.min(ctx.timeoutMs, steps.deadline - Date.now()));
  if (applied.kind === 'failed') return applied.end;
  const settled = (outcome: ConfirmOutcome, stepsBegun: number, because?: string) =>
    confirmedEnd(changes, { ...outcome, roundTrips: outcome.roundTrips + 1 }, stepsBegun, applied.commands, because);
  if (applied.kind === 'cut-short') return settled(await awaitWatchdog(steps, applied.message), applied.stepsBegun);
  const verified = verifyPhase(ctx, read, applied.run);
  if (verified.kind === 'not-converged') {
    // A plan that did not converge is put back at once, over the connection it came on.
    const timeoutMs = Math.max(1000, Math.min(ctx.timeoutMs, steps.deadline - Date.now()));
    const r = await transport
      .run(revertNowScript(confirm, marker, 'not converged'), timeoutMs)
      .catch((error: Error) => error);
    if (r instanceof Error)
      return settled(await awaitWatchdog(steps, `${verified.message}; revert: ${r.message}`), changes.length);
    const report = parseConfirmOutput(r.stdout, marker);
    const state = report.state === 'reverted' ? 'reverted' : 'unknown';
    return settled(
      { status: state, roundTrips: 1, detail: `watchdog state ${report.state}` },
      changes.length,
      verified.message,
    );
  }
  const before = parseProbeOutput(applied.run.stdout, probes, marker);
  const end = settled(await confirmOrRevert(steps, transport, before, probes), changes.length);
  // Confirmed: the node is as the apply left it; put back: as it was read before.
  return end.status === 'changed' ? { ...end, drift: verified.drift, ...appliedLive(read, applied.run) } : end;
}

/** The probes run before the first change and again to confirm: the node's default gateway, then its own probes. */
function confirmProbes(node: ClusterNode, ctx: HostContext, read: Read): Probe[] {
  const gateway = ipState(read.facts)
    .routes.filter((r) => r.dst === 'default' && r.gateway)
    .sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0]?.gateway;
  // Probes need an address now: a probe of a pod (read at run time) is not one.
  const own = probesFrom(ctx.checks, node.name).filter((c) => c.address !== undefined);
  return nodeProbes(node.name, gateway, own, ctx.model.cluster.verify.length);
}

/** How commit-confirm ended, as the host's end; `roundTrips` counts the apply too. */
function confirmedEnd(
  changes: ReadonlyArray<Change>,
  outcome: ConfirmOutcome,
  stepsBegun: number,
  commands: ReadonlyArray<string>,
  because?: string,
): End {
  const { roundTrips } = outcome;
  if (outcome.status === 'confirmed') return { status: 'changed', commands, roundTrips, open: outcome.transport };
  const detail = [because, outcome.detail].filter(Boolean).join('; ');
  if (outcome.status === 'unknown') return failed(`commit-confirm: ${detail}`, { commands, roundTrips });
  // Steps 1..n applied, then reverted (by the watchdog or the controller), as the report's commands.
  const n = outcome.stepsBegun ?? stepsBegun;
  const reverted =
    n === 0
      ? []
      : commandsRun(changes, {
          completed: n - 1,
          started: n,
          failedStep: n,
          reverted: true,
          applied: false,
          revertFailures: [],
        });
  return { status: 'reverted', error: `not confirmed: ${detail}`, commands: reverted, roundTrips };
}

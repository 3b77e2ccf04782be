/**
 * The host provisioner: per host, ONE connection and at most two round trips —
 *   1. the fact script (every kind's facts) → plan in-process; no change → done (1 round trip);
 *   2. the apply script (every change, reverting on failure) which ends by reading the facts again → re-plan
 *      in-process: a change left over means the host did not converge.
 * Hosts run in parallel (bounded by `concurrency`); one host failing never stops the others.
 * Probes (cluster.verify) run after every host is done, since they depend on other hosts'
 * state: one more round trip per source node, over the connection it already has, reported separately as
 * `verifyRoundTrips`.
 *
 * Between plan and apply, the disruption checks (disruption.ts, guards.ts: the lock-out guard first) may refuse a
 * node's plan: nothing is sent to it (status `refused`). With allowDisruption it is applied under commit-confirm
 * instead (confirm.ts): one more round trip, over a new connection, for every node that changes.
 */
import { effectiveNodes } from '../model/effective';
import type { ClusterModel } from '../model/load';
import type { ClusterNode } from '../model/schema';
import {
  awaitWatchdog,
  type ConfirmOutcome,
  confirmOrRevert,
  type ConfirmSteps,
  armScript,
  disarmCommand,
  newConfirm,
  nodeProbes,
  parseArmed,
  parseConfirmOutput,
  progressRecord,
  revertNowScript,
  type WatchdogKind,
} from './confirm';
import { describeRefusal, type DisruptionCheck, findRefusals, type Refusal } from './disruption';
import { FactSet } from './fact';
import { buildFactScript, factSections, newMarker, parseFacts } from './fact-script';
import { disruptionChecks } from './guards';
import { nodeDrift, nodeWarnings, planNode } from './node-plan';
import { applyPrelude, ownershipFacts } from './ownership';
import { resourceKinds } from './resources';
import { ipState } from './resources/ip-facts';
import { buildApplyScript, commandsRun, parseApplyOutput } from './script';
import { Connector, RunError, type RunResult, SshOptions, sshConnector, Transport } from './ssh';
import { podAddresses, podAddressFact } from './resources/pods';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_CONFIRM_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
} from './defaults';
import { selectNodes } from './only';
import { type Change, type Drift, type ResourceKind } from './types';
import {
  buildProbeScript,
  ProbeResult,
  probeSource,
  probeTarget,
  describeProbe,
  parseProbeOutput,
  type ProbeSpec,
  type Probe,
  staticTargetAddress,
} from './verify';

/** plan: read and compare; bootstrap: apply; verify: compare and run the probes; reset: undo all netstrap owns. */
export type RunMode = 'plan' | 'bootstrap' | 'verify' | 'reset';

/**
 * - ok: nothing to change; changed: changes applied and verified; pending: changes found (plan) or drift (verify);
 * - failed: a fact read, a step or the post-apply verification failed; unreachable: no connection;
 * - refused: a disruption check refused the plan, nothing was sent (exit 2: the cluster file must change);
 * - reverted: applied under commit-confirm, then put back because it was not confirmed (exit 1).
 */
export type HostStatus = 'ok' | 'changed' | 'pending' | 'failed' | 'unreachable' | 'refused' | 'reverted';

export interface HostResult {
  readonly node: string;
  readonly status: HostStatus;
  /** The changes planned (plan, verify) or applied (bootstrap). */
  readonly changes: ReadonlyArray<Change>;
  /** Problems the resource kinds saw that are not changes (e.g. a resolver that would crash CoreDNS). */
  readonly warnings: ReadonlyArray<string>;
  /** Live ≠ boot, found before anything was applied: what a reboot would change (see node-plan.ts nodeDrift). */
  readonly drift?: ReadonlyArray<Drift>;
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
}

export interface ClusterResult {
  readonly mode: RunMode;
  readonly cluster: string;
  readonly hosts: ReadonlyArray<HostResult>;
  readonly checks: ReadonlyArray<ProbeResult>;
  readonly durationMs: number;
  /** Everything converged (bootstrap), could be read (plan), or is as declared (verify), and every check passed. */
  readonly ok: boolean;
}

export interface ProvisionOptions extends SshOptions {
  /** Hosts worked on at once. @default 64 */
  readonly concurrency?: number;
  /** Time allowed for each round trip. @default 120000 ms */
  readonly commandTimeoutMs?: number;
  /** Work only on these nodes (by name); assertions from other nodes are skipped. @default every node */
  readonly only?: ReadonlyArray<string>;
  /** Resource kinds to plan with. @default resourceKinds (every kind netstrap has) */
  readonly kinds?: ReadonlyArray<ResourceKind>;
  /** How to reach a host. @default sshConnector */
  readonly connector?: Connector;
  /** Leave owned objects the cluster file no longer declares in place for this run (they stay owned). @default false */
  readonly keepRemoved?: boolean;
  /** reset mode: only show what reset would do, change nothing. @default false */
  readonly dryRun?: boolean;
  /** Called when a host is done (for progress output). */
  readonly onHostDone?: (result: HostResult, done: number, total: number) => void;
  /** Apply plans that disruption checks refuse, under commit-confirm (every changing node is confirmed). @default false */
  readonly allowDisruption?: boolean;
  /** Time from arming the watchdog to its revert, unless confirmed. @default 30000 ms */
  readonly confirmTimeoutMs?: number;
  /** How the watchdog outlives the session: a detached process, or a systemd-run timer. @default 'detached' */
  readonly watchdog?: WatchdogKind;
  /** Checks that may refuse a node's plan. @default disruptionChecks (guards.ts) */
  readonly disruptionChecks?: ReadonlyArray<DisruptionCheck>;
}

// The defaults live in defaults.ts (the CLI shows them in --help without loading the SSH modules).
export { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONCURRENCY, DEFAULT_CONFIRM_TIMEOUT_MS };

/** Connects to every host, reads facts and returns what would change. Mutates nothing. */
export function planCluster(model: ClusterModel, options: ProvisionOptions = {}): Promise<ClusterResult> {
  return runCluster('plan', model, options);
}

/** Plans, applies and verifies every host, then runs the connectivity assertions. */
export function bootstrapCluster(model: ClusterModel, options: ProvisionOptions = {}): Promise<ClusterResult> {
  return runCluster('bootstrap', model, options);
}

/** Checks every host is converged (no pending change) and runs the connectivity assertions; mutates nothing. */
export function verifyCluster(model: ClusterModel, options: ProvisionOptions = {}): Promise<ClusterResult> {
  return runCluster('verify', model, options);
}

/**
 * Removes everything netstrap created on every node for this cluster and restores what it adopted (replaced
 * routes, sysctl values, files, managed blocks), as the ownership records list them: each node goes back to its
 * state before the cluster's first bootstrap. Idempotent. With `dryRun`, only plans it.
 */
export function resetCluster(model: ClusterModel, options: ProvisionOptions = {}): Promise<ClusterResult> {
  return runCluster('reset', model, options);
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

/** Runs `fn` over `items` with at most `limit` running at once; results keep the input order. */
export async function runPool<T, R>(items: ReadonlyArray<T>, limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

async function runCluster(mode: RunMode, model: ClusterModel, options: ProvisionOptions): Promise<ClusterResult> {
  const started = Date.now();
  const { cluster } = model;
  // Each node with what netstrap derives for it (routing: auto routes, pod subnet, pod NAT): src/model/effective.ts.
  const nodes = selectNodes(effectiveNodes(cluster), options.only);
  // Probes run in the fact round trip (verify) unless they target a pod, whose address is read in that round trip
  // of the pod's node: those, and every probe of bootstrap, run once all hosts are done, over the connection the
  // source node already has (kept open until then: one connection per host).
  const checks: ScheduledProbe[] = (mode === 'reset' ? [] : cluster.verify).map((spec, index) => {
    const { endpoint } = probeTarget(cluster, spec);
    return {
      index,
      spec,
      endpoint,
      address: staticTargetAddress(cluster, endpoint),
      later: mode === 'bootstrap' || endpoint.kind === 'pod',
    };
  });
  const sources = new Set(
    mode === 'plan' ? [] : checks.filter((c) => c.later).map(({ spec }) => probeSource(spec).node),
  );
  const ctx: HostContext = {
    mode,
    model,
    kinds: options.kinds ?? resourceKinds,
    connector: options.connector ?? sshConnector,
    options: { baseDir: model.baseDir, ...options },
    timeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    applies: mode === 'bootstrap' || (mode === 'reset' && options.dryRun !== true),
    keepRemoved: options.keepRemoved === true,
    guards: options.disruptionChecks ?? disruptionChecks,
    allowDisruption: options.allowDisruption === true,
    confirmTimeoutMs: options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS,
    watchdog: options.watchdog ?? 'detached',
    checks,
  };
  const open = new Map<string, Transport>();
  let done = 0;
  const total = nodes.length;
  try {
    const outcomes = await runPool(nodes, options.concurrency ?? DEFAULT_CONCURRENCY, async (node) => {
      const keep = sources.has(node.name);
      const outcome = await runHost(node, ctx, keep);
      if (outcome.transport) open.set(node.name, outcome.transport);
      options.onHostDone?.(outcome.result, ++done, total);
      return outcome;
    });
    const hosts = outcomes.map((outcome) => ({ ...outcome.result }));
    const checkResults: ProbeResult[] = outcomes.flatMap((outcome) => outcome.checks);
    if (mode !== 'plan' && mode !== 'reset') {
      // After every host is done: the remaining probes, per source node, in parallel; pods at their address now.
      const factsOf = new Map(nodes.map((node, i) => [node.name, outcomes[i].facts] as const));
      const resolved = (check: ScheduledProbe): Probe => {
        if (check.endpoint.kind !== 'pod') return check;
        const facts = factsOf.get(check.endpoint.node);
        const address = facts ? podAddressFact(facts, check.endpoint.pod) : undefined;
        const detail = facts
          ? `pod ${check.endpoint.node}/${check.endpoint.pod} has no address (no such pod?)`
          : `node ${check.endpoint.node} was not read`;
        return { index: check.index, spec: check.spec, address, detail };
      };
      const ran = await runPool([...open.keys()], options.concurrency ?? DEFAULT_CONCURRENCY, async (name) => {
        const list = probesFrom(checks, name)
          .filter((c) => c.later)
          .map(resolved);
        if (list.length === 0) return [];
        const host = hosts.find((h) => h.node === name)!;
        const result = await runProbes(open.get(name)!, list, ctx.timeoutMs);
        Object.assign(host, { verifyRoundTrips: 1 });
        return result;
      });
      checkResults.push(...ran.flat());
    }
    if (mode !== 'plan' && mode !== 'reset') {
      // Probes whose source was not worked on (--only) or could not be reached are reported, not hidden.
      const seen = new Set(checkResults.map((c) => c.index));
      for (const { index, spec } of checks) {
        if (seen.has(index)) continue;
        const source = hosts.find((h) => h.node === probeSource(spec).node);
        checkResults.push({
          index,
          from: spec.from,
          check: describeProbe(spec),
          expect: spec.expect,
          status: source ? 'failed' : 'skipped',
          detail: source ? `source node ${source.node} is ${source.status}` : 'source node not selected (--only)',
        });
      }
      checkResults.sort((a, b) => a.index - b.index);
    }
    const planOnly = mode === 'plan' || (mode === 'reset' && options.dryRun === true);
    const hostsOk = hosts.every(
      (h) => h.status === 'ok' || h.status === 'changed' || (planOnly && h.status === 'pending'),
    );
    return {
      mode,
      cluster: cluster.name,
      hosts,
      checks: checkResults,
      durationMs: Date.now() - started,
      ok: hostsOk && checkResults.every((c) => c.status !== 'failed'),
    };
  } finally {
    for (const transport of open.values()) transport.close();
  }
}

interface HostContext {
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
}

/** A probe as the run schedules it: its target, its address when the file tells it, and when it runs. */
interface ScheduledProbe extends Probe {
  readonly endpoint: ReturnType<typeof probeTarget>['endpoint'];
  /** Runs after every host is done (bootstrap; a pod target), not in the fact round trip of verify. */
  readonly later: boolean;
}

function probesFrom<T extends { spec: ProbeSpec }>(checks: ReadonlyArray<T>, node: string): T[] {
  return checks.filter(({ spec }) => probeSource(spec).node === node);
}

async function runProbes(transport: Transport, list: ReadonlyArray<Probe>, timeoutMs: number): Promise<ProbeResult[]> {
  const marker = newMarker();
  try {
    const run = await transport.run(buildProbeScript(list, marker), timeoutMs);
    return parseProbeOutput(run.stdout, list, marker);
  } catch (error) {
    return list.map(({ index, spec }) => ({
      index,
      from: spec.from,
      check: describeProbe(spec),
      expect: spec.expect,
      status: 'failed' as const,
      detail: (error as Error).message,
    }));
  }
}

/** One host: connect, facts, plan, and in bootstrap mode apply + verify. Never throws. */
async function runHost(
  node: ClusterNode,
  ctx: HostContext,
  keepOpen: boolean,
): Promise<{ result: HostResult; transport?: Transport; checks: ProbeResult[]; facts?: FactSet }> {
  const started = Date.now();
  let roundTrips = 0;
  const verifyRoundTrips = 0;
  let commands: string[] = [];
  let changes: Change[] = [];
  let warnings: string[] = [];
  let refusals: Refusal[] = [];
  let drift: Drift[] = [];
  const finish = (status: HostStatus, extra: Partial<HostResult> = {}): HostResult => ({
    node: node.name,
    status,
    changes,
    commands,
    warnings,
    ...(drift.length > 0 ? { drift } : {}),
    roundTrips,
    verifyRoundTrips,
    durationMs: Date.now() - started,
    ...(refusals.length > 0 ? { refusals } : {}),
    ...extra,
  });
  const failed = (error: string, extra: Partial<HostResult> = {}) => ({
    result: finish('failed', { error, ...extra }),
    checks: [],
  });
  let transport: Transport;
  try {
    transport = await ctx.connector(node, ctx.options);
  } catch (error) {
    return { result: finish('unreachable', { error: (error as Error).message }), checks: [] };
  }
  let kept: Transport | undefined;
  try {
    const { cluster } = ctx.model;
    const wanted = ctx.mode === 'reset' ? declaringNothing(node) : node;
    const sections = factSections(wanted, cluster, [...ctx.kinds, podAddresses, ownershipFacts, ...ctx.guards]);
    const marker = newMarker();
    const factScript = buildFactScript(sections, marker);
    // verify mode: facts and this node's probes in the same round trip (counted once, in roundTrips).
    const checks = ctx.mode === 'verify' ? probesFrom(ctx.checks, node.name).filter((c) => !c.later) : [];
    const checkScript = checks.length > 0 ? buildProbeScript(checks, marker) : '';
    const read = await transport.run(factScript + checkScript, ctx.timeoutMs);
    roundTrips++;
    if (read.code !== 0) return failed(`reading facts failed (exit ${read.code}): ${read.stderr.trim()}`);
    const facts = new FactSet(parseFacts(read.stdout, sections, marker));
    const planOptions = { keepRemoved: ctx.keepRemoved };
    changes = planNode(wanted, cluster, ctx.kinds, facts, planOptions);
    warnings = nodeWarnings(wanted, cluster, ctx.kinds, facts);
    if (ctx.mode !== 'reset') drift = nodeDrift(wanted, cluster, ctx.kinds, facts, changes);
    // The node's cluster-file entries are named after `node` (also in reset, whose `wanted` declares nothing).
    if (ctx.mode !== 'verify') refusals = findRefusals(ctx.guards, { node, cluster, facts, changes });
    const checkResults = checks.length > 0 ? parseProbeOutput(read.stdout, checks, marker) : [];
    const refused = refusals.length > 0 && !ctx.allowDisruption;
    if (refused) {
      return {
        result: finish('refused', {
          error:
            `refused: ${refusals.map(describeRefusal).join('; ')}; nothing was applied ` +
            '(change the cluster file, or pass --allow-disruption to apply it under commit-confirm)',
        }),
        checks: [],
      };
    }
    if (!ctx.applies || changes.length === 0) {
      const status: HostStatus = changes.length === 0 ? 'ok' : 'pending';
      const error =
        ctx.mode === 'verify' && changes.length > 0
          ? `not converged: ${changes.length} change(s) pending (see netstrap plan)`
          : undefined;
      if (keepOpen) kept = transport;
      return { result: finish(status, { error }), transport: kept, checks: checkResults, facts };
    }

    // Commit-confirm: the watchdog is armed before the first change and the probes run before it too.
    const confirm = ctx.allowDisruption ? newConfirm(ctx.confirmTimeoutMs, ctx.watchdog) : undefined;
    const gateway = ipState(facts)
      .routes.filter((r) => r.dst === 'default' && r.gateway)
      .sort((a, b) => (a.metric ?? 0) - (b.metric ?? 0))[0]?.gateway;
    // Probes need an address now: a probe of a pod (read at run time) is not one.
    const probes = nodeProbes(
      node.name,
      gateway,
      probesFrom(ctx.checks, node.name).filter((c) => c.address !== undefined),
      cluster.verify.length,
    );
    const hooks = confirm
      ? {
          prologue: armScript(confirm, changes, marker, probes),
          mayRevert: disarmCommand(confirm, marker),
          progress: progressRecord,
        }
      : undefined;
    const steps: ConfirmSteps | undefined = confirm && {
      confirm,
      marker,
      deadline: Date.now() + confirm.timeoutMs,
      connectTimeoutMs: ctx.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      open: (connectTimeoutMs) => ctx.connector(node, { ...ctx.options, connectTimeoutMs }),
    };
    // Steps 1..n applied, then reverted (by the watchdog or the controller), as the report's commands.
    const revertedUpTo = (n: number) =>
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
    const confirmed = (outcome: ConfirmOutcome, stepsBegun: number, because?: string) => {
      roundTrips += outcome.roundTrips;
      if (outcome.status === 'reverted') commands = revertedUpTo(outcome.stepsBegun ?? stepsBegun);
      if (outcome.status === 'confirmed') {
        if (outcome.transport && keepOpen) kept = outcome.transport;
        else outcome.transport?.close();
        return { result: finish('changed'), transport: kept, checks: [] };
      }
      const detail = [because, outcome.detail].filter(Boolean).join('; ');
      if (outcome.status === 'reverted')
        return { result: finish('reverted', { error: `not confirmed: ${detail}` }), checks: [] };
      return failed(`commit-confirm: ${detail}`);
    };
    const describeStep = (step: number) => {
      const change = changes[step - 1];
      return step === 0 ? 'before step 1' : `during step ${step}/${changes.length} (${change.kind} ${change.target})`;
    };

    let applied: RunResult;
    try {
      const timeoutMs = steps ? Math.min(ctx.timeoutMs, steps.deadline - Date.now()) : ctx.timeoutMs;
      applied = await transport.run(
        buildApplyScript(changes, marker, factScript, applyPrelude(facts, marker), hooks),
        timeoutMs,
      );
      roundTrips++;
    } catch (error) {
      roundTrips++;
      const partial = error instanceof RunError ? parseApplyOutput(error.stdout, marker) : undefined;
      commands = partial ? commandsRun(changes, partial) : [];
      const where = partial
        ? `${error instanceof RunError && error.reason === 'lost' ? 'connection lost' : 'command timed out'} ${describeStep(partial.started)}`
        : '';
      const message = where ? `${where}: ${(error as Error).message}` : (error as Error).message;
      if (steps) return confirmed(await awaitWatchdog(steps, message), partial?.started ?? 0);
      return failed(message);
    }
    const outcome = parseApplyOutput(applied.stdout, marker);
    if (outcome.stale) {
      return {
        result: finish('failed', {
          error:
            outcome.stale === 'locked'
              ? "another netstrap run holds this node's lock (/run/lock/netstrap.lock); nothing was changed"
              : 'another netstrap run applied changes to this node since its facts were read; nothing was changed: run again',
        }),
        checks: [],
      };
    }
    commands = commandsRun(changes, outcome);
    if (confirm) {
      const armed = parseArmed(applied.stdout, marker);
      if (!armed.armed) {
        commands = [];
        return failed(
          `could not arm the commit-confirm watchdog: ${armed.why ?? `exit ${applied.code}: ${applied.stderr.trim()}`}; nothing was changed`,
        );
      }
    }
    if (outcome.failedStep !== undefined) {
      const change = changes[outcome.failedStep - 1];
      const reverted = outcome.reverted && outcome.revertFailures.length === 0;
      return failed(
        `step ${outcome.failedStep}/${changes.length} (${change.kind} ${change.target}) failed: ${outcome.failedOutput || `exit ${applied.code}`}; ` +
          (reverted
            ? `reverted steps ${outcome.failedStep}..1`
            : `REVERT INCOMPLETE (steps ${outcome.revertFailures.join(', ')} reported errors)`),
        { failedStep: { step: outcome.failedStep, kind: change.kind, target: change.target, reverted } },
      );
    }
    if (!outcome.applied || applied.code !== 0) {
      const message = `apply script ended early ${describeStep(outcome.started)} (exit ${applied.code}): ${applied.stderr.trim()}`;
      if (steps) return confirmed(await awaitWatchdog(steps, message), outcome.started);
      return failed(message);
    }
    const after = new FactSet(parseFacts(applied.stdout, sections, marker));
    const remaining = planNode(wanted, cluster, ctx.kinds, after, planOptions);
    const notConverged = `not converged after apply: ${remaining.map((c) => `${c.kind} ${c.target} (${c.before} → ${c.after})`).join('; ')}`;
    if (steps && remaining.length > 0) {
      // Under commit-confirm a plan that did not converge is put back at once, over the connection it came on.
      const r = await transport
        .run(
          revertNowScript(steps.confirm, marker, 'not converged'),
          Math.max(1000, Math.min(ctx.timeoutMs, steps.deadline - Date.now())),
        )
        .catch((error: Error) => error);
      if (r instanceof Error)
        return confirmed(await awaitWatchdog(steps, `${notConverged}; revert: ${r.message}`), changes.length);
      roundTrips++;
      const report = parseConfirmOutput(r.stdout, marker);
      return confirmed(
        {
          status: report.state === 'reverted' ? 'reverted' : 'unknown',
          roundTrips: 0,
          detail: `watchdog state ${report.state}`,
        },
        changes.length,
        notConverged,
      );
    }
    if (remaining.length > 0) return failed(notConverged, { remaining });
    if (steps) {
      const before = parseProbeOutput(applied.stdout, probes, marker);
      return confirmed(await confirmOrRevert(steps, transport, before, probes), changes.length);
    }
    if (keepOpen) kept = transport;
    return { result: finish('changed'), transport: kept, checks: [], facts };
  } catch (error) {
    return failed((error as Error).message);
  } finally {
    if (kept !== transport) transport.close();
  }
}

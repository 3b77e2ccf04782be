/**
 * The host provisioner: per host, ONE connection and at most two round trips —
 *   1. the fact script (every kind's facts) → plan in-process; no change → done (1 round trip);
 *   2. the apply script (every change, reverting on failure) which ends by reading the facts again → re-plan
 *      in-process: a change left over means the host did not converge.
 * Hosts run in parallel (bounded by `concurrency`); one host failing never stops the others, except in a staged
 * rollout (`serial`, rollout.ts): batch after batch, each finished (confirmed or reverted under commit-confirm, its
 * checks run) before the next starts, and a batch with more failures than `maxFail` allows stops it (the rest are
 * `skipped`). Probes (cluster.verify) run once the hosts they depend on are done (their source's and target's
 * batches; every host without serial): one more round trip per source node and batch that ran some, over the
 * connection it already has, reported separately as `verifyRoundTrips`.
 *
 * Between plan and apply, the disruption checks (disruption.ts, guards.ts: the lock-out guard first) may refuse a
 * node's plan: nothing is sent to it (status `refused`). With allowDisruption it is applied under commit-confirm
 * instead (confirm.ts): one more round trip, over a new connection, for every node that changes.
 */
import { effectiveNodes } from '../model/effective';
import type { ClusterNode } from '../model/schema';
import type { ClusterModel } from '../model/load';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONCURRENCY, DEFAULT_CONFIRM_TIMEOUT_MS } from './defaults';
import type { DisruptionCheck } from './disruption';
import { newMarker } from './fact-script';
import { disruptionChecks } from './guards';
import { selectNodes } from './only';
import { resourceKinds } from './resources';
import { podAddressFact } from './resources/pods';
import type { SavedPlan } from './saved-plan';
import { describeMaxFail, describeSerial, type MaxFail, rolloutBatches, type SerialItem, stopReason } from './rollout';
import { type HopQuery, hopKey, type LiveRoute } from './live-route';
import {
  type HostContext,
  type HostOutcome,
  type HostResult,
  type HostStatus,
  type RunMode,
  runHost,
  type ScheduledProbe,
  probesFrom,
} from './run-host';
import { type Connector, type SshOptions, sshConnector, type Transport } from './ssh';
import type { ResourceKind } from './types';
import type { WatchdogKind } from './confirm';
import {
  buildProbeScript,
  describeProbe,
  explainFailures,
  type HopAnswer,
  hopQueries,
  parseProbeOutput,
  probeSourceRoutes,
  type Probe,
  type ProbeResult,
  probeSource,
  probeTarget,
  staticTargetAddress,
} from './verify';

export { declaringNothing, type HostResult, type HostStatus, type RunMode } from './run-host';

export interface ClusterResult {
  readonly mode: RunMode;
  readonly cluster: string;
  readonly hosts: ReadonlyArray<HostResult>;
  readonly checks: ReadonlyArray<ProbeResult>;
  readonly durationMs: number;
  /** Everything converged (bootstrap), could be read (plan), or is as declared (verify), and every check passed. */
  readonly ok: boolean;
  /** A staged rollout (serial given): its options as given, its batch count, and where and why it stopped. */
  readonly rollout?: {
    readonly serial: string;
    readonly maxFail?: string;
    readonly batches: number;
    readonly stoppedAfter?: number;
    readonly reason?: string;
  };
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
  /** bootstrap: work in batches of these sizes (rollout.ts); plan shows them. @default one batch of every node */
  readonly serial?: ReadonlyArray<SerialItem>;
  /** bootstrap with serial: the failed nodes a batch may have before the rollout stops (rollout.ts). */
  readonly maxFail?: MaxFail;
  /**
   * bootstrap: apply exactly this saved plan (saved-plan.ts) on its nodes, refusing a node whose facts moved since;
   * its nodes and `keepRemoved` replace `only` and `keepRemoved`. @default none (plan afresh)
   */
  readonly savedPlan?: SavedPlan;
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
  const only = options.savedPlan ? options.savedPlan.nodes.map((n) => n.node) : options.only;
  const nodes = selectNodes(effectiveNodes(cluster), only);
  const checks = scheduleProbes(mode, model);
  // verify and bootstrap read the hops of the checks' model paths with each node's facts (no round trip more).
  const selected = new Set(nodes.map((n) => n.name));
  const hops =
    mode === 'verify' || mode === 'bootstrap'
      ? hopQueries(
          cluster,
          cluster.verify.filter((spec) => selected.has(probeSource(spec).node)),
        )
      : new Map<string, HopQuery[]>();
  const ctx = hostContext(mode, model, options, checks, hops);
  // Bootstrap's batches (rollout.ts); plan shows them, and reads every node at once.
  const staged = (mode === 'bootstrap' || mode === 'plan') && options.serial !== undefined;
  const batches = rolloutBatches(nodes, staged ? options.serial : undefined);
  const open = new Map<string, Transport>();
  try {
    const run = await runBatches(ctx, mode === 'bootstrap' ? batches : [nodes], nodes, options, open);
    const batchOf = new Map(batches.flatMap((batch, i) => batch.map((node) => [node.name, i + 1] as const)));
    let reported = run.outcomes.size;
    const hosts = nodes.map((node): HostResult => {
      const batch = mode === 'bootstrap' || mode === 'plan' ? { batch: batchOf.get(node.name)! } : {};
      const outcome = run.outcomes.get(node.name);
      if (!outcome) {
        const skipped = { ...skippedHost(node.name, run.stopped?.reason ?? 'not started'), ...batch };
        // The progress line counts them too, so that it ends (done = total) before the summary prints.
        options.onHostDone?.(skipped, ++reported, nodes.length);
        return skipped;
      }
      // A source node whose probes ran after its batch spent one more round trip on them per round.
      return { ...outcome.result, verifyRoundTrips: run.laterTrips.get(node.name) ?? 0, ...batch };
    });
    const probed = [...[...run.outcomes.values()].flatMap((outcome) => outcome.checks), ...run.later];
    const checkResults = explainFailures(
      cluster,
      probing(mode) ? withUnprobed(probed, checks, hosts) : probed,
      new Map([...[...run.outcomes.values()].flatMap((o) => [...(o.live?.sources ?? [])]), ...run.laterSources]),
      hopAnswers(hops, run.outcomes, selected),
    );
    const planOnly = mode === 'plan' || (mode === 'reset' && options.dryRun === true);
    const hostsOk = hosts.every((h) => succeeded(h.status) || (planOnly && h.status === 'pending'));
    return {
      mode,
      cluster: cluster.name,
      hosts,
      checks: checkResults,
      durationMs: Date.now() - started,
      ok: hostsOk && checkResults.every((c) => c.status !== 'failed'),
      ...(staged ? { rollout: rolloutSummary(options, batches.length, run.stopped) } : {}),
    };
  } finally {
    for (const transport of open.values()) transport.close();
  }
}

/**
 * Every hop question's answer, from the round trip to its node; a node that was not read is named with why, so a
 * failed check's explanation says which hop it could not see.
 */
function hopAnswers(
  queries: ReadonlyMap<string, ReadonlyArray<HopQuery>>,
  outcomes: ReadonlyMap<string, HostOutcome>,
  selected: ReadonlySet<string>,
): Map<string, HopAnswer> {
  const answers = new Map<string, HopAnswer>();
  for (const [node, mine] of queries) {
    const outcome = outcomes.get(node);
    const why = !selected.has(node)
      ? 'not selected by --only'
      : !outcome
        ? 'not started'
        : outcome.live
          ? 'no answer: its script was cut short'
          : outcome.result.status;
    for (const query of mine) answers.set(hopKey(query), outcome?.live?.hops.get(hopKey(query)) ?? { notRead: why });
  }
  return answers;
}

/** Whether the run's later probes (cluster.verify after the hosts) run at all. */
const probing = (mode: RunMode) => mode !== 'plan' && mode !== 'reset';

/** What running the batches found: each started host's outcome, the later probes' results, and why it stopped. */
interface BatchesRun {
  readonly outcomes: ReadonlyMap<string, HostOutcome>;
  readonly later: ReadonlyArray<ProbeResult>;
  /** By check index: the source's route of each later probe that failed (explainFailures). */
  readonly laterSources: ReadonlyMap<number, LiveRoute>;
  /** Source node → rounds of later probes it ran (one verify round trip each). */
  readonly laterTrips: ReadonlyMap<string, number>;
  readonly stopped?: { readonly after: number; readonly reason: string };
}

/**
 * Batch after batch: its hosts (in parallel), then the probes it made possible, then the --max-fail verdict. Without
 * serial there is one batch, and this is the run as it always was. Connections kept for later probes go in `open`.
 */
async function runBatches(
  ctx: HostContext,
  batches: ReadonlyArray<ReadonlyArray<ClusterNode>>,
  nodes: ReadonlyArray<ClusterNode>,
  options: ProvisionOptions,
  open: Map<string, Transport>,
): Promise<BatchesRun> {
  const { checks } = ctx;
  // Probes run in the fact round trip (verify) unless they target a pod, whose address is read in that round trip
  // of the pod's node: those, and every probe of bootstrap, run once their batch's hosts are done, over the
  // connection the source node already has (kept open until then: one connection per host).
  const sources = new Set(
    ctx.mode === 'plan' ? [] : checks.filter((c) => c.later).map(({ spec }) => probeSource(spec).node),
  );
  const selected = new Set(nodes.map((node) => node.name));
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const outcomes = new Map<string, HostOutcome>();
  const later: ProbeResult[] = [];
  const laterSources = new Map<number, LiveRoute>();
  const laterTrips = new Map<string, number>();
  let done = 0;
  for (const [i, batch] of batches.entries()) {
    const ran = await runPool(batch, concurrency, async (node) => {
      const outcome = await runHost(node, ctx, sources.has(node.name));
      if (outcome.transport) open.set(node.name, outcome.transport);
      outcomes.set(node.name, outcome);
      options.onHostDone?.(outcome.result, ++done, nodes.length);
      return outcome;
    });
    if (!probing(ctx.mode)) continue;
    // The checks this batch made possible: from a node done, to a node done (or one this run does not work on).
    const finished = (node: string) => outcomes.has(node) || !selected.has(node);
    const due = checks.filter(
      (c) =>
        c.later &&
        !later.some((r) => r.index === c.index) &&
        finished(probeSource(c.spec).node) &&
        finished(targetNode(c) ?? probeSource(c.spec).node),
    );
    const round = await laterProbes(due, open, outcomes, ctx.timeoutMs, concurrency);
    for (const [source, { results, sources: routes }] of round) {
      later.push(...results);
      for (const [index, route] of routes) laterSources.set(index, route);
      laterTrips.set(source, (laterTrips.get(source) ?? 0) + 1);
    }
    if (i === batches.length - 1) break;
    // A failed check counts as a failed node: its source.
    const failed = new Set(ran.filter((o) => !succeeded(o.result.status)).map((o) => o.result.node));
    for (const r of [...round.values()].flatMap((p) => p.results))
      if (r.status === 'failed') failed.add(r.from.split('/')[0]);
    const reason = stopReason(failed.size, batch.length, options.maxFail);
    if (reason !== undefined) {
      const stopped = { after: i + 1, reason: `rollout stopped after batch ${i + 1} of ${batches.length}: ${reason}` };
      return { outcomes, later, laterSources, laterTrips, stopped };
    }
  }
  return { outcomes, later, laterSources, laterTrips };
}

function rolloutSummary(
  options: ProvisionOptions,
  batches: number,
  stopped: BatchesRun['stopped'],
): NonNullable<ClusterResult['rollout']> {
  return {
    serial: describeSerial(options.serial ?? []),
    ...(options.maxFail !== undefined ? { maxFail: describeMaxFail(options.maxFail) } : {}),
    batches,
    ...(stopped ? { stoppedAfter: stopped.after, reason: stopped.reason } : {}),
  };
}

function succeeded(status: HostStatus): boolean {
  return status === 'ok' || status === 'changed';
}

/** A node a stopped rollout never started: nothing was sent to it. */
function skippedHost(node: string, reason: string): HostResult {
  const next = 'nothing was sent to it; fix the failure, then run bootstrap again';
  return {
    node,
    status: 'skipped',
    reason: `${reason}; ${next}`,
    changes: [],
    warnings: [],
    commands: [],
    roundTrips: 0,
    verifyRoundTrips: 0,
    durationMs: 0,
  };
}

/** The node a probe's target lives on (a node, a namespace or a pod of it); undefined for a bare address. */
function targetNode(check: ScheduledProbe): string | undefined {
  return check.endpoint.kind === 'address' ? undefined : check.endpoint.node;
}

/** Every probe of the cluster file, with its target, its address when the file tells it, and when it runs. */
function scheduleProbes(mode: RunMode, model: ClusterModel): ScheduledProbe[] {
  const { cluster } = model;
  return (mode === 'reset' ? [] : cluster.verify).map((spec, index) => {
    const { endpoint } = probeTarget(cluster, spec);
    return {
      index,
      spec,
      endpoint,
      address: staticTargetAddress(cluster, endpoint),
      later: mode === 'bootstrap' || endpoint.kind === 'pod',
    };
  });
}

function hostContext(
  mode: RunMode,
  model: ClusterModel,
  options: ProvisionOptions,
  checks: ReadonlyArray<ScheduledProbe>,
  hopQueries: ReadonlyMap<string, ReadonlyArray<HopQuery>>,
): HostContext {
  return {
    mode,
    model,
    kinds: options.kinds ?? resourceKinds,
    connector: options.connector ?? sshConnector,
    options: { baseDir: model.baseDir, ...options },
    timeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    applies: mode === 'bootstrap' || (mode === 'reset' && options.dryRun !== true),
    keepRemoved: options.savedPlan?.keepRemoved ?? options.keepRemoved === true,
    guards: options.disruptionChecks ?? disruptionChecks,
    allowDisruption: options.allowDisruption === true,
    confirmTimeoutMs: options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS,
    watchdog: options.watchdog ?? 'detached',
    checks,
    hopQueries,
    savedPlan: options.savedPlan,
  };
}

/**
 * After a batch of hosts is done: the probes it made possible (`checks`), per source node (over its open connection),
 * in parallel; a pod at the address its node's facts read. Source node → its results and the routes its failed
 * checks read (only nodes that ran probes).
 */
async function laterProbes(
  checks: ReadonlyArray<ScheduledProbe>,
  open: ReadonlyMap<string, Transport>,
  outcomes: ReadonlyMap<string, HostOutcome>,
  timeoutMs: number,
  concurrency: number,
): Promise<Map<string, ProbesRun>> {
  const resolved = (check: ScheduledProbe): Probe => {
    if (check.endpoint.kind !== 'pod') return check;
    const facts = outcomes.get(check.endpoint.node)?.facts;
    const address = facts ? podAddressFact(facts, check.endpoint.pod) : undefined;
    const detail = facts
      ? `pod ${check.endpoint.node}/${check.endpoint.pod} has no address (no such pod?)`
      : `node ${check.endpoint.node} was not read`;
    return { index: check.index, spec: check.spec, address, detail };
  };
  const ran = await runPool([...open.keys()], concurrency, async (name) => {
    const list = probesFrom(checks, name).map(resolved);
    return list.length === 0 ? undefined : ([name, await runProbes(open.get(name)!, list, timeoutMs)] as const);
  });
  return new Map(ran.filter((entry) => entry !== undefined));
}

/** The probe results, with those whose source was not worked on (--only) or not reached reported, not hidden. */
function withUnprobed(
  probed: ReadonlyArray<ProbeResult>,
  checks: ReadonlyArray<ScheduledProbe>,
  hosts: ReadonlyArray<HostResult>,
): ProbeResult[] {
  const seen = new Set(probed.map((c) => c.index));
  const unprobed = checks
    .filter(({ index }) => !seen.has(index))
    .map((check): ProbeResult => {
      const { index, spec } = check;
      const source = hosts.find((h) => h.node === probeSource(spec).node);
      const target = hosts.find((h) => h.node === targetNode(check) && h.status === 'skipped');
      const skipped = source?.status === 'skipped' ? source : target;
      return {
        index,
        from: spec.from,
        check: describeProbe(spec),
        expect: spec.expect,
        status: source && !skipped ? 'failed' : 'skipped',
        detail: skipped
          ? `${skipped === source ? 'source' : 'target'} node ${skipped.node} was skipped (the rollout stopped)`
          : source
            ? `source node ${source.node} is ${source.status}`
            : 'source node not selected (--only)',
      };
    });
  return [...probed, ...unprobed].sort((a, b) => a.index - b.index);
}

/** One round of probes on a node: their results, and the source's route of each that failed (explainFailures). */
interface ProbesRun {
  readonly results: ProbeResult[];
  readonly sources: ReadonlyMap<number, LiveRoute>;
}

async function runProbes(transport: Transport, list: ReadonlyArray<Probe>, timeoutMs: number): Promise<ProbesRun> {
  const marker = newMarker();
  try {
    const run = await transport.run(buildProbeScript(list, marker), timeoutMs);
    return { results: parseProbeOutput(run.stdout, list, marker), sources: probeSourceRoutes(run.stdout, marker) };
  } catch (error) {
    const results = list.map(({ index, spec }) => ({
      index,
      from: spec.from,
      check: describeProbe(spec),
      expect: spec.expect,
      status: 'failed' as const,
      detail: (error as Error).message,
    }));
    return { results, sources: new Map() };
  }
}

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
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONCURRENCY, DEFAULT_CONFIRM_TIMEOUT_MS } from './defaults';
import type { DisruptionCheck } from './disruption';
import type { FactSet } from './fact';
import { newMarker } from './fact-script';
import { disruptionChecks } from './guards';
import { selectNodes } from './only';
import { resourceKinds } from './resources';
import { podAddressFact } from './resources/pods';
import { type HostContext, type HostResult, type RunMode, runHost, type ScheduledProbe, probesFrom } from './run-host';
import { type Connector, type SshOptions, sshConnector, type Transport } from './ssh';
import type { ResourceKind } from './types';
import type { WatchdogKind } from './confirm';
import {
  buildProbeScript,
  describeProbe,
  parseProbeOutput,
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
  const checks = scheduleProbes(mode, model);
  const ctx = hostContext(mode, model, options, checks);
  // Probes run in the fact round trip (verify) unless they target a pod, whose address is read in that round trip
  // of the pod's node: those, and every probe of bootstrap, run once all hosts are done, over the connection the
  // source node already has (kept open until then: one connection per host).
  const sources = new Set(
    mode === 'plan' ? [] : checks.filter((c) => c.later).map(({ spec }) => probeSource(spec).node),
  );
  const open = new Map<string, Transport>();
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  let done = 0;
  try {
    const outcomes = await runPool(nodes, concurrency, async (node) => {
      const outcome = await runHost(node, ctx, sources.has(node.name));
      if (outcome.transport) open.set(node.name, outcome.transport);
      options.onHostDone?.(outcome.result, ++done, nodes.length);
      return outcome;
    });
    const probing = mode !== 'plan' && mode !== 'reset';
    const later = probing
      ? await laterProbes(
          checks,
          open,
          new Map(nodes.map((node, i) => [node.name, outcomes[i].facts])),
          ctx.timeoutMs,
          concurrency,
        )
      : new Map<string, ProbeResult[]>();
    // A source node whose probes ran after every host spent one more round trip on them.
    const hosts = outcomes.map(({ result }) => ({ ...result, verifyRoundTrips: later.has(result.node) ? 1 : 0 }));
    const probed = [...outcomes.flatMap((outcome) => outcome.checks), ...[...later.values()].flat()];
    const checkResults = probing ? withUnprobed(probed, checks, hosts) : probed;
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
): HostContext {
  return {
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
}

/**
 * After every host is done: the probes that wait for it, per source node (over its open connection), in parallel;
 * a pod at the address its node's facts read. Source node → its results (only nodes that ran probes).
 */
async function laterProbes(
  checks: ReadonlyArray<ScheduledProbe>,
  open: ReadonlyMap<string, Transport>,
  factsOf: ReadonlyMap<string, FactSet | undefined>,
  timeoutMs: number,
  concurrency: number,
): Promise<Map<string, ProbeResult[]>> {
  const resolved = (check: ScheduledProbe): Probe => {
    if (check.endpoint.kind !== 'pod') return check;
    const facts = factsOf.get(check.endpoint.node);
    const address = facts ? podAddressFact(facts, check.endpoint.pod) : undefined;
    const detail = facts
      ? `pod ${check.endpoint.node}/${check.endpoint.pod} has no address (no such pod?)`
      : `node ${check.endpoint.node} was not read`;
    return { index: check.index, spec: check.spec, address, detail };
  };
  const ran = await runPool([...open.keys()], concurrency, async (name) => {
    const list = probesFrom(checks, name)
      .filter((c) => c.later)
      .map(resolved);
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
    .map(({ index, spec }): ProbeResult => {
      const source = hosts.find((h) => h.node === probeSource(spec).node);
      return {
        index,
        from: spec.from,
        check: describeProbe(spec),
        expect: spec.expect,
        status: source ? 'failed' : 'skipped',
        detail: source ? `source node ${source.node} is ${source.status}` : 'source node not selected (--only)',
      };
    });
  return [...probed, ...unprobed].sort((a, b) => a.index - b.index);
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

/**
 * NetworkPolicy questions as pure functions, for code and tests (`netstrap netpol can|matrix|list` answer the same
 * from files): may A reach B on a port, the truth table of every pair, every allowed connection. They read a checked
 * cluster file (its declared namespaces, workloads and policies), Kubernetes objects (a cdk8s chart's `toJson()`,
 * `Testing.synth(chart)`, parsed manifests), or an analysis built once with {@link netpolAnalysis} and asked many
 * times. Bad input throws InputError naming the object and the field, as the CLI does.
 */
import { InputError, type Issue } from '../errors';
import type { ClusterModel } from '../load';
import { intervalText } from './addresses';
import { familyMismatch, NetpolAnalysis, resolveEndpoint, type Verdict } from './analyze';
import { addCluster } from './cluster';
import { emptyInventory, finishInventory, type Protocol } from './inventory';
import { addManifests, manifestDocuments } from './manifests';

/** What the netpol functions read: an analysis, a checked cluster file, or Kubernetes objects. */
export type NetpolSource = NetpolAnalysis | ClusterModel | readonly unknown[];

/** Where objects given as an array are said to come from in error messages. */
const OBJECTS = 'objects';

/** The analysis of a source (the source itself when it is one): build it once to ask many questions. */
export function netpolAnalysis(source: NetpolSource): NetpolAnalysis {
  if (source instanceof NetpolAnalysis) return source;
  const inventory = emptyInventory();
  if (isObjectArray(source)) addManifests(inventory, manifestDocuments([...source], OBJECTS));
  else addCluster(inventory, source.cluster, source.file);
  return new NetpolAnalysis(finishInventory(inventory));
}

function isObjectArray(source: ClusterModel | readonly unknown[]): source is readonly unknown[] {
  return Array.isArray(source);
}

/** One connection to ask about: workloads as `NS/NAME` (or `NS/KIND/NAME`), or IPv4 or IPv6 addresses. */
export interface NetpolQuery {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  /** @default 'TCP' */
  readonly protocol?: Protocol;
}

/** The answer, with the policies and rules deciding each side (as `netstrap netpol can --explain` prints them). */
export interface NetpolVerdict extends Verdict {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: Protocol;
}

/**
 * May `from` open a connection to `to` on the port? Throws InputError for an unknown workload, an ambiguous name,
 * two ends neither of which is a pod, or ends of two families.
 */
export function netpolCan(source: NetpolSource, query: NetpolQuery): NetpolVerdict {
  const analysis = netpolAnalysis(source);
  const protocol = query.protocol ?? 'TCP';
  const from = resolveEndpoint(analysis, query.from);
  const to = resolveEndpoint(analysis, query.to);
  const issues: Issue[] = [];
  if (from.error) issues.push({ path: ['from'], message: from.error });
  if (to.error) issues.push({ path: ['to'], message: to.error });
  if (!Number.isInteger(query.port) || query.port < 1 || query.port > 65535)
    issues.push({ path: ['port'], message: `must be a port number 1-65535 (got ${JSON.stringify(query.port)})` });
  if (from.endpoint && to.endpoint && !('workload' in from.endpoint) && !('workload' in to.endpoint))
    issues.push({
      path: ['to'],
      message: 'neither end is a pod: NetworkPolicies only apply to connections with a pod on one or both ends',
    });
  const mismatch = from.endpoint && to.endpoint ? familyMismatch(from.endpoint, to.endpoint) : undefined;
  if (mismatch) issues.push({ path: ['to'], message: mismatch });
  if (issues.length > 0) throw new InputError('netpolCan', issues);
  const verdict = analysis.can(from.endpoint!, to.endpoint!, query.port, protocol);
  return { ...verdict, from: query.from, to: query.to, port: query.port, protocol };
}

/** For every ordered pair of workloads, whether the first may connect to the second: `matrix[from][to]`. */
export function netpolMatrix(
  source: NetpolSource,
  port: number,
  protocol: Protocol = 'TCP',
): Record<string, Record<string, boolean>> {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InputError('netpolMatrix', [
      { path: ['port'], message: `must be a port number 1-65535 (got ${JSON.stringify(port)})` },
    ]);
  const analysis = netpolAnalysis(source);
  const keys = analysis.workloads.map((w) => w.key);
  const table = analysis.matrix(port, protocol);
  return Object.fromEntries(keys.map((from, s) => [from, Object.fromEntries(keys.map((to, d) => [to, table[s][d]]))]));
}

/** One allowed connection: between two workloads, or between a workload and addresses outside the workloads. */
export interface ConnectionRow {
  /** A workload key, or address ranges of one family (`10.0.0.0/24`, `fd00::/64`, comma-separated). */
  readonly src: string;
  readonly dst: string;
  /** In words: `TCP 80,443; UDP 53`, `All connections`. */
  readonly connections: string;
  /** Protocol → port ranges (`["80", "8000-8080"]`; `["all"]`). */
  readonly ports: Record<string, string[]>;
}

/**
 * Every allowed connection: each ordered pair of distinct workloads with at least one port, then, per workload, the
 * external address ranges it may reach (egress) or be reached from (ingress). What `netstrap netpol list` prints.
 */
export function netpolList(source: NetpolSource): ConnectionRow[] {
  const analysis = netpolAnalysis(source);
  const rows: ConnectionRow[] = [];
  const n = analysis.workloads.length;
  for (let s = 0; s < n; s++) {
    for (let d = 0; d < n; d++) {
      if (s === d) continue;
      const set = analysis.connections(s, d);
      if (!set.isEmpty())
        rows.push({
          src: analysis.workloads[s].key,
          dst: analysis.workloads[d].key,
          connections: set.toString(),
          ports: set.toJSON(),
        });
    }
  }
  for (let i = 0; i < n; i++) {
    const key = analysis.workloads[i].key;
    for (const piece of analysis.external(i, 'egress')) {
      rows.push({
        src: key,
        dst: piece.addresses.map((span) => intervalText(piece.family, span)).join(','),
        connections: piece.connections.toString(),
        ports: piece.connections.toJSON(),
      });
    }
    for (const piece of analysis.external(i, 'ingress')) {
      rows.push({
        src: piece.addresses.map((span) => intervalText(piece.family, span)).join(','),
        dst: key,
        connections: piece.connections.toString(),
        ports: piece.connections.toJSON(),
      });
    }
  }
  return rows;
}

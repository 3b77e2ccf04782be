/**
 * `netstrap diagnose`: per node ONE round trip reads everything (the provisioner's facts and diagnose's own), ONE
 * more runs the reachability probes (chosen once every node was read, since they depend on the others' state).
 * Nodes run in parallel over one connection each; nothing is changed on any node. Every check group is a pure
 * function from facts + model to findings (one file each, next to this one).
 */
import type { ClusterModel } from '../../model/load';
import type { ClusterNode } from '../../model/schema';
import { FactSet } from '../fact';
import { buildFactScript, factSections, newMarker, parseFacts } from '../fact-script';
import { ownershipFacts } from '../ownership';
import { runPool } from '../provision';
import { resourceKinds } from '../resources';
import { type Connector, type SshOptions, sshConnector, type Transport } from '../ssh';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONCURRENCY } from '../defaults';
import { selectNodes } from '../only';
import { addressChecks, duplicateAddressCheck, mtuCheck, undeclaredAddressCheck } from './addresses';
import { cniChecks } from './cni';
import { dnsChecks } from './dns';
import { driftChecks } from './drift';
import { forwardingChecks } from './forwarding';
import { kubernetesChecks } from './kubernetes';
import { managerChecks } from './managers';
import { portChecks } from './ports';
import { preflightChecks } from './preflight';
import { buildProbeScript, parseProbeOutput, chooseProbes, probeFindings } from './probes';
import { diagnoseReader, parseNodeView } from './read';
import { routeChecks } from './routes';
import { routerAdvertisementChecks } from './router-advertisements';
import { routerAdvertisementReader } from '../router-advertisements';
import { fail, type ClusterCheck, type Finding, type NodeCheck, type NodeRead, type Severity } from './types';

export type { Finding, Severity } from './types';

/** Per-node check groups, in report order. */
export const nodeChecks: ReadonlyArray<NodeCheck> = [
  driftChecks,
  forwardingChecks,
  routerAdvertisementChecks,
  addressChecks,
  undeclaredAddressCheck,
  routeChecks,
  managerChecks,
  portChecks,
  cniChecks,
  kubernetesChecks,
  dnsChecks,
  preflightChecks,
];
/** Checks across nodes (top-level findings). */
export const clusterChecks: ReadonlyArray<ClusterCheck> = [duplicateAddressCheck, mtuCheck];

export interface DiagnoseOptions extends SshOptions {
  /** Nodes worked on at once. @default 64 */
  readonly concurrency?: number;
  /** Time allowed for each round trip. @default 120000 ms */
  readonly commandTimeoutMs?: number;
  /** Only these nodes (cross-node checks then span only them). @default every node */
  readonly only?: ReadonlyArray<string>;
  /** How to reach a node. @default sshConnector */
  readonly connector?: Connector;
}

export interface NodeReport {
  readonly node: string;
  readonly findings: ReadonlyArray<Finding>;
  /** Round trips spent on this node (1 read + at most 1 for probes). */
  readonly roundTrips: number;
  readonly durationMs: number;
}

export interface DiagnoseReport {
  readonly cluster: string;
  readonly nodes: ReadonlyArray<NodeReport>;
  /** Findings that span nodes (a duplicate address, an MTU mismatch on a LAN), with the nodes involved. */
  readonly findings: ReadonlyArray<Finding>;
  readonly summary: Readonly<Record<Severity, number>>;
  readonly durationMs: number;
}

/** The read script of a node and how to split its output: every resource kind's facts, the ownership record, diagnose's. */
export function readScript(node: ClusterNode, model: ClusterModel, marker: string) {
  const sections = factSections(node, model.cluster, [
    ...resourceKinds,
    ownershipFacts,
    diagnoseReader,
    routerAdvertisementReader,
  ]);
  return { sections, script: buildFactScript(sections, marker) };
}

/** Runs every check of a node and of the cluster over reads already made (pure: the unit tests call this). */
export function checkReads(
  model: ClusterModel,
  reads: ReadonlyArray<NodeRead>,
): { perNode: Map<string, Finding[]>; spanning: Finding[] } {
  const perNode = new Map<string, Finding[]>();
  for (const self of reads)
    perNode.set(
      self.node.name,
      nodeChecks.flatMap((check) => check({ model, self, all: reads })),
    );
  return { perNode, spanning: clusterChecks.flatMap((check) => check(model, reads)) };
}

export function summarize(findings: ReadonlyArray<Finding>): Record<Severity, number> {
  const summary: Record<Severity, number> = { ok: 0, warn: 0, fail: 0 };
  for (const f of findings) summary[f.severity]++;
  return summary;
}

export async function diagnoseCluster(model: ClusterModel, options: DiagnoseOptions = {}): Promise<DiagnoseReport> {
  const started = Date.now();
  const { cluster } = model;
  const nodes = selectNodes(cluster.nodes, options.only);
  const connector = options.connector ?? sshConnector;
  const ssh: SshOptions = { baseDir: model.baseDir, ...options };
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const open = new Map<string, Transport>();
  const trips = new Map<string, number>();
  const times = new Map<string, number>();
  const readErrors = new Map<string, Finding>();
  try {
    // Round trip 1, all nodes in parallel.
    const reads = (
      await runPool(nodes, concurrency, async (node): Promise<NodeRead | undefined> => {
        const t0 = Date.now();
        const index = cluster.nodes.indexOf(node);
        let transport: Transport;
        try {
          transport = await connector(node, ssh);
        } catch (error) {
          readErrors.set(
            node.name,
            fail(
              'diagnose.connect',
              `${node.name}: cannot connect: ${(error as Error).message}`,
              `check that ${node.name} is up and nodes[${index}].ssh (${node.ssh.user}@${node.ssh.host}:${node.ssh.port}) reaches it`,
            ),
          );
          times.set(node.name, Date.now() - t0);
          return undefined;
        }
        open.set(node.name, transport);
        try {
          const marker = newMarker();
          const { sections, script } = readScript(node, model, marker);
          trips.set(node.name, 1);
          const run = await transport.run(script, timeoutMs);
          if (run.code !== 0) throw new Error(`the read script exited ${run.code}: ${run.stderr.trim()}`);
          const facts = new FactSet(parseFacts(run.stdout, sections, marker));
          return { node, index, facts, view: parseNodeView(facts, cluster) };
        } catch (error) {
          readErrors.set(
            node.name,
            fail(
              'diagnose.read',
              `${node.name}: reading the node failed: ${(error as Error).message}`,
              `check ${node.name} over ssh; every other check of this node was skipped`,
            ),
          );
          return undefined;
        } finally {
          times.set(node.name, Date.now() - t0);
        }
      })
    ).filter((r): r is NodeRead => r !== undefined);

    const { perNode, spanning } = checkReads(model, reads);

    // Round trip 2: probes, chosen from everything read.
    await runPool(reads, concurrency, async (self) => {
      const t0 = Date.now();
      const { probes, findings } = chooseProbes(model, self, reads);
      const list = perNode.get(self.node.name)!;
      list.push(...findings);
      if (probes.length === 0) return;
      const marker = newMarker();
      trips.set(self.node.name, 2);
      let results: Array<boolean | undefined>;
      try {
        const run = await open.get(self.node.name)!.run(buildProbeScript(probes, marker), timeoutMs);
        results = parseProbeOutput(run.stdout, probes, marker);
      } catch {
        results = probes.map(() => undefined);
      }
      list.push(...probeFindings(self, probes, results));
      times.set(self.node.name, (times.get(self.node.name) ?? 0) + Date.now() - t0);
    });

    const nodeReports = nodes.map((node) => ({
      node: node.name,
      findings: readErrors.has(node.name) ? [readErrors.get(node.name)!] : (perNode.get(node.name) ?? []),
      roundTrips: trips.get(node.name) ?? 0,
      durationMs: times.get(node.name) ?? 0,
    }));
    return {
      cluster: cluster.name,
      nodes: nodeReports,
      findings: spanning,
      summary: summarize([...nodeReports.flatMap((n) => n.findings), ...spanning]),
      durationMs: Date.now() - started,
    };
  } finally {
    for (const transport of open.values()) transport.close();
  }
}

/**
 * Probes (cluster.verify): ping an address or TCP-connect to ip:port, from a node or from a
 * network namespace on it, expecting success or failure. All probes of one source node run in ONE round trip,
 * in parallel on the node, each bounded in attempts and time:
 * - expect success: up to SUCCESS_ATTEMPTS attempts, 0.5 s apart (a route or ARP entry may still be settling);
 * - expect failure: one attempt — it passes when that attempt fails.
 * An attempt is `ping -n -q -c 1 -W 1 <addr>` or `timeout 2 bash -c 'exec 3<>/dev/tcp/$0/$1' <ip> <port>`, run through
 * `ip netns exec <ns>` when the source is node/namespace (a declared namespace or a pod). A target named as a node
 * or a declared namespace is its address in the cluster file; a pod's address is read from its node when the
 * check runs (src/host/resources/pods.ts). The values are passed as arguments, never spliced into the bash snippet.
 */
import { probeEndpoints, type Endpoint, nodeAddress, splitPort } from '../model/trace';
import type { Cluster } from '../model/schema';
import { quoteArg, quoteCommand } from './shell';

export const SUCCESS_ATTEMPTS = 5;

export type ProbeSpec = Cluster['verify'][number];

/** The outcome of one probe. */
export interface ProbeResult {
  /** Index in cluster.verify. */
  readonly index: number;
  /** `node` or `node/namespace`. */
  readonly from: string;
  /** `ping 10.0.0.2` or `tcp 10.0.0.2:80`. */
  readonly check: string;
  readonly expect: 'success' | 'failure';
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped. */
  readonly detail?: string;
}

/** Node name and optional namespace (declared, or a pod) of a probe's `from`. */
export function probeSource(spec: ProbeSpec): { node: string; namespace?: string } {
  const [node, namespace] = spec.from.split('/');
  return { node, namespace };
}

export function describeProbe(spec: ProbeSpec): string {
  return spec.ping !== undefined ? `ping ${spec.ping}` : `tcp ${spec.tcp}`;
}

/** The target of a probe as parsed (validated cluster): endpoint and, for tcp, the port. */
export function probeTarget(cluster: Cluster, spec: ProbeSpec): { endpoint: Endpoint; port?: number } {
  const { to, port } = probeEndpoints(cluster, spec);
  return { endpoint: to, port };
}

/**
 * The address a probe connects to, when the cluster file tells it: an address, a node's address, a declared
 * namespace's veth address. Undefined for a pod, whose address exists only at run time (see pods.ts).
 */
export function staticTargetAddress(cluster: Cluster, endpoint: Endpoint): string | undefined {
  switch (endpoint.kind) {
    case 'address':
      return endpoint.address;
    case 'node':
      return nodeAddress(cluster, cluster.nodes.find((n) => n.name === endpoint.node)!);
    case 'namespace': {
      const ns = cluster.nodes
        .find((n) => n.name === endpoint.node)!
        .namespaces.find((x) => x.name === endpoint.namespace)!;
      return ns.veth.address.split('/')[0];
    }
    case 'pod':
      return undefined;
  }
}

/**
 * One attempt, as argv: a ping, or a TCP connect through bash's /dev/tcp (address and port are arguments, never
 * spliced into the snippet). Shared with diagnose (src/host/diagnose/probes.ts), so both probe the same way.
 */
export function attemptArgv(kind: 'ping' | 'tcp', address: string, port?: number): string[] {
  // -n: no reverse lookup of the address (no DNS traffic); -q: only the summary (the exit status is what counts).
  if (kind === 'ping') return ['ping', '-n', '-q', '-c', '1', '-W', '1', address];
  return ['timeout', '2', 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', address, String(port)];
}

/** The shell function of every probe script: up to $1 attempts of the rest, 0.5 s apart; 0 on the first success. */
export const TRY_FUNCTION =
  'netstrap_try() { n=$1; shift; i=0; while [ "$i" -lt "$n" ]; do "$@" >/dev/null 2>&1 && return 0; i=$((i+1)); [ "$i" -lt "$n" ] && sleep 0.5; done; return 1; }';

/** One attempt line of a probe script: in the background, then `resultLine` and the exit status. */
export function attemptLine(tries: number, argv: ReadonlyArray<string>, resultLine: string): string {
  return `( netstrap_try ${tries} ${quoteCommand(argv)}; echo ${quoteArg(resultLine)} $? ) &`;
}

/** The argv of one attempt of a probe, at the address its target has (resolved by the caller). */
function probeArgv(spec: ProbeSpec, address: string): string[] {
  const { namespace } = probeSource(spec);
  const prefix = namespace ? ['ip', 'netns', 'exec', namespace] : [];
  if (spec.ping !== undefined) return [...prefix, ...attemptArgv('ping', address)];
  return [...prefix, ...attemptArgv('tcp', address, splitPort(spec.tcp ?? '').port)];
}

/** A probe to run: its index in cluster.verify, its spec and the address of its target (resolved). */
export interface Probe {
  readonly index: number;
  readonly spec: ProbeSpec;
  /** Where it connects; undefined when a pod target could not be resolved (the probe fails with `detail`). */
  readonly address?: string;
  readonly detail?: string;
}

/** The script running `probes` (indexed into cluster.verify) on their source node, in parallel. */
export function buildProbeScript(probes: ReadonlyArray<Probe>, marker: string): string {
  const lines = [TRY_FUNCTION];
  for (const { index, spec, address } of probes) {
    if (address === undefined) continue;
    const tries = spec.expect === 'success' ? SUCCESS_ATTEMPTS : 1;
    lines.push(attemptLine(tries, probeArgv(spec, address), `${marker} check ${index}`));
  }
  lines.push('wait', `echo ${quoteArg(`${marker} checks-done`)}`);
  return lines.join('\n') + '\n';
}

/** Reads the probe script's output into results (a probe without a result line failed: the run was cut short). */
export function parseProbeOutput(output: string, probes: ReadonlyArray<Probe>, marker: string): ProbeResult[] {
  const status = new Map<number, number>();
  for (const line of output.split('\n')) {
    const match = line.startsWith(`${marker} check `) ? /^(\d+) (\d+)$/.exec(line.slice(marker.length + 7)) : null;
    if (match) status.set(Number(match[1]), Number(match[2]));
  }
  return probes.map(({ index, spec, address, detail }) => {
    const code = status.get(index);
    const base = { index, from: spec.from, check: describeProbe(spec), expect: spec.expect };
    if (address === undefined)
      return { ...base, status: 'failed' as const, detail: detail ?? 'the target has no address' };
    if (code === undefined)
      return { ...base, status: 'failed' as const, detail: 'no result (the check script was cut short)' };
    const succeeded = code === 0;
    if (succeeded === (spec.expect === 'success')) return { ...base, status: 'passed' as const };
    return {
      ...base,
      status: 'failed' as const,
      detail: succeeded
        ? 'succeeded, expected failure'
        : `failed after ${spec.expect === 'success' ? SUCCESS_ATTEMPTS : 1} attempt(s), expected success`,
    };
  });
}

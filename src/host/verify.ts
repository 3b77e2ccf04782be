/**
 * Probes (cluster.verify): ping an address or TCP-connect to ip:port, from a node or from a
 * network namespace on it, expecting success or failure. All probes of one source node run in ONE round trip,
 * in parallel on the node, each bounded in attempts and time:
 * - expect success: up to SUCCESS_ATTEMPTS attempts, 0.5 s apart (a route or ARP entry may still be settling);
 * - expect failure: one attempt — it passes when that attempt fails.
 * An attempt is `ping [-6] -n -q -c 1 -W 1 <addr>` or `timeout 2 bash -c 'exec 3<>/dev/tcp/$0/$1' <ip> <port>`, run through
 * `ip netns exec <ns>` when the source is node/namespace (a declared namespace or a pod). A target named as a node
 * or a declared namespace is its address in the cluster file; a pod's address is read from its node when the
 * check runs (src/host/resources/pods.ts). The values are passed as arguments, never spliced into the bash snippet.
 */
import type { Cluster } from '../model/schema';
import {
  type Endpoint,
  nodeAddress,
  probeEndpoints,
  splitPort,
  type TraceHop,
  type TraceNextHop,
  type TraceResult,
  traceNetwork,
  traceProbe,
} from '../model/trace';
import { type HopQuery, hopKey, judgeHop, type LiveRoute, parseLive, placeNode } from './live-route';
import { isIpv6 } from './resources/addresses';
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
export function attemptArgv(kind: 'ping' | 'tcp', target: string, port?: number): string[] {
  const address = bare(target);
  // -n: no reverse lookup of the address (no DNS traffic); -q: only the summary (the exit status is what counts).
  // -6 for an IPv6 address: said, not left to ping's guess (older pings need it; IPv4 stays as it was).
  if (kind === 'ping') return ['ping', ...(isIpv6(address) ? ['-6'] : []), '-n', '-q', '-c', '1', '-W', '1', address];
  // bash's /dev/tcp takes an IPv6 address as it is, unbracketed (getaddrinfo).
  return ['timeout', '2', 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', address, String(port)];
}

/** An address without the brackets of `[v6]:port`'s host part. */
function bare(address: string): string {
  return /^\[(.*)\]$/.exec(address)?.[1] ?? address;
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

/**
 * The attempt line of a probe that should succeed: when it fails, the source's kernel says where it sends the
 * packet (`ip -j route get`) and which routes match (`ip -j route show match`), read in the same round trip, so the
 * failure is explained against the model's path (explainFailure). Nothing more is printed when it passes.
 */
function successLine(argv: ReadonlyArray<string>, spec: ProbeSpec, address: string, index: number, marker: string) {
  const { namespace } = probeSource(spec);
  // `ip route show match` of an IPv6 address reads the IPv4 table (and finds nothing) unless told the family.
  const family = isIpv6(bare(address)) ? ['-6'] : [];
  const ip = [...(namespace ? ['ip', 'netns', 'exec', namespace] : []), 'ip', ...family, '-j', 'route'];
  return (
    `( netstrap_try ${SUCCESS_ATTEMPTS} ${quoteCommand(argv)}; r=$?; echo ${quoteArg(`${marker} check ${index}`)} $r; ` +
    `if [ "$r" != 0 ]; then printf '%s %s\\n' ${quoteArg(`${marker} route-get ${index}`)} "$(${quoteCommand([...ip, 'get', bare(address)])} 2>&1)"; ` +
    `printf '%s %s\\n' ${quoteArg(`${marker} route-match ${index}`)} "$(${quoteCommand([...ip, 'show', 'match', bare(address)])} 2>&1)"; fi ) &`
  );
}

/** The script running `probes` (indexed into cluster.verify) on their source node, in parallel. */
export function buildProbeScript(probes: ReadonlyArray<Probe>, marker: string): string {
  const lines = [TRY_FUNCTION];
  for (const { index, spec, address } of probes) {
    if (address === undefined) continue;
    const argv = probeArgv(spec, address);
    if (spec.expect === 'success') lines.push(successLine(argv, spec, address, index, marker));
    else lines.push(attemptLine(1, argv, `${marker} check ${index}`));
  }
  lines.push('wait', `echo ${quoteArg(`${marker} checks-done`)}`);
  return lines.join('\n') + '\n';
}

/** The model's path from `start` through `hops` as `w1 → r1 (192.168.10.1) → w2`. */
function pathText(start: string, hops: ReadonlyArray<TraceHop>): string {
  return [start, ...hops.flatMap((hop) => (hop.next ? [nextHopText(hop.next)] : []))].join(' → ');
}

/** Where the model sends a packet from a hop: `r1 (192.168.10.1)`, `w2`, or an address outside the model. */
function nextHopText(next: TraceNextHop): string {
  return next.to
    ? `${next.to}${next.via ? ` (${next.via})` : ''}`
    : `${next.via ?? `on-link ${next.dev}`} (outside the model)`;
}

/** The model's path of a trace as `w1 → r1 (192.168.10.1) → w2`, and how it ends when not delivered. */
export function modelPathText(result: TraceResult): string {
  const path = pathText(result.hops[0]?.at ?? result.from, result.hops);
  return result.verdict === 'dropped' ? `${path} ✗ ${result.reason}` : path;
}

/** One way of a check's model path (the packet, then its reply): where it starts and the hops that route it. */
interface Leg {
  readonly reply: boolean;
  readonly start: string;
  readonly hops: ReadonlyArray<TraceHop>;
  /** The hops to ask a kernel about, in order; `source`: the check's source asks it itself when the check fails. */
  readonly queries: ReadonlyArray<HopQuery & { readonly source: boolean }>;
}

/** The legs of a check's model path: the packet's, and the reply's when the model delivers it. */
function legs(model: TraceResult): Leg[] {
  const leg = (reply: boolean, hops: ReadonlyArray<TraceHop>, start: string): Leg => {
    const routed = hops.flatMap((hop) => (hop.next ? [{ at: hop.at, next: hop.next }] : []));
    // The source's own first hop is read after the check fails (successLine), at the moment it fails.
    const queries = routed.map((q, i) => ({ ...q, source: !reply && i === 0 && q.at === start && !q.next.iif }));
    return { reply, start, hops, queries };
  };
  const forward = leg(false, model.hops, model.hops[0]?.at ?? model.from);
  if (model.verdict !== 'delivered' || model.reply.length === 0) return [forward];
  return [forward, leg(true, model.reply, model.reply[0].at)];
}

/**
 * The hops verify asks each node about, from the model before connecting: for every check that should succeed,
 * each hop of its model path (and of the reply's) but the source's first, on the node the hop is at. They run in
 * verify's round trip to that node whether the check fails or not (nodes read in parallel cannot wait for it), so a
 * failed check is explained at every hop with no round trip more. Node name → its questions, each asked once.
 */
export function hopQueries(cluster: Cluster, specs: ReadonlyArray<ProbeSpec>): Map<string, HopQuery[]> {
  const byNode = new Map<string, Map<string, HopQuery>>();
  const checks = specs.filter((spec) => spec.expect === 'success');
  const net = checks.length > 0 ? traceNetwork(cluster) : undefined;
  for (const spec of checks) {
    let model: TraceResult;
    try {
      model = traceProbe(cluster, spec, net);
    } catch {
      continue;
    }
    for (const { queries } of legs(model))
      for (const { source, ...query } of queries) {
        if (source) continue;
        const node = placeNode(query.at);
        const mine = byNode.get(node) ?? new Map<string, HopQuery>();
        mine.set(hopKey(query), query);
        byNode.set(node, mine);
      }
  }
  return new Map([...byNode].map(([node, queries]) => [node, [...queries.values()]]));
}

/** A hop's answer as verify gathered it: the kernel's, or why its node was not read (`unreachable`). */
export type HopAnswer = LiveRoute | { readonly notRead: string };

/**
 * A failed probe explained: the model's path beside what the kernels do with the packet, hop by hop (the source's
 * first hop as `source` read it when the check failed, the others from `hops`, read in verify's round trip to their
 * node), then the reply's, and the first hop where the live path leaves the model's, with the kernel's next hop and
 * route there. A hop not read is named with why, and the walk goes on along the model's path.
 */
export function explainFailure(
  cluster: Cluster,
  spec: ProbeSpec,
  source: LiveRoute,
  hops: ReadonlyMap<string, HopAnswer> = new Map(),
): string {
  let model: TraceResult;
  try {
    model = traceProbe(cluster, spec);
  } catch {
    return '';
  }
  const modelText = `model: ${modelPathText(model)}`;
  // Why → the nodes not read for it, in the order met: `r1, w2 (not selected by --only)`.
  const unread = new Map<string, Set<string>>();
  const said: string[] = [];
  for (const leg of legs(model)) {
    const live = [leg.start];
    let parted: string | undefined;
    for (const { source: isSource, ...query } of leg.queries) {
      const answer = isSource ? source : (hops.get(hopKey(query)) ?? { notRead: 'not asked' });
      if ('notRead' in answer) {
        // Not read: the walk goes on where the model sends the packet.
        unread.set(answer.notRead, (unread.get(answer.notRead) ?? new Set()).add(placeNode(query.at)));
        live.push(`[${query.at} not read] ${nextHopText(query.next)}`);
        continue;
      }
      const verdict = judgeHop(cluster, query, answer);
      if (verdict.agrees) {
        live.push(nextHopText(query.next));
        continue;
      }
      parted = query.at;
      const last = live.pop()!;
      live.push(
        verdict.hopName !== undefined ? `${last} → ${verdict.hopName} (${verdict.how})` : `${last}: ${verdict.how}`,
      );
      break;
    }
    const unreadHops = live.filter((part) => part.startsWith('[')).length;
    const liveText =
      parted !== undefined
        ? live.join(' → ')
        : unreadHops === 0
          ? 'as the model'
          : unreadHops === leg.queries.length
            ? 'not read'
            : live.join(' → ');
    said.push(leg.reply ? `the reply: model ${pathText(leg.start, leg.hops)}, live ${liveText}` : `live: ${liveText}`);
    if (parted !== undefined) {
      const where = `they part at ${parted}${leg.reply ? ', on the reply' : ''}`;
      return [modelText, ...said, ...(unread.size > 0 ? [`not read: ${unreadText(unread)}`] : []), where].join('; ');
    }
  }
  const verdict =
    unread.size > 0
      ? `not read: ${unreadText(unread)}; they agree at every hop read`
      : 'they agree at every hop, the reply too: the cause is not a route (a firewall, ARP, or the target itself?)';
  return [modelText, ...said, verdict].join('; ');
}

/**
 * What verify's round trip to a node read besides its checks' results: by check index, the source's route of each
 * of its failed checks; by hopKey, its kernel's answer for each hop of others' model paths it was asked about.
 */
export interface LiveReads {
  readonly sources: ReadonlyMap<number, LiveRoute>;
  readonly hops: ReadonlyMap<string, LiveRoute>;
}

/** The nodes not read, by why: `r1, w2 (not selected by --only), r2 (unreachable)`. */
function unreadText(unread: ReadonlyMap<string, ReadonlySet<string>>): string {
  return [...unread].map(([why, nodes]) => `${[...nodes].join(', ')} (${why})`).join(', ');
}

/** The source's route for each failed check that should have succeeded (successLine), by check index. */
export function probeSourceRoutes(output: string, marker: string): Map<number, LiveRoute> {
  const get = new Map<number, string>();
  const match = new Map<number, string>();
  for (const line of output.split('\n')) {
    if (!line.startsWith(`${marker} `)) continue;
    const parsed = /^route-(get|match) (\d+) ?(.*)$/.exec(line.slice(marker.length + 1));
    if (parsed) (parsed[1] === 'get' ? get : match).set(Number(parsed[2]), parsed[3]);
  }
  const routes = new Map<number, LiveRoute>();
  for (const [index, text] of get) {
    const live = parseLive(text, match.get(index));
    if (live) routes.set(index, live);
  }
  return routes;
}

/**
 * The failed checks that should have succeeded, explained (explainFailure) once every node's round trip is in:
 * `sources` holds what each check's source read when it failed, `hops` what the nodes on the paths read.
 */
export function explainFailures(
  cluster: Cluster,
  results: ReadonlyArray<ProbeResult>,
  sources: ReadonlyMap<number, LiveRoute>,
  hops: ReadonlyMap<string, HopAnswer>,
): ProbeResult[] {
  return results.map((result) => {
    const source = sources.get(result.index);
    if (result.status !== 'failed' || result.expect !== 'success' || !source) return result;
    const why = explainFailure(cluster, cluster.verify[result.index], source, hops);
    return why ? { ...result, detail: `${result.detail}; ${why}` } : result;
  });
}

/**
 * Reads the probe script's output into results (a probe without a result line failed: the run was cut short). A
 * failed check is explained afterwards (explainFailures), when the other nodes on its path have been read too.
 */
export function parseProbeOutput(output: string, probes: ReadonlyArray<Probe>, marker: string): ProbeResult[] {
  const status = new Map<number, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith(`${marker} `)) continue;
    const match = /^check (\d+) (\d+)$/.exec(line.slice(marker.length + 1));
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

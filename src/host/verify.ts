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
import { canonicalRouteDestination, parseRouteAddress, RouteTable } from '../model/route-table';
import { effectiveNode } from '../model/effective';
import { probeEndpoints, type Endpoint, nodeAddress, splitPort, type TraceResult, traceProbe } from '../model/trace';
import type { Cluster } from '../model/schema';
import { type IpRoute, parseRoutes } from './resources/ip-facts';
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

/**
 * The attempt line of a probe that should succeed: when it fails, the source's kernel says where it sends the
 * packet (`ip -j route get`) and which routes match (`ip -j route show match`), read in the same round trip, so the
 * failure is explained against the model's path (explainFailure). Nothing more is printed when it passes.
 */
function successLine(argv: ReadonlyArray<string>, spec: ProbeSpec, address: string, index: number, marker: string) {
  const { namespace } = probeSource(spec);
  const ip = [...(namespace ? ['ip', 'netns', 'exec', namespace] : []), 'ip', '-j', 'route'];
  return (
    `( netstrap_try ${SUCCESS_ATTEMPTS} ${quoteCommand(argv)}; r=$?; echo ${quoteArg(`${marker} check ${index}`)} $r; ` +
    `if [ "$r" != 0 ]; then printf '%s %s\\n' ${quoteArg(`${marker} route-get ${index}`)} "$(${quoteCommand([...ip, 'get', address])} 2>&1)"; ` +
    `printf '%s %s\\n' ${quoteArg(`${marker} route-match ${index}`)} "$(${quoteCommand([...ip, 'show', 'match', address])} 2>&1)"; fi ) &`
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

/** What the source's kernel said about a failed probe's target: `ip -j route get` and `ip -j route show match`. */
export interface LiveRoute {
  /** The first entry of `ip -j route get` (absent: the kernel refused, see `error`). */
  readonly get?: IpRoute & { readonly table?: string };
  readonly error?: string;
  /** The main-table routes that contain the target. */
  readonly matching: ReadonlyArray<IpRoute>;
}

export function parseLive(get: string | undefined, match: string | undefined): LiveRoute | undefined {
  if (get === undefined) return undefined;
  let matching: IpRoute[] = [];
  try {
    matching = parseRoutes(match ?? '');
  } catch {
    // an error text instead of JSON: no matching route to name
  }
  try {
    const entry = (parseRoutes(get) as Array<IpRoute & { table?: string }>)[0];
    return entry ? { get: entry, matching } : { error: 'no answer', matching };
  } catch {
    return { error: get.replace(/^RTNETLINK answers: /, '').trim(), matching };
  }
}

/** The model's path of a trace as `w1 → r1 (192.168.10.1) → w2`, and how it ends when not delivered. */
export function modelPathText(result: TraceResult): string {
  const parts = [result.hops[0]?.at ?? result.from];
  for (const hop of result.hops) {
    const next = hop.next;
    if (!next) continue;
    parts.push(
      next.to
        ? `${next.to}${next.via ? ` (${next.via})` : ''}`
        : `${next.via ?? `on-link ${next.dev}`} (outside the model)`,
    );
  }
  const path = parts.join(' → ');
  return result.verdict === 'dropped' ? `${path} ✗ ${result.reason}` : path;
}

/** The node that holds an address in the cluster file, if any. */
function holder(cluster: Cluster, address: string): string | undefined {
  return cluster.nodes.find((n) =>
    [...n.interfaces.flatMap((i) => i.addresses), ...n.bridges.flatMap((b) => b.addresses)].some(
      (a) => a.split('/')[0] === address,
    ),
  )?.name;
}

/**
 * What a place's kernel does with a packet, in words: the next hop (a node of the cluster file by name) and how it
 * got there (the matching route, declared or not; connected; an ip rule's table). `modelRoute`: the model's route
 * text at that place, to tell whether a namespace's or pod's route is the model's.
 */
export function describeLive(
  cluster: Cluster,
  placeId: string,
  live: LiveRoute,
  modelRoute: string | undefined,
): { how: string; hopName: string } {
  const get = live.get!;
  const target = parseRouteAddress(get.dst);
  const matched = target ? RouteTable.of(4, live.matching, (r) => r).lookup(target)?.route : undefined;
  const routeText = matched
    ? `${matched.dst}${matched.gateway ? ` via ${matched.gateway}` : ''}${matched.dev ? ` dev ${matched.dev}` : ''}${matched.metric ? ` metric ${matched.metric}` : ''}`
    : undefined;
  const [node, namespace] = placeId.split('/');
  const clusterNode = cluster.nodes.find((n) => n.name === node);
  let how: string;
  if (get.table !== undefined && get.table !== 'main') how = `by an ip rule, table ${get.table}`;
  else if (!matched) how = 'route unknown';
  else if (matched.protocol === 'kernel') how = `route ${routeText}, connected`;
  else {
    const declared =
      namespace === undefined && clusterNode
        ? effectiveNode(cluster, clusterNode).routes.some(
            (r) =>
              canonicalRouteDestination(r.to) === canonicalRouteDestination(matched.dst) &&
              r.via === matched.gateway &&
              (r.metric ?? 0) === (matched.metric ?? 0),
          )
        : modelRoute?.startsWith(`${matched.dst} `) === true;
    how = `route ${routeText}, ${declared ? 'declared' : 'not declared'}`;
  }
  const named = get.gateway ? holder(cluster, get.gateway) : undefined;
  const hopName = get.gateway ? (named ? `${named} (${get.gateway})` : get.gateway) : `on-link ${get.dev ?? ''}`.trim();
  return { how, hopName };
}

/**
 * A failed probe explained: the model's path beside what the source's kernel does with the packet, and the first
 * hop where they part (only the source was read: the hops after it are said to be unread).
 */
export function explainFailure(cluster: Cluster, spec: ProbeSpec, live: LiveRoute): string {
  let model: TraceResult;
  try {
    model = traceProbe(cluster, spec);
  } catch {
    return '';
  }
  const at = model.hops[0]?.at ?? spec.from;
  const first = model.hops[0]?.next;
  const modelText = `model: ${modelPathText(model)}`;
  if (!live.get) {
    return `${modelText}; live: ${at}: no route (ip route get: ${live.error}); they part at ${at}`;
  }
  const get = live.get;
  const { how, hopName } = describeLive(cluster, spec.from, live, first?.route);
  const liveText = `live: ${at} → ${hopName} (${how})`;
  const same = first !== undefined && first.via === get.gateway && first.dev === get.dev;
  if (!same) return `${modelText}; ${liveText}; they part at ${at}`;
  const after = model.hops.slice(1).map((h) => h.at);
  return `${modelText}; ${liveText}; they agree at ${at}${after.length > 0 ? `; not read here: ${[...new Set(after)].join(', ')} (netstrap trace --live reads every hop)` : ''}`;
}

/**
 * Reads the probe script's output into results (a probe without a result line failed: the run was cut short). With
 * the cluster, a probe that should have succeeded and failed is explained (explainFailure).
 */
export function parseProbeOutput(
  output: string,
  probes: ReadonlyArray<Probe>,
  marker: string,
  cluster?: Cluster,
): ProbeResult[] {
  const status = new Map<number, number>();
  const routeGet = new Map<number, string>();
  const routeMatch = new Map<number, string>();
  for (const line of output.split('\n')) {
    if (!line.startsWith(`${marker} `)) continue;
    const match = /^(check|route-get|route-match) (\d+) ?(.*)$/.exec(line.slice(marker.length + 1));
    if (!match) continue;
    const index = Number(match[2]);
    if (match[1] === 'check' && /^\d+$/.test(match[3])) status.set(index, Number(match[3]));
    else if (match[1] === 'route-get') routeGet.set(index, match[3]);
    else if (match[1] === 'route-match') routeMatch.set(index, match[3]);
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
    const live = cluster && !succeeded ? parseLive(routeGet.get(index), routeMatch.get(index)) : undefined;
    const why = live ? explainFailure(cluster!, spec, live) : '';
    return {
      ...base,
      status: 'failed' as const,
      detail: succeeded
        ? 'succeeded, expected failure'
        : `failed after ${spec.expect === 'success' ? SUCCESS_ATTEMPTS : 1} attempt(s), expected success${why ? `; ${why}` : ''}`,
    };
  });
}

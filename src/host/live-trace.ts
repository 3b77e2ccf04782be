/**
 * `netstrap trace --live`: the model's trace beside what the nodes' kernels say. Every node the model's path
 * visits is asked, in ONE round trip, `ip -j route get` for each hop it makes (with `from SRC iif DEV` for a packet
 * it forwards, inside the namespace for a namespace or pod) and `ip -j route show match` to name the route; the
 * first hop where the kernel's next hop is not the model's is where the live path leaves the model. Read-only.
 */
import type { Cluster } from '../model/schema';
import type { TraceNextHop, TraceResult } from '../model/trace';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONCURRENCY } from './defaults';
import { newMarker } from './fact-script';
import { runPool } from './provision';
import { quoteArg, quoteCommand } from './shell';
import { type Connector, type SshOptions, sshConnector } from './ssh';
import { describeLive, type LiveRoute, parseLive } from './verify';

export interface LiveHop {
  /** The place, as in the model's trace. */
  readonly at: string;
  /** What was asked: `ip route get 192.168.20.11 from 192.168.10.11 iif eth0`. */
  readonly asked: string;
  /** The model's next hop there. */
  readonly model: TraceNextHop;
  /** The kernel's answer in words (`r1 (192.168.10.1) (route 192.168.20.0/24 via 192.168.10.1 dev eth0, declared)`), or why it was not read. */
  readonly live: string;
  /** True when the kernel sends the packet where the model does (same gateway, same interface). */
  readonly agrees: boolean;
  /** False when the node could not be read. */
  readonly read: boolean;
}

export interface LiveTrace {
  readonly hops: ReadonlyArray<LiveHop>;
  /** The first place where the live path leaves the model's (absent: they agree at every hop read). */
  readonly partsAt?: string;
}

export interface LiveTraceOptions extends SshOptions {
  readonly connector?: Connector;
  readonly commandTimeoutMs?: number;
  readonly concurrency?: number;
}

/** The `ip` argv asking the kernel about one hop, inside the place's namespace when it is one. */
function routeArgv(at: string, next: TraceNextHop, what: 'get' | 'match'): string[] {
  const namespace = at.split('/')[1];
  const ip = [...(namespace !== undefined ? ['ip', 'netns', 'exec', namespace] : []), 'ip', '-j', 'route'];
  if (what === 'match') return [...ip, 'show', 'match', next.dst];
  return [
    ...ip,
    'get',
    next.dst,
    ...(next.iif !== undefined && next.src !== undefined ? ['from', next.src, 'iif', next.iif] : []),
  ];
}

/** Reads the kernel's route for every hop of the model's forward path, one round trip per node, nodes in parallel. */
export async function liveTrace(
  cluster: Cluster,
  result: TraceResult,
  options: LiveTraceOptions = {},
): Promise<LiveTrace> {
  const hops = result.hops.flatMap((hop, index) => (hop.next ? [{ index, at: hop.at, next: hop.next }] : []));
  const byNode = new Map<string, typeof hops>();
  for (const hop of hops) {
    const node = hop.at.split('/')[0];
    byNode.set(node, [...(byNode.get(node) ?? []), hop]);
  }
  const connector = options.connector ?? sshConnector;
  const answers = new Map<number, LiveRoute | string>();
  await runPool([...byNode.keys()], options.concurrency ?? DEFAULT_CONCURRENCY, async (name) => {
    const node = cluster.nodes.find((n) => n.name === name);
    const mine = byNode.get(name)!;
    if (!node) return;
    const marker = newMarker();
    const script = mine
      .flatMap(({ index, at, next }) => [
        `printf '%s %s\\n' ${quoteArg(`${marker} get ${index}`)} "$(${quoteCommand(routeArgv(at, next, 'get'))} 2>&1)"`,
        `printf '%s %s\\n' ${quoteArg(`${marker} match ${index}`)} "$(${quoteCommand(routeArgv(at, next, 'match'))} 2>&1)"`,
      ])
      .join('\n');
    try {
      const transport = await connector(node, options);
      try {
        const run = await transport.run(`${script}\n`, options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
        const lines = new Map<string, string>();
        for (const line of run.stdout.split('\n')) {
          const match = line.startsWith(`${marker} `)
            ? /^(get|match) (\d+) ?(.*)$/.exec(line.slice(marker.length + 1))
            : null;
          if (match) lines.set(`${match[1]} ${match[2]}`, match[3]);
        }
        for (const { index } of mine)
          answers.set(index, parseLive(lines.get(`get ${index}`), lines.get(`match ${index}`)) ?? 'no answer');
      } finally {
        transport.close();
      }
    } catch (error) {
      for (const { index } of mine) answers.set(index, `not read: ${(error as Error).message}`);
    }
  });
  let partsAt: string | undefined;
  const live = hops.map(({ index, at, next }): LiveHop => {
    const asked = routeArgv(at, next, 'get')
      .slice(at.includes('/') ? 4 : 0)
      .filter((w) => w !== '-j')
      .join(' ');
    const answer = answers.get(index) ?? 'not read';
    if (typeof answer === 'string') return { at, asked, model: next, live: answer, agrees: false, read: false };
    if (!answer.get) {
      partsAt ??= at;
      const forwarded =
        next.iif !== undefined
          ? `: it does not forward what comes in on ${next.iif} (net.ipv4.ip_forward 0, or rp_filter)`
          : '';
      return { at, asked, model: next, live: `no route (${answer.error})${forwarded}`, agrees: false, read: true };
    }
    const { how, hopName } = describeLive(cluster, at, answer, next.route);
    const agrees = answer.get.gateway === next.via && answer.get.dev === next.dev;
    if (!agrees) partsAt ??= at;
    return { at, asked, model: next, live: `${hopName} (${how})`, agrees, read: true };
  });
  return { hops: live, ...(partsAt !== undefined ? { partsAt } : {}) };
}

/** The live trace as text, after the model's. */
export function formatLiveTrace(live: LiveTrace): string {
  const lines = ['live (ip route get on each node of the model path):'];
  live.hops.forEach((hop, i) => {
    const model = `${hop.model.via !== undefined ? `via ${hop.model.via}` : 'on-link'} dev ${hop.model.dev}`;
    lines.push(
      `  ${i + 1}. ${hop.at}: ${hop.live}${hop.agrees ? ' (as the model)' : hop.read ? `; the model: ${model}` : ''}`,
    );
  });
  if (live.hops.length === 0) lines.push('  (the model path has no routed hop to read)');
  if (live.partsAt !== undefined) lines.push(`they part at ${live.partsAt}`);
  else if (live.hops.every((h) => h.read)) lines.push('the kernels agree with the model at every hop');
  else
    lines.push(
      `not read: ${live.hops
        .filter((h) => !h.read)
        .map((h) => h.at)
        .join(', ')}`,
    );
  return `${lines.join('\n')}\n`;
}

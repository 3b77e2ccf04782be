/**
 * `netstrap trace --live`: the model's trace beside what the nodes' kernels say. Every node the model's path
 * visits is asked, in ONE round trip, `ip -j route get` for each hop it makes (with `from SRC iif DEV` for a packet
 * it forwards, inside the namespace for a namespace or pod) and its route table to name the route (live-route.ts,
 * as verify asks); the first hop where the kernel's next hop is not the model's is where the live path leaves the
 * model. Read-only.
 */
import type { Cluster } from '../model/schema';
import type { TraceNextHop, TraceResult } from '../model/trace';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONCURRENCY } from './defaults';
import { newMarker } from './fact-script';
import { runPool } from './provision';
import {
  type HopQuery,
  hopAsked,
  hopKey,
  hopReadLines,
  judgeHop,
  type LiveRoute,
  parseHopReads,
  placeNode,
} from './live-route';
import { type Connector, type SshOptions, sshConnector } from './ssh';

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

/** Reads the kernel's route for every hop of the model's forward path, one round trip per node, nodes in parallel. */
export async function liveTrace(
  cluster: Cluster,
  result: TraceResult,
  options: LiveTraceOptions = {},
): Promise<LiveTrace> {
  const hops: HopQuery[] = result.hops.flatMap((hop) => (hop.next ? [{ at: hop.at, next: hop.next }] : []));
  const byNode = new Map<string, HopQuery[]>();
  for (const hop of hops) byNode.set(placeNode(hop.at), [...(byNode.get(placeNode(hop.at)) ?? []), hop]);
  const connector = options.connector ?? sshConnector;
  const answers = new Map<string, LiveRoute | string>();
  await runPool([...byNode.keys()], options.concurrency ?? DEFAULT_CONCURRENCY, async (name) => {
    const mine = byNode.get(name)!;
    const node = cluster.nodes.find((n) => n.name === name);
    const unread = (why: string) => {
      for (const query of mine) answers.set(hopKey(query), `not read: ${why}`);
    };
    if (!node) return unread(`the cluster file has no node named ${name}, so there is no SSH address to ask`);
    const marker = newMarker();
    try {
      const transport = await connector(node, options);
      try {
        const script = `${hopReadLines(mine, marker).join('\n')}\n`;
        const run = await transport.run(script, options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
        const read = parseHopReads(run.stdout, mine, marker);
        for (const query of mine)
          answers.set(hopKey(query), read.get(hopKey(query)) ?? `not read: ${name} gave no answer (exit ${run.code})`);
      } finally {
        transport.close();
      }
    } catch (error) {
      unread((error as Error).message);
    }
  });
  let partsAt: string | undefined;
  const live = hops.map((query): LiveHop => {
    const { at, next } = query;
    const asked = hopAsked(query);
    const answer = answers.get(hopKey(query)) ?? 'not read';
    if (typeof answer === 'string') return { at, asked, model: next, live: answer, agrees: false, read: false };
    const verdict = judgeHop(cluster, query, answer);
    if (!verdict.agrees) partsAt ??= at;
    const text = verdict.hopName !== undefined ? `${verdict.hopName} (${verdict.how})` : verdict.how;
    return { at, asked, model: next, live: text, agrees: verdict.agrees, read: true };
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

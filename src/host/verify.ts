/**
 * Connectivity assertions (cluster.verify): ping an address or TCP-connect to ip:port, from a node or from a
 * network namespace on it, expecting success or failure. All assertions of one source node run in ONE round trip,
 * in parallel on the node, each bounded in attempts and time:
 * - expect success: up to SUCCESS_ATTEMPTS attempts, 0.5 s apart (a route or ARP entry may still be settling);
 * - expect failure: one attempt — it passes when that attempt fails.
 * An attempt is `ping -c 1 -W 1 <addr>` or `timeout 2 bash -c 'exec 3<>/dev/tcp/$0/$1' <ip> <port>`, run through
 * `ip netns exec <ns>` when the source is node/namespace. The values are passed as arguments, never spliced into
 * the bash snippet.
 */
import { parseAddress } from '../model/cidr';
import { Issue, show } from '../model/errors';
import type { Cluster } from '../model/schema';
import { quoteArg, quoteCommand } from './shell';

export const SUCCESS_ATTEMPTS = 5;

export type CheckSpec = Cluster['verify'][number];

/** The outcome of one assertion. */
export interface CheckResult {
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

/** Node name and optional namespace of an assertion's `from`. */
export function checkSource(spec: CheckSpec): { node: string; namespace?: string } {
  const [node, namespace] = spec.from.split('/');
  return { node, namespace };
}

export function describeCheck(spec: CheckSpec): string {
  return spec.ping !== undefined ? `ping ${spec.ping}` : `tcp ${spec.tcp}`;
}

/**
 * Checks cluster.verify: `from` names a node, or node/namespace with that namespace declared on the node; exactly
 * one of ping (an IPv4 address) and tcp (ip:port) is given.
 */
export function checkVerifyAssertions(cluster: Cluster): Issue[] {
  const issues: Issue[] = [];
  cluster.verify.forEach((spec, i) => {
    const at = (field: string) => ['verify', i, field];
    const parts = spec.from.split('/');
    const node = cluster.nodes.find((n) => n.name === parts[0]);
    if (parts.length > 2 || parts.some((p) => p === '')) {
      issues.push({ path: at('from'), message: `must be a node name or node/namespace (got ${show(spec.from)})` });
    } else if (!node) {
      issues.push({ path: at('from'), message: `no node named ${show(parts[0])} (got ${show(spec.from)})` });
    } else if (parts[1] !== undefined && !node.namespaces.some((ns) => ns.name === parts[1])) {
      issues.push({ path: at('from'), message: `node ${show(node.name)} declares no namespace ${show(parts[1])} (got ${show(spec.from)})` });
    }
    if ((spec.ping === undefined) === (spec.tcp === undefined)) {
      issues.push({ path: ['verify', i], message: 'needs exactly one of ping and tcp' });
    }
    if (spec.ping !== undefined) {
      const parsed = parseAddress(spec.ping);
      if (!parsed.ok) issues.push({ path: at('ping'), message: parsed.error });
    }
    if (spec.tcp !== undefined) {
      const match = /^([^:]+):(\d{1,5})$/.exec(spec.tcp);
      const parsed = match ? parseAddress(match[1]) : undefined;
      if (!match || !parsed?.ok || Number(match[2]) < 1 || Number(match[2]) > 65535) {
        issues.push({ path: at('tcp'), message: `must be ip:port with an IPv4 address and a port 1-65535 (got ${show(spec.tcp)})` });
      }
    }
  });
  return issues;
}

function attemptArgv(spec: CheckSpec): string[] {
  const { namespace } = checkSource(spec);
  const prefix = namespace ? ['ip', 'netns', 'exec', namespace] : [];
  if (spec.ping !== undefined) return [...prefix, 'ping', '-c', '1', '-W', '1', spec.ping];
  const [ip, port] = (spec.tcp ?? '').split(':');
  return [...prefix, 'timeout', '2', 'bash', '-c', 'exec 3<>"/dev/tcp/$0/$1"', ip, port];
}

/** The script running `checks` (indexed into cluster.verify) on their source node, in parallel. */
export function buildCheckScript(checks: ReadonlyArray<{ index: number; spec: CheckSpec }>, marker: string): string {
  const lines = [
    // tries: a bounded number of attempts; returns 0 on the first success.
    'netstrap_try() { n=$1; shift; i=0; while [ "$i" -lt "$n" ]; do "$@" >/dev/null 2>&1 && return 0; i=$((i+1)); [ "$i" -lt "$n" ] && sleep 0.5; done; return 1; }',
  ];
  for (const { index, spec } of checks) {
    const tries = spec.expect === 'success' ? SUCCESS_ATTEMPTS : 1;
    lines.push(`( netstrap_try ${tries} ${quoteCommand(attemptArgv(spec))}; echo ${quoteArg(`${marker} check ${index}`)} $? ) &`);
  }
  lines.push('wait', `echo ${quoteArg(`${marker} checks-done`)}`);
  return lines.join('\n') + '\n';
}

/** Reads the check script's output into results (a check without a result line failed: the run was cut short). */
export function parseCheckOutput(output: string, checks: ReadonlyArray<{ index: number; spec: CheckSpec }>, marker: string): CheckResult[] {
  const status = new Map<number, number>();
  for (const line of output.split('\n')) {
    const match = line.startsWith(`${marker} check `) ? /^(\d+) (\d+)$/.exec(line.slice(marker.length + 7)) : null;
    if (match) status.set(Number(match[1]), Number(match[2]));
  }
  return checks.map(({ index, spec }) => {
    const code = status.get(index);
    const base = { index, from: spec.from, check: describeCheck(spec), expect: spec.expect };
    if (code === undefined) return { ...base, status: 'failed' as const, detail: 'no result (the check script was cut short)' };
    const succeeded = code === 0;
    if (succeeded === (spec.expect === 'success')) return { ...base, status: 'passed' as const };
    return {
      ...base, status: 'failed' as const,
      detail: succeeded ? 'succeeded, expected failure' : `failed after ${spec.expect === 'success' ? SUCCESS_ATTEMPTS : 1} attempt(s), expected success`,
    };
  });
}

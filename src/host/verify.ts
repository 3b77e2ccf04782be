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

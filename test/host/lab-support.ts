/**
 * Helpers for the host provisioner's lab tests: node state snapshots (read through nsenter, not SSH, so reading
 * never goes through the code under test), the CLI run asynchronously, and a connector that injects a failure at
 * an exact apply step on a real node.
 */
import { labExec, LabState } from '../../src/lab';
import { sshConnector, type Connector } from '../../src/host/ssh';
import { repoRoot } from '../support/lab';
import * as path from 'path';
import { $ } from 'zx/core';

/**
 * Everything a bootstrap may touch on a node: links, IPv4 addresses and routes (node and every namespace), iptables
 * rules, sysctls, managed files. IPv6 link-local state (DAD "tentative" flags, fe80 routes) and packet counters are
 * left out: the kernel changes them on its own as time and traffic pass.
 */
const SNAPSHOT = `
# Carrier and operstate follow the far end of a cable, not this node's configuration.
strip() { sed 's/"NO-CARRIER",//g; s/"operstate":"[A-Z]*",//g'; }
echo '== link'; ip -j link show | strip
echo '== addr'; ip -4 -j addr show | strip
echo '== route'; ip -4 -j route show table all
for ns in $(ip netns list | cut -d' ' -f1 | sort); do
  echo "== netns $ns"; ip -n "$ns" -j link show | strip; ip -n "$ns" -4 -j addr show | strip; ip -n "$ns" -4 -j route show table all
done
echo '== iptables'; iptables-save | grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//'
echo '== sysctl'; sysctl net.ipv4.ip_forward
echo '== files'
for f in /etc/hosts /etc/resolv.conf $(find /etc/netstrap /etc/sysctl.d /etc/modules-load.d /etc/cni /etc/systemd/system -type f -o -type l 2>/dev/null | sort); do
  if [ "$WITH_MTIME" = 1 ]; then stat -c '%n %s %Y %a' "$f"; else stat -c '%n %s %a' "$f"; fi
  md5sum < "$f" 2>/dev/null
done
`;

/** A node's state as text; withMtime also records file modification times (nothing rewritten, not just same bytes). */
export async function snapshot(state: LabState, node: string, withMtime = false): Promise<string> {
  const r = await labExec(state, node, ['env', `WITH_MTIME=${withMtime ? 1 : 0}`, 'sh', '-c', SNAPSHOT]);
  return r.stdout;
}

export async function snapshotAll(state: LabState, withMtime = false): Promise<Record<string, string>> {
  const entries = await Promise.all(
    state.nodes.map(async (n) => [n.name, await snapshot(state, n.name, withMtime)] as const),
  );
  return Object.fromEntries(entries);
}

/** Runs bin/netstrap without blocking the event loop. */
export async function netstrapAsync(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const result = await $({
    cwd: repoRoot,
    timeout: 90000,
    timeoutSignal: 'SIGKILL',
    nothrow: true,
    quiet: true,
  })`exec ${[path.join(repoRoot, 'bin', 'netstrap'), ...args]}`;
  return { status: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** The real SSH connector, counting into `runs` the round trips made to each node (by node name). */
export function countingConnector(runs: Map<string, number>): Connector {
  return async (node, options) => {
    const transport = await sshConnector(node, options);
    return {
      close: () => transport.close(),
      run: (script, timeout) => {
        runs.set(node.name, (runs.get(node.name) ?? 0) + 1);
        return transport.run(script, timeout);
      },
    };
  };
}

/**
 * The real SSH connector, except that on `node` the apply script's step `step` fails: by default right after its
 * own commands ran (so that step and every earlier one have really changed the node when the failure hits), or with
 * `when: 'before'` before any of them ran.
 */
export function failingAt(node: string, step: number, when: 'after' | 'before' = 'after'): Connector {
  return async (target, options) => {
    const transport = await sshConnector(target, options);
    if (target.name !== node) return transport;
    return {
      close: () => transport.close(),
      run: (script, timeoutMs) => {
        // The step's marker line, then (after any bookkeeping lines) the opening brace of its commands.
        const begin = new RegExp(`^echo '@@netstrap-[0-9a-f]+@@ step ${step}'\\n(?:.*\\n)*?\\{\\n`, 'm').exec(script);
        if (!begin) return transport.run(script, timeoutMs);
        if (when === 'before') {
          const at = begin.index + begin[0].length;
          return transport.run(
            `${script.slice(0, at)}echo 'injected fault' >&2 && false &&\n${script.slice(at)}`,
            timeoutMs,
          );
        }
        const end = script.indexOf('\n} 2>&1 || {', begin.index);
        return transport.run(
          `${script.slice(0, end)} &&\necho 'injected fault' >&2 && false${script.slice(end)}`,
          timeoutMs,
        );
      },
    };
  };
}

/**
 * The connectivity assertions of a cluster file (cluster.verify), checked as data: pure, in cluster-file
 * coordinates. Running them on the nodes is src/host/verify.ts.
 */
import { parseAddress } from '../cidr';
import { Issue, show } from '../errors';
import type { Cluster } from '../schema';

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

/**
 * The probes of a cluster file (cluster.verify), checked as data: pure, in cluster-file
 * coordinates. Running them on the nodes is src/host/verify.ts.
 */
import { Issue, show } from '../errors';
import type { Cluster } from '../schema';
import { parseEndpoint, splitPort } from '../trace';

/**
 * Checks cluster.verify: `from` names a node, or node/namespace (a namespace declared on the node, or a pod of a
 * node that runs pods); exactly one of ping (an address, a node or node/namespace) and tcp (the same, then :port).
 */
export function checkProbes(cluster: Cluster): Issue[] {
  const issues: Issue[] = [];
  cluster.verify.forEach((spec, i) => {
    const at = (field: string) => ['verify', i, field];
    const from = parseEndpoint(cluster, spec.from, false);
    if (from.error) issues.push({ path: at('from'), message: from.error });
    if ((spec.ping === undefined) === (spec.tcp === undefined)) {
      issues.push({ path: ['verify', i], message: 'needs exactly one of ping and tcp' });
    }
    if (spec.ping !== undefined) {
      const target = parseEndpoint(cluster, spec.ping, true);
      if (target.error) issues.push({ path: at('ping'), message: target.error });
    }
    if (spec.tcp !== undefined) {
      const { target, port, error } = splitPort(spec.tcp);
      const endpoint = port === undefined || error ? undefined : parseEndpoint(cluster, target, true);
      if (port === undefined || error) {
        const ipv6 = spec.tcp.startsWith('[') || spec.tcp.split(':').length > 2;
        issues.push({
          path: at('tcp'),
          message: ipv6
            ? `must be [ADDRESS]:port with an IPv6 address in brackets and a port 1-65535, e.g. [fd00::2]:80 (got ${show(spec.tcp)})`
            : `must be TARGET:port with an IPv4 address, a node or node/namespace and a port 1-65535 (got ${show(spec.tcp)})`,
        });
      } else if (endpoint?.error) issues.push({ path: at('tcp'), message: endpoint.error });
    }
  });
  return issues;
}

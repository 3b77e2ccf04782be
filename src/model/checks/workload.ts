/**
 * Checks of the cluster file's `kubernetes.namespaces` and `kubernetes.workloads` (declared for NetworkPolicy
 * analysis): labels as the API server requires them, container port names (IANA_SVC_NAME, unique per pod), fixed
 * pod IPs (IPv4 or IPv6) inside the pod range of their family and not shared, no workload or namespace declared twice.
 */
import { ipNetworkContains, ipv6Text, parseIpAddress } from '../cidr';
import { Issue, show, under } from '../errors';
import { checkLabels, checkPortName } from '../meta';
import { NetworkLayout } from '../layout';
import type { NamespaceSpec, WorkloadSpec } from '../schema';

/** Checks the namespaces (paths relative to the list). */
export function checkNamespaces(namespaces: readonly NamespaceSpec[]): Issue[] {
  const issues: Issue[] = [];
  const seen = new Map<string, number>();
  namespaces.forEach((ns, i) => {
    issues.push(...under([i, 'labels'], checkLabels(ns.labels)));
    const earlier = seen.get(ns.name);
    if (earlier !== undefined)
      issues.push({ path: [i, 'name'], message: `namespace ${show(ns.name)} is declared twice (also [${earlier}])` });
    else seen.set(ns.name, i);
    const nameLabel = ns.labels?.['kubernetes.io/metadata.name'];
    if (nameLabel !== undefined && nameLabel !== ns.name) {
      issues.push({
        path: [i, 'labels', 'kubernetes.io/metadata.name'],
        message: `is set by the control plane to the namespace name ${show(ns.name)}, not ${show(nameLabel)}`,
      });
    }
  });
  return issues;
}

/** Checks the workloads against the network layout (paths relative to the list). */
export function checkWorkloads(workloads: readonly WorkloadSpec[], layout: NetworkLayout): Issue[] {
  const issues: Issue[] = [];
  const seen = new Map<string, number>();
  const ipOwners = new Map<string, string>();
  workloads.forEach((w, i) => {
    const id = `${w.kind} ${w.namespace}/${w.name}`;
    const earlier = seen.get(id);
    if (earlier !== undefined)
      issues.push({ path: [i, 'name'], message: `${id} is declared twice (also [${earlier}])` });
    else seen.set(id, i);
    issues.push(...under([i, 'podLabels'], checkLabels(w.podLabels)));
    const names = new Map<string, number>();
    w.ports.forEach((p, j) => {
      if (p.name === undefined) return;
      const problem = checkPortName(p.name);
      if (problem) issues.push({ path: [i, 'ports', j, 'name'], message: problem });
      const other = names.get(p.name);
      if (other !== undefined)
        issues.push({
          path: [i, 'ports', j, 'name'],
          message: `port name ${show(p.name)} is used twice in one pod (also ports[${other}])`,
        });
      else names.set(p.name, j);
    });
    (w.podIPs ?? []).forEach((ip, j) => {
      const at = [i, 'podIPs', j];
      const parsed = parseIpAddress(ip);
      if (!parsed.ok) {
        issues.push({ path: at, message: parsed.error });
        return;
      }
      const family = parsed.value.family;
      const range = layout.podCidrs.find((r) => r.family === family);
      if (!range) {
        issues.push({
          path: at,
          message: `pod IP ${show(ip)} is IPv${family} but network.podCidr has no IPv${family} range: add one (a dual-stack podCidr) or remove the address`,
        });
      } else if (!ipNetworkContains(range.network, parsed.value)) {
        const which = layout.podCidrs.length > 1 ? `network.podCidr's IPv${family} range` : 'network.podCidr';
        issues.push({ path: at, message: `pod IP ${show(ip)} is outside ${which} ${range.text}` });
      }
      // One address in two spellings (fd00::5, FD00:0::5) is one address.
      const key = parsed.value.family === 6 ? ipv6Text(parsed.value.value.getValue()) : ip;
      const owner = ipOwners.get(key);
      if (owner !== undefined && owner !== id)
        issues.push({ path: at, message: `pod IP ${show(ip)} is also given to ${owner}` });
      ipOwners.set(key, id);
    });
  });
  return issues;
}

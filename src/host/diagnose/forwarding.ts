/**
 * forwarding: net.ipv4.ip_forward (and net.ipv6.conf.all.forwarding where IPv6 applies: forwarding.ipv6-forward) on routers (a node whose address another node routes through, or one the
 * cluster file gives ip_forward: 1) and on Kubernetes nodes (kubeadm's preflight requires it); br_netfilter loaded
 * and net.bridge.bridge-nf-call-iptables = 1 on Kubernetes nodes, so bridged pod traffic meets kube-proxy's rules.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import { desiredSysctls } from '../resources/sysctl';
import {
  type CheckInput,
  fail,
  isKubernetesNode,
  ok,
  RUN_BOOTSTRAP,
  warn,
  type Finding,
  type NodeCheck,
} from './types';

const FORWARD = 'net.ipv4.ip_forward';
const FORWARD6 = 'net.ipv6.conf.all.forwarding';
const BRIDGE_NF = 'net.bridge.bridge-nf-call-iptables';

/** Each family's forwarding switch, and the check that reads it. */
const FAMILIES = [
  { family: 4, key: FORWARD, check: 'forwarding.ip-forward' },
  { family: 6, key: FORWARD6, check: 'forwarding.ipv6-forward' },
] as const;

export const forwardingChecks: NodeCheck = ({ model, self }): Finding[] => {
  const { node } = self;
  const findings: Finding[] = [];
  for (const { family, key, check } of FAMILIES) {
    // IPv6 is checked where the family applies: a node with an IPv6 address, or a Kubernetes node of a cluster with
    // an IPv6 pod range. IPv4-only files get exactly the findings they got before.
    if (family === 6 && !appliesIpv6(model.cluster, node)) continue;
    findings.push(...familyForwarding(model.cluster, self, key, check, family));
  }
  return [...findings, ...bridgeFindings(self)];
};

function appliesIpv6(cluster: Cluster, node: ClusterNode): boolean {
  const own = [...node.interfaces, ...node.bridges].some((d) => d.addresses.some((a) => a.includes(':')));
  const podRanges: ReadonlyArray<string> = (cluster.network as { podCidrs?: ReadonlyArray<string> }).podCidrs ?? [];
  return own || (isKubernetesNode(node) && podRanges.some((range) => range.includes(':')));
}

function familyForwarding(
  cluster: Cluster,
  self: CheckInput['self'],
  key: string,
  check: string,
  family: 4 | 6,
): Finding[] {
  const { node, index, view } = self;
  const findings: Finding[] = [];
  const at = `nodes[${index}]`;
  const observed = view.sysctls.get(key) ?? 'absent';
  const wanted = desiredSysctls(node, cluster).get(key);
  const own = new Set(
    node.interfaces.flatMap((i) =>
      i.addresses.map((a) => a.split('/')[0]).filter((a) => a.includes(':') === (family === 6)),
    ),
  );
  const routedBy = cluster.nodes
    .filter((n) => n.name !== node.name && n.routes.some((r) => own.has(r.via)))
    .map((n) => n.name);
  const extra = { observed, expected: '1' };
  if (wanted === '1') {
    findings.push(
      observed === '1'
        ? ok(check, `${node.name}: ${key} is 1`, extra)
        : fail(
            check,
            `${node.name}: ${key} is ${observed}, expected 1 (${at}.sysctls${node.kubernetesPrerequisites ? ' / kubernetesPrerequisites' : ''})` +
              (routedBy.length > 0 ? `: ${routedBy.join(', ')} route through it` : ''),
            RUN_BOOTSTRAP,
            extra,
          ),
    );
  } else if (wanted === undefined && routedBy.length > 0) {
    findings.push(
      observed === '1'
        ? warn(
            check,
            `${node.name}: ${key} is 1 and ${routedBy.join(', ')} route through it, but the cluster file does not ask for it (a reboot may turn it off)`,
            `add sysctls: { ${key}: 1 } to ${at} (${node.name}) and ${RUN_BOOTSTRAP}`,
            extra,
          )
        : fail(
            check,
            `${node.name}: ${key} is ${observed}, but ${routedBy.join(', ')} route through it: it drops what it should forward`,
            `add sysctls: { ${key}: 1 } to ${at} (${node.name}) and ${RUN_BOOTSTRAP}`,
            extra,
          ),
    );
  } else if (isKubernetesNode(node) && wanted === undefined) {
    findings.push(
      observed === '1'
        ? ok(check, `${node.name}: ${key} is 1`, extra)
        : warn(
            check,
            `${node.name}: ${key} is ${observed} on a Kubernetes node (${node.role}); kubeadm's preflight requires 1`,
            `set kubernetesPrerequisites: true (or sysctls: { ${key}: 1 }) on ${at} and ${RUN_BOOTSTRAP}`,
            extra,
          ),
    );
  } else {
    findings.push(
      ok(
        check,
        `${node.name}: ${key} is ${observed}${wanted !== undefined ? `, as ${at}.sysctls asks` : ' (not a router)'}`,
        { observed, expected: wanted ?? observed },
      ),
    );
  }

  return findings;
}

/** br_netfilter and bridge-nf-call-iptables on Kubernetes nodes. */
function bridgeFindings(self: CheckInput['self']): Finding[] {
  const { node, index, view } = self;
  const findings: Finding[] = [];
  const at = `nodes[${index}]`;
  if (!isKubernetesNode(node)) return findings;
  const loaded = view.modules.get('br_netfilter') === true;
  const profile = `set kubernetesPrerequisites: true on ${at} (${node.name}) and ${RUN_BOOTSTRAP}`;
  if (!loaded) {
    findings.push(
      view.sharedKernel
        ? warn(
            'forwarding.br-netfilter',
            `${node.name}: kernel module br_netfilter is not loaded; this node shares its kernel with the machine it runs on ` +
              "(/proc/sys is read-only: a container or the netstrap lab), so the module is the machine's, not the node's",
            'load it on the machine that owns the kernel: `modprobe br_netfilter`',
            { observed: 'not loaded', expected: 'loaded' },
          )
        : (node.kubernetesPrerequisites ? fail : warn)(
            'forwarding.br-netfilter',
            `${node.name}: kernel module br_netfilter is not loaded: bridged pod traffic bypasses iptables (kube-proxy, NetworkPolicies)`,
            node.kubernetesPrerequisites ? RUN_BOOTSTRAP : profile,
            { observed: 'not loaded', expected: 'loaded' },
          ),
    );
    return findings;
  }
  const bridgeNf = view.sysctls.get(BRIDGE_NF) ?? 'absent';
  findings.push(
    bridgeNf === '1'
      ? ok(
          'forwarding.bridge-nf-call-iptables',
          `${node.name}: br_netfilter is loaded${view.sharedKernel ? ' (by the machine: shared kernel)' : ''} and ${BRIDGE_NF} is 1`,
        )
      : (node.kubernetesPrerequisites ? fail : warn)(
          'forwarding.bridge-nf-call-iptables',
          `${node.name}: ${BRIDGE_NF} is ${bridgeNf}, expected 1: bridged pod traffic bypasses iptables (kube-proxy, NetworkPolicies)`,
          node.kubernetesPrerequisites ? RUN_BOOTSTRAP : profile,
          { observed: bridgeNf, expected: '1' },
        ),
  );
  return findings;
}

/**
 * The second round trip: bounded reachability probes from each node, using only the cluster's own addresses —
 * a ping to every other node it shares a LAN with (its address on that LAN); where another Kubernetes node has a
 * CNI bridge (cni0 appears with its first pod), a ping to that bridge's address, the node's pod-subnet gateway;
 * from each worker, a TCP connect to the API endpoint. All probes of a node run in parallel on it; each is at most
 * PROBE_ATTEMPTS attempts of 1 s, 0.5 s apart (ping -W 1, timeout 2 for TCP; built as verify builds them), and a
 * node runs at most MAX_PROBES of them.
 */
import { parseAddress } from '../../model/cidr';
import type { ClusterModel } from '../../model/load';
import { quoteArg } from '../shell';
import { attemptArgv, attemptLine, TRY_FUNCTION } from '../verify';
import { ipv4Addresses } from '../resources/ip-facts';
import { fail, isKubernetesNode, ok, warn, type Finding, type NodeRead } from './types';

export const PROBE_ATTEMPTS = 2;
export const MAX_PROBES = 64;

export interface Probe {
  readonly check: 'reachability.lan' | 'reachability.pod-gateway' | 'ports.api-endpoint';
  readonly kind: 'ping' | 'tcp';
  readonly address: string;
  readonly port?: number;
  /** The node the address belongs to. */
  readonly target: string;
  /** Where the address sits, for messages: `eth0 on LAN lan1`, `cni0`. */
  readonly where: string;
}

/** The API endpoint as an address of the cluster: kubeProxy.controlPlaneEndpoint, else the first control-plane node's :6443. */
export function apiEndpoint(model: ClusterModel): { address: string; port: number; node: string } | undefined {
  const { cluster } = model;
  const owner = (address: string) =>
    cluster.nodes.find((n) => n.interfaces.some((i) => i.addresses.some((a) => a.split('/')[0] === address)));
  const url = cluster.kubeProxy.controlPlaneEndpoint;
  if (url !== undefined) {
    const match = /^https:\/\/([^/:]+)(?::(\d+))?/.exec(url);
    const host = match?.[1];
    // A name or an address outside the cluster (a load balancer) is not probed: only the cluster's own addresses are.
    if (!host || !parseAddress(host).ok || !owner(host)) return undefined;
    return { address: host, port: Number(match?.[2] ?? 443), node: owner(host)!.name };
  }
  const cp = cluster.nodes.find((n) => n.role === 'control-plane' && n.interfaces.some((i) => i.addresses.length > 0));
  if (!cp) return undefined;
  return {
    address: cp.interfaces.find((i) => i.addresses.length > 0)!.addresses[0].split('/')[0],
    port: 6443,
    node: cp.name,
  };
}

/** Whether a node's facts show something listening on address:port. */
function listens(read: NodeRead, address: string, port: number): boolean {
  return read.view.listeners.some((l) => l.port === port && ['0.0.0.0', '*', '::', address].includes(l.address));
}

/** The probes a node runs, plus findings about probes that cannot run (the API server not listening yet). */
export function chooseProbes(
  model: ClusterModel,
  self: NodeRead,
  all: ReadonlyArray<NodeRead>,
): { probes: Probe[]; findings: Finding[] } {
  const { cluster } = model;
  const { node } = self;
  const probes: Probe[] = [];
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const own = new Set(self.view.ip.addrs.flatMap((a) => (a.addr_info ?? []).map((i) => i.local)));
  const add = (probe: Probe) => {
    const key = `${probe.kind} ${probe.address}:${probe.port ?? ''}`;
    if (seen.has(key) || own.has(probe.address)) return;
    seen.add(key);
    probes.push(probe);
  };
  for (const iface of node.interfaces) {
    if (iface.lan === undefined) continue;
    for (const other of cluster.nodes) {
      if (other === node) continue;
      for (const peer of other.interfaces.filter((i) => i.lan === iface.lan && i.addresses.length > 0)) {
        add({
          check: 'reachability.lan',
          kind: 'ping',
          address: peer.addresses[0].split('/')[0],
          target: other.name,
          where: `${peer.name} on LAN ${iface.lan}`,
        });
      }
    }
  }
  if (isKubernetesNode(node)) {
    const bridge = cluster.cni.bridge?.name ?? 'cni0';
    for (const other of all) {
      if (other === self || !isKubernetesNode(other.node)) continue;
      const gateway = ipv4Addresses(other.view.ip, bridge)[0];
      if (gateway)
        add({
          check: 'reachability.pod-gateway',
          kind: 'ping',
          address: gateway.split('/')[0],
          target: other.node.name,
          where: `${bridge}, its pod-subnet gateway`,
        });
    }
  }
  const endpoint = node.role === 'worker' ? apiEndpoint(model) : undefined;
  if (endpoint && endpoint.node !== node.name) {
    const owner = all.find((r) => r.node.name === endpoint.node);
    if (owner && !listens(owner, endpoint.address, endpoint.port)) {
      findings.push(
        warn(
          'ports.api-endpoint',
          `${node.name}: the API endpoint ${endpoint.address}:${endpoint.port} (${endpoint.node}) is not listening yet: no TCP test`,
          `start kube-apiserver on ${endpoint.node} (\`kubeadm init\`), then diagnose again`,
          { expected: `${endpoint.address}:${endpoint.port} open` },
        ),
      );
    } else {
      add({
        check: 'ports.api-endpoint',
        kind: 'tcp',
        address: endpoint.address,
        port: endpoint.port,
        target: endpoint.node,
        where: 'the API endpoint',
      });
    }
  }
  return { probes: probes.slice(0, MAX_PROBES), findings };
}

/** The probe script: every probe in the background, a result line each, then a final line (as verify's). */
export function buildProbeScript(probes: ReadonlyArray<Probe>, marker: string): string {
  const lines = [
    TRY_FUNCTION,
    ...probes.map((probe, i) =>
      attemptLine(PROBE_ATTEMPTS, attemptArgv(probe.kind, probe.address, probe.port), `${marker} probe ${i}`),
    ),
    'wait',
    `echo ${quoteArg(`${marker} probes-done`)}`,
  ];
  return lines.join('\n') + '\n';
}

/** Which probes succeeded (undefined: no result line, the run was cut short). */
export function parseProbeOutput(
  output: string,
  probes: ReadonlyArray<Probe>,
  marker: string,
): Array<boolean | undefined> {
  const codes = new Map<number, number>();
  for (const line of output.split('\n')) {
    const match = line.startsWith(`${marker} probe `) ? /^(\d+) (\d+)$/.exec(line.slice(marker.length + 7)) : null;
    if (match) codes.set(Number(match[1]), Number(match[2]));
  }
  return probes.map((_, i) => (codes.has(i) ? codes.get(i) === 0 : undefined));
}

/** Findings from probe results: one ok per check listing what answered, one fail per probe that did not. */
export function probeFindings(
  self: NodeRead,
  probes: ReadonlyArray<Probe>,
  results: ReadonlyArray<boolean | undefined>,
): Finding[] {
  const name = self.node.name;
  const findings: Finding[] = [];
  const fixes: Record<Probe['check'], (p: Probe) => string> = {
    'reachability.lan': (p) =>
      `check ${p.target}'s ${p.where.split(' ')[0]} (up, with its address: \`netstrap bootstrap\` restores declared ones) and the LAN between ${name} and ${p.target}; other findings about these nodes may name the cause`,
    'reachability.pod-gateway': (p) =>
      `check the route from ${name} to ${p.target}'s pod subnet (the routes.missing, routes.gateway, routes.hijack and routes.rule findings of ${name}) and ip_forward on every router between them (forwarding.ip-forward)`,
    'ports.api-endpoint': (p) =>
      `check the route from ${name} to ${p.address} and that kube-apiserver on ${p.target} listens on ${p.address}:${p.port} (ports.* findings)`,
  };
  for (const check of ['reachability.lan', 'reachability.pod-gateway', 'ports.api-endpoint'] as const) {
    const mine = probes.map((p, i) => ({ p, r: results[i] })).filter((x) => x.p.check === check);
    if (mine.length === 0) continue;
    const verb = check === 'ports.api-endpoint' ? 'connects to' : 'reaches';
    for (const { p, r } of mine.filter((x) => x.r !== true)) {
      const what = p.kind === 'tcp' ? `open a TCP connection to ${p.address}:${p.port}` : `ping ${p.address}`;
      findings.push(
        fail(
          check,
          `${name}: cannot ${what} (${p.target} ${p.where})${r === undefined ? ': no result, the probe run was cut short' : ` in ${PROBE_ATTEMPTS} attempts of 1 s`}`,
          fixes[check](p),
          {
            observed: 'no answer',
            expected: `${p.address}${p.port ? `:${p.port}` : ''} answers`,
            nodes: [name, p.target],
          },
        ),
      );
    }
    const passed = mine
      .filter((x) => x.r === true)
      .map((x) => `${x.p.target} ${x.p.address}${x.p.port ? `:${x.p.port}` : ''}`);
    if (passed.length > 0) findings.push(ok(check, `${name}: ${verb} ${passed.join(', ')}`));
  }
  return findings;
}

/**
 * preflight: what kubeadm's preflight checks on one node, checked on all of them — the binaries ip, iptables,
 * mount, nsenter and conntrack; swap (warn); firewalld running (warn: 6443 and 10250 must be open); a hostname
 * that is not a valid node name or does not resolve; HTTP proxy variables that would catch traffic to the pod,
 * service or node ranges (NO_PROXY not covering them); the conntrack table close to full. On a node that shares
 * its kernel with the machine (the netstrap lab, a container) swap is the machine's: the message says so.
 */
import { parseAddress, parseNetwork, rangeContains } from '../../model/cidr';
import { DNS1123_SUBDOMAIN } from '../../model/schema';
import { PREFLIGHT_BINARIES } from './read';
import { type CheckInput, fail, isKubernetesNode, ok, warn, type Finding, type NodeCheck } from './types';

/** Share of nf_conntrack_max in use from which new connections are at risk. */
const CONNTRACK_WARN = 0.75;
const CONNTRACK_FAIL = 0.9;

/** Go's httpproxy rules, as kubelet and kubeadm use them: a NO_PROXY entry that is a CIDR or address covers a range. */
function covered(noProxy: string[], range: string): boolean {
  const target = parseNetwork(range);
  if (!target.ok) return false;
  return noProxy.some((entry) => {
    if (entry === '*') return true;
    const net = parseNetwork(entry);
    if (net.ok) return target.value.inside(net.value);
    const ip = parseAddress(entry);
    return ip.ok && target.value.getSize() === 1n && rangeContains(target.value, ip.value);
  });
}

export const preflightChecks: NodeCheck = (input): Finding[] => {
  const binaries = binariesFindings(input);
  if (!isKubernetesNode(input.self.node)) return binaries;
  return [
    ...binaries,
    ...swapFindings(input),
    ...firewalldFindings(input),
    ...hostnameFindings(input),
    ...proxyFindings(input),
    ...conntrackFindings(input),
  ];
};

/** Binaries (a host node needs ip, and iptables when it does NAT). */
function binariesFindings({ self }: CheckInput): Finding[] {
  const { node, view } = self;
  const kube = isKubernetesNode(node);
  const findings: Finding[] = [];
  const needed = kube
    ? [...PREFLIGHT_BINARIES]
    : ['ip', ...(node.nat.masquerade.length + node.nat.portForwards.length > 0 ? ['iptables'] : [])];
  const missing = needed.filter((b) => view.binaries.get(b) !== true);
  findings.push(
    missing.length === 0
      ? ok('preflight.binaries', `${node.name}: ${needed.join(', ')} ${needed.length > 1 ? 'are' : 'is'} installed`)
      : fail(
          'preflight.binaries',
          `${node.name}: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not installed (not on PATH nor in /usr/sbin, /sbin)` +
            (kube ? ": kubeadm's preflight fails and kubelet/kube-proxy need them" : ''),
          `install them on ${node.name} (Debian packages: ${[...new Set(missing.map((b) => (({ ip: 'iproute2', iptables: 'iptables', mount: 'mount', nsenter: 'util-linux', conntrack: 'conntrack' }) as Record<string, string>)[b]))].join(' ')})`,
          { observed: `missing ${missing.join(', ')}`, expected: needed.join(', ') },
        ),
  );
  return findings;
}

/** Swap: kubelet refuses to start with it. */
function swapFindings({ self }: CheckInput): Finding[] {
  const { node, view } = self;
  const findings: Finding[] = [];
  const swaps = (view.files.swaps.content ?? '')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  if (swaps.length > 0) {
    const devices = swaps.map((l) => l.split(/\s+/)[0]).join(', ');
    findings.push(
      view.sharedKernel
        ? warn(
            'preflight.swap',
            `${node.name}: swap is on (${devices}); this node shares its kernel with the machine it runs on (/proc/sys is read-only: a container or the netstrap lab), so the swap is the machine's, not the node's`,
            "turn swap off on the machine that owns the kernel (`swapoff -a`), or set kubelet's failSwapOn: false",
            { observed: devices, expected: 'no swap' },
          )
        : warn(
            'preflight.swap',
            `${node.name}: swap is on (${devices}): kubelet refuses to start unless failSwapOn is false`,
            `on ${node.name}: \`swapoff -a\` and remove the swap entries from /etc/fstab, or set kubelet's failSwapOn: false`,
            { observed: devices, expected: 'no swap' },
          ),
    );
  } else {
    findings.push(
      ok('preflight.swap', `${node.name}: no swap${view.sharedKernel ? " (the machine's: shared kernel)" : ''}`),
    );
  }
  return findings;
}

/** firewalld: the API server's and kubelet's ports must be open. */
function firewalldFindings({ self }: CheckInput): Finding[] {
  const { node, view } = self;
  const findings: Finding[] = [];
  findings.push(
    view.firewalldRunning
      ? warn(
          'preflight.firewalld',
          `${node.name}: firewalld is running: ports 6443 and 10250 must be open for the API server and kubelet`,
          `on ${node.name}: \`firewall-cmd --permanent --add-port=6443/tcp --add-port=10250/tcp && firewall-cmd --reload\``,
        )
      : ok('preflight.firewalld', `${node.name}: firewalld is not running`),
  );
  return findings;
}

/** The hostname kubelet registers under. */
function hostnameFindings({ self }: CheckInput): Finding[] {
  const { node, view } = self;
  const findings: Finding[] = [];
  const name = view.hostname;
  if (!DNS1123_SUBDOMAIN.test(name) || name.length > 253 || name.split('.').some((l) => l.length > 63)) {
    findings.push(
      fail(
        'preflight.hostname',
        `${node.name}: hostname ${JSON.stringify(name)} is not a valid node name (lower-case DNS-1123 subdomain): kubelet cannot register under it`,
        `set a valid hostname on ${node.name} (\`hostnamectl set-hostname ${node.name.toLowerCase()}\`) or give kubelet --hostname-override`,
        { observed: name, expected: 'DNS-1123 subdomain' },
      ),
    );
  } else if (view.hostnameResolves === '') {
    findings.push(
      warn(
        'preflight.hostname',
        `${node.name}: hostname ${name} does not resolve`,
        `add it to ${node.name}'s /etc/hosts: nodes[${self.index}].hosts: [{ ip: <its address>, names: [${name}] }], then run \`netstrap bootstrap\``,
        { observed: 'unresolved', expected: 'an address' },
      ),
    );
  } else {
    findings.push(ok('preflight.hostname', `${node.name}: hostname ${name} resolves to ${view.hostnameResolves}`));
  }
  return findings;
}

/** Proxy variables that would catch cluster traffic. */
function proxyFindings({ model, self }: CheckInput): Finding[] {
  const { cluster, layout } = model;
  const { node, view } = self;
  const findings: Finding[] = [];
  const proxies = view.proxyEnv.filter((v) => /^https?_proxy$/i.test(v.name) && v.value !== '');
  if (proxies.length > 0) {
    const noProxy = view.proxyEnv
      .filter((v) => /^no_proxy$/i.test(v.name))
      .flatMap((v) =>
        v.value
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean),
      );
    const ranges = [
      layout.podCidr.toCidrString(),
      layout.serviceCidr.toCidrString(),
      ...(layout.nodeCidr ? [layout.nodeCidr.toCidrString()] : cluster.lans.map((l) => l.cidr)),
    ];
    const caught = ranges.filter((r) => !covered(noProxy, r));
    const sources = [...new Set(proxies.map((p) => p.source))].join(' and ');
    findings.push(
      caught.length > 0
        ? warn(
            'preflight.proxy',
            `${node.name}: ${proxies.map((p) => p.name).join(', ')} set in ${sources} would catch traffic to ${caught.join(', ')} (not in NO_PROXY)`,
            `add ${caught.join(',')} to NO_PROXY and no_proxy in ${sources} on ${node.name}`,
            { observed: `NO_PROXY=${noProxy.join(',')}`, expected: `covers ${ranges.join(', ')}` },
          )
        : ok(
            'preflight.proxy',
            `${node.name}: proxy variables are set, and NO_PROXY covers the pod, service and node ranges`,
          ),
    );
  } else {
    findings.push(ok('preflight.proxy', `${node.name}: no HTTP proxy variable is set`));
  }
  return findings;
}

/** How full the conntrack table is. */
function conntrackFindings({ self }: CheckInput): Finding[] {
  const { node, view } = self;
  const findings: Finding[] = [];
  const count = Number(view.sysctls.get('net.netfilter.nf_conntrack_count'));
  const max = Number(view.sysctls.get('net.netfilter.nf_conntrack_max'));
  if (Number.isFinite(count) && Number.isFinite(max) && max > 0 && view.sysctls.has('net.netfilter.nf_conntrack_max')) {
    const used = count / max;
    const text = `${count} of ${max} entries (${Math.round(used * 100)} %)`;
    const fix = `raise net.netfilter.nf_conntrack_max (sysctls: { net.netfilter.nf_conntrack_max: ${max * 2} } on nodes[${self.index}], then \`netstrap bootstrap\`) or find what opens so many connections (\`conntrack -L\`)`;
    findings.push(
      used >= CONNTRACK_FAIL
        ? fail(
            'preflight.conntrack',
            `${node.name}: the conntrack table is nearly full: ${text}; new connections are dropped when it is full`,
            fix,
            { observed: text, expected: `< ${CONNTRACK_WARN * 100} %` },
          )
        : used >= CONNTRACK_WARN
          ? warn('preflight.conntrack', `${node.name}: the conntrack table is filling up: ${text}`, fix, {
              observed: text,
              expected: `< ${CONNTRACK_WARN * 100} %`,
            })
          : ok('preflight.conntrack', `${node.name}: conntrack table ${text}`),
    );
  }
  return findings;
}

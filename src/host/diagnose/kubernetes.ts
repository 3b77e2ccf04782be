/**
 * kubernetes: the Kubernetes configuration found on the node, where the files exist, against the network layout —
 * kube-apiserver's --service-cluster-ip-range (serviceCidr) and kube-controller-manager's --cluster-cidr (podCidr)
 * in the kubeadm static Pod manifests, kubelet's clusterDNS and clusterDomain in /var/lib/kubelet/config.yaml —
 * and kube-proxy's mode as the node shows it: kube-ipvs0 and the ip_vs modules in ipvs mode, the nat table's
 * KUBE-SERVICES chain in iptables mode (kubeadm keeps kube-proxy's configuration in a ConfigMap, not on the host).
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import { parseNetwork } from '../../model/cidr';
import type { FileFact } from '../resources/file-facts';
import { KUBE_APISERVER_MANIFEST, KUBE_CONTROLLER_MANAGER_MANIFEST, KUBELET_CONFIG } from './read';
import { fail, isKubernetesNode, ok, warn, type Finding, type NodeCheck } from './types';
import { KUBELET_PORT } from './ports';

function parseYaml(file: FileFact): { value?: Record<string, unknown>; error?: string } {
  if (file.content === undefined) return {};
  try {
    const value = load(file.content, { schema: CORE_SCHEMA });
    return value !== null && typeof value === 'object'
      ? { value: value as Record<string, unknown> }
      : { error: 'not a YAML mapping' };
  } catch (error) {
    return { error: (error as Error).message.split('\n')[0] };
  }
}

/** The value of `--flag=value` (or `--flag value`) in a static Pod's containers' command and args. */
export function podFlag(manifest: Record<string, unknown>, flag: string): string | undefined {
  const spec = manifest.spec as { containers?: Array<{ command?: unknown[]; args?: unknown[] }> } | undefined;
  for (const container of spec?.containers ?? []) {
    const words = [...(container.command ?? []), ...(container.args ?? [])].map(String);
    for (let i = 0; i < words.length; i++) {
      if (words[i].startsWith(`${flag}=`)) return words[i].slice(flag.length + 1);
      if (words[i] === flag && i + 1 < words.length) return words[i + 1];
    }
  }
  return undefined;
}

/** The IPv4 range of a flag value that may be dual-stack (`10.96.0.0/12,fd00::/108`), canonical. */
function ipv4Range(value: string): string | undefined {
  for (const part of value.split(',')) {
    const parsed = parseNetwork(part.trim());
    if (parsed.ok) return parsed.value.toCidrString();
  }
  return undefined;
}

type CheckInput = Parameters<NodeCheck>[0];

export const kubernetesChecks: NodeCheck = (input): Finding[] => {
  const { node, view } = input.self;
  if (!isKubernetesNode(node)) return [];
  return [
    ...rangeFlagFindings(
      input,
      KUBE_APISERVER_MANIFEST,
      view.files.apiserver,
      '--service-cluster-ip-range',
      'serviceCidr',
      'kube-apiserver',
    ),
    ...rangeFlagFindings(
      input,
      KUBE_CONTROLLER_MANAGER_MANIFEST,
      view.files.controllerManager,
      '--cluster-cidr',
      'podCidr',
      'kube-controller-manager',
    ),
    ...kubeletFindings(input),
    ...kubeProxyModeFindings(input),
  ];
};

/** A range flag of a control-plane static Pod (its manifest `path`) against the cluster file's network.<field>. */
function rangeFlagFindings(
  { model, self }: CheckInput,
  path: string,
  file: FileFact,
  flag: string,
  field: 'serviceCidr' | 'podCidr',
  component: string,
): Finding[] {
  const { layout } = model;
  const { node } = self;
  const findings: Finding[] = [];
  const { value, error } = parseYaml(file);
  if (error) {
    findings.push(
      warn(
        `kubernetes.${field === 'serviceCidr' ? 'service-cidr' : 'cluster-cidr'}`,
        `${node.name}: ${path} cannot be read as YAML: ${error}`,
        `fix ${path} on ${node.name}`,
      ),
    );
    return findings;
  }
  if (!value) return findings;
  const check = field === 'serviceCidr' ? 'kubernetes.service-cidr' : 'kubernetes.cluster-cidr';
  const expected = (field === 'serviceCidr' ? layout.serviceCidr : layout.podCidr).toCidrString();
  const raw = podFlag(value, flag);
  if (raw === undefined) {
    findings.push(
      warn(
        check,
        `${node.name}: ${path} sets no ${flag}; ${component} then uses its built-in default, not network.${field} ${expected}`,
        `add ${flag}=${expected} to ${path} on ${node.name} (kubeadm: networking.${field === 'serviceCidr' ? 'serviceSubnet' : 'podSubnet'})`,
        { observed: 'unset', expected },
      ),
    );
    return findings;
  }
  const observed = ipv4Range(raw) ?? raw;
  findings.push(
    observed === expected
      ? ok(check, `${node.name}: ${component} ${flag}=${raw} matches network.${field}`, { observed: raw, expected })
      : fail(
          check,
          `${node.name}: ${component} runs with ${flag}=${raw} (${path}); the cluster file's network.${field} is ${expected}`,
          `set network.${field}: ${observed} in the cluster file if the cluster really runs with it; otherwise change ${flag} in ${path} on ${node.name} (and re-create what used the old range)`,
          { observed: raw, expected },
        ),
  );
  return findings;
}

/** kubelet's clusterDNS and clusterDomain against the layout. */
function kubeletFindings({ model, self }: CheckInput): Finding[] {
  const { cluster, layout } = model;
  const { node, view } = self;
  const findings: Finding[] = [];
  const kubelet = parseYaml(view.files.kubelet);
  if (kubelet.error)
    findings.push(
      warn(
        'kubernetes.kubelet-dns',
        `${node.name}: ${KUBELET_CONFIG} cannot be read as YAML: ${kubelet.error}`,
        `fix ${KUBELET_CONFIG} on ${node.name}`,
      ),
    );
  if (kubelet.value) {
    const dns = Array.isArray(kubelet.value.clusterDNS) ? kubelet.value.clusterDNS.map(String) : [];
    const wantDns = layout.dnsServiceIp.toString();
    const dnsFix = `set network.dnsServiceIp: ${dns[0] ?? '<address>'} in the cluster file if the kube-dns Service really has that address; otherwise set clusterDNS: [${wantDns}] in ${KUBELET_CONFIG} on ${node.name} and restart kubelet`;
    findings.push(
      dns.length === 1 && dns[0] === wantDns
        ? ok(
            'kubernetes.kubelet-dns',
            `${node.name}: kubelet's clusterDNS is ${wantDns}, the layout's DNS Service address`,
            { observed: dns.join(','), expected: wantDns },
          )
        : fail(
            'kubernetes.kubelet-dns',
            `${node.name}: kubelet's clusterDNS is ${dns.length > 0 ? dns.join(', ') : 'unset'} (${KUBELET_CONFIG}); pods would ask ${dns.length > 0 ? 'it' : 'no server'} instead of the kube-dns Service ${wantDns}`,
            dnsFix,
            { observed: dns.join(',') || 'unset', expected: wantDns },
          ),
    );
    const domain =
      typeof kubelet.value.clusterDomain === 'string' ? kubelet.value.clusterDomain.replace(/\.$/, '') : undefined;
    findings.push(
      domain === cluster.network.clusterDomain
        ? ok('kubernetes.kubelet-domain', `${node.name}: kubelet's clusterDomain is ${domain}`, {
            observed: domain,
            expected: cluster.network.clusterDomain,
          })
        : fail(
            'kubernetes.kubelet-domain',
            `${node.name}: kubelet's clusterDomain is ${domain ?? 'unset'} (${KUBELET_CONFIG}); the cluster file's network.clusterDomain is ${cluster.network.clusterDomain}`,
            `set network.clusterDomain: ${domain ?? '<domain>'} in the cluster file if the cluster uses it; otherwise set clusterDomain: ${cluster.network.clusterDomain} in ${KUBELET_CONFIG} on ${node.name}`,
            { observed: domain ?? 'unset', expected: cluster.network.clusterDomain },
          ),
    );
  }

  return findings;
}

/** kube-proxy's mode, as the node shows it, against kubeProxy.mode. */
function kubeProxyModeFindings({ model, self }: CheckInput): Finding[] {
  const { cluster } = model;
  const { node, view } = self;
  const findings: Finding[] = [];
  const mode = cluster.kubeProxy.mode;
  const ipvsInterface = view.ip.links.some((l) => l.ifname === 'kube-ipvs0');
  const observed = ipvsInterface ? 'ipvs' : view.kubeServicesChain ? 'iptables' : undefined;
  const kubeletRuns = view.listeners.some(
    (l) => l.port === KUBELET_PORT.port && l.processes.some((p) => p.name === 'kubelet'),
  );
  const ipvsLoaded = view.modules.get('ip_vs') === true;
  if (observed !== undefined && observed !== mode) {
    findings.push(
      fail(
        'kubernetes.kube-proxy-mode',
        `${node.name}: kube-proxy runs in ${observed} mode (${ipvsInterface ? 'kube-ipvs0 exists' : 'KUBE-SERVICES chain, no kube-ipvs0'}); the cluster file's kubeProxy.mode is ${mode}`,
        `set kubeProxy.mode: ${observed} if that is intended; otherwise apply the synthesized kube-proxy ConfigMap (\`netstrap synth\`, kubeProxy.controlPlaneEndpoint) and restart kube-proxy`,
        { observed, expected: mode },
      ),
    );
  } else if (mode === 'ipvs' && !ipvsLoaded) {
    findings.push(
      warn(
        'kubernetes.kube-proxy-mode',
        `${node.name}: kubeProxy.mode is ipvs but the ip_vs module is not loaded` +
          (view.sharedKernel
            ? "; this node shares its kernel with the machine it runs on (/proc/sys read-only), so the module is the machine's"
            : ''),
        view.sharedKernel
          ? 'load it on the machine that owns the kernel: `modprobe ip_vs ip_vs_rr`'
          : `load it on ${node.name}: \`modprobe ip_vs ip_vs_rr\` (and list it in /etc/modules-load.d)`,
        { observed: 'ip_vs not loaded', expected: 'loaded' },
      ),
    );
  } else if (observed === undefined) {
    findings.push(
      (kubeletRuns ? warn : ok)(
        'kubernetes.kube-proxy-mode',
        `${node.name}: no kube-proxy state yet (no kube-ipvs0, no KUBE-SERVICES chain)${kubeletRuns ? ' although kubelet runs' : ''}`,
        kubeletRuns ? `check the kube-proxy DaemonSet's Pod on ${node.name}` : '',
        { expected: mode },
      ),
    );
  } else {
    findings.push(
      ok('kubernetes.kube-proxy-mode', `${node.name}: kube-proxy runs in ${observed} mode, as kubeProxy.mode says`, {
        observed,
        expected: mode,
      }),
    );
  }
  return findings;
}

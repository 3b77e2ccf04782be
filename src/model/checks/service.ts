/**
 * The API server's checks of a Service spec and its cluster-wide claims (cluster IP, NodePorts), with the plain
 * types they need. Free of cdk8s, so validating a cluster file does not load it; constructs/service.ts re-exports all.
 */
import { ipv6Text, parseAddress, parseIpAddress, parseObjectCidr } from '../cidr';

/** One spelling per address, so that a clash is found whatever the spelling (IPv6: RFC 5952). */
function canonicalIp(ip: string): string {
  const parsed = parseIpAddress(ip);
  return parsed.ok && parsed.value.family === 6 ? ipv6Text(parsed.value.value.getValue()) : ip;
}
import { Issue, show, under } from '../errors';
import { Ledger } from '../ledger';
import { checkLabels, checkName, checkObjectMeta, checkPortName, checkPortNumber, checkQualifiedName } from '../meta';
import { checkClusterIp, checkNodePort, NetworkLayout } from '../layout';
import type { PropsOf, servicePropsSchema } from '../props';

/** Props of {@link Service}: the same shape as a `kubernetes.services` entry of the cluster file (see props.ts). */
export type ServiceProps = PropsOf<typeof servicePropsSchema>;
/** One port of a {@link Service}. */
export type ServicePortProps = NonNullable<ServiceProps['ports']>[number];
export type ServiceType = NonNullable<ServiceProps['type']>;
export type Protocol = NonNullable<ServicePortProps['protocol']>;

/** A Service spec with its name known (cluster-file entries, or construct props after defaulting the name). */
export type ServiceCheckInput = ServiceProps & { readonly name: string };

const TYPES: ReadonlyArray<string> = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

/** Client ranges a cloud load balancer admits: the older spelling of spec.loadBalancerSourceRanges. */
export const LOAD_BALANCER_SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';
/** Topology-aware routing: the current annotation and the deprecated one it replaced. */
export const TOPOLOGY_MODE_ANNOTATION = 'service.kubernetes.io/topology-mode';
export const TOPOLOGY_AWARE_HINTS_ANNOTATION = 'service.kubernetes.io/topology-aware-hints';

/** The API server's checks of a Service's annotations that carry networking settings (paths relative to the spec). */
function checkServiceAnnotations(spec: ServiceCheckInput, type: string): Issue[] {
  const issues: Issue[] = [];
  const annotations = spec.annotations ?? {};
  // Comma-separated CIDRs (spaces around each allowed) in the older annotation, a list in the field; host bits are
  // accepted (the network is used) with a warning. The annotation is read only when the field is empty.
  const checkRange = (entry: string, at: ReadonlyArray<string | number>) => {
    const parsed = parseObjectCidr(entry.trim());
    if (!parsed.ok) issues.push({ path: at, message: parsed.error });
    else if (parsed.value.hostBitsSet)
      issues.push({
        path: at,
        severity: 'warning',
        message: `${show(entry.trim())} has host bits set: the network ${parsed.value.networkText} is used; write that`,
      });
  };
  const field = spec.loadBalancerSourceRanges ?? [];
  const ranges = annotations[LOAD_BALANCER_SOURCE_RANGES_ANNOTATION];
  const rangesPath = ['annotations', LOAD_BALANCER_SOURCE_RANGES_ANNOTATION];
  if (field.length > 0) {
    if (type !== 'LoadBalancer')
      issues.push({
        path: ['loadBalancerSourceRanges'],
        message: `loadBalancerSourceRanges may only be used when type is "LoadBalancer" (this Service is ${type})`,
      });
    else field.forEach((entry, i) => checkRange(entry, ['loadBalancerSourceRanges', i]));
  } else if (ranges !== undefined && type !== 'LoadBalancer') {
    issues.push({
      path: rangesPath,
      message: `may only be used when type is "LoadBalancer" (this Service is ${type})`,
    });
  } else if (ranges !== undefined && ranges.trim() !== '') {
    for (const entry of ranges.split(',')) checkRange(entry, rangesPath);
  }
  const mode = annotations[TOPOLOGY_MODE_ANNOTATION];
  const hints = annotations[TOPOLOGY_AWARE_HINTS_ANNOTATION];
  if (mode !== undefined && hints !== undefined && mode !== hints) {
    issues.push({
      path: ['annotations', TOPOLOGY_MODE_ANNOTATION],
      message: `${show(mode)} must match annotation ${TOPOLOGY_AWARE_HINTS_ANNOTATION} ${show(hints)} when both are given (drop the deprecated one)`,
    });
  }
  return issues;
}
const PROTOCOLS: ReadonlyArray<string> = ['TCP', 'UDP', 'SCTP'];

/**
 * The API server's checks of one Service (paths relative to the spec). Cluster-wide rules (cluster IP inside
 * serviceCidr and unique, NodePorts unique) are applied by whoever holds the network layout: see {@link claimServiceAddresses}.
 */
export function checkService(spec: ServiceCheckInput): Issue[] {
  const issues: Issue[] = checkObjectMeta(spec, 'DNS-1035 label');
  const type = spec.type ?? 'ClusterIP';
  issues.push(...checkIpFamilies(spec, type));
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === 'None';
  const exposed = type === 'NodePort' || type === 'LoadBalancer';
  if (!TYPES.includes(type))
    issues.push({ path: ['type'], message: `type ${show(type)} must be one of ${TYPES.join(', ')}` });
  issues.push(...under(['selector'], checkLabels(spec.selector)));
  issues.push(...checkServiceAnnotations(spec, type));

  if (type === 'ExternalName') {
    // A trailing dot (a fully qualified name, no search-path expansion) is the usual spelling: accepted as upstream.
    if (spec.externalName === undefined || spec.externalName.replace(/\.$/, '') === '') {
      issues.push({
        path: ['externalName'],
        message: `is required for a Service of type "ExternalName" (the DNS name it aliases)`,
      });
    } else {
      const problem = checkName(spec.externalName.replace(/\.$/, ''), 'DNS-1123 subdomain');
      if (problem) issues.push({ path: ['externalName'], message: `externalName ${problem}` });
    }
    if (spec.clusterIP !== undefined) {
      issues.push({
        path: ['clusterIP'],
        message: `clusterIP ${show(spec.clusterIP)} may not be set for a Service of type ExternalName`,
      });
    }
  } else if (spec.externalName !== undefined) {
    issues.push({
      path: ['externalName'],
      message: `externalName ${show(spec.externalName)} only applies to type ExternalName (this Service is ${type})`,
    });
  }
  if (spec.clusterIP !== undefined && type !== 'ExternalName') {
    if (headless && exposed) {
      issues.push({
        path: ['clusterIP'],
        message: `clusterIP "None" (headless) is not allowed for a Service of type ${type}`,
      });
    } else if (!headless) {
      const parsed = parseIpAddress(spec.clusterIP);
      if (!parsed.ok)
        issues.push({ path: ['clusterIP'], message: `${parsed.error} (or "None" for a headless Service)` });
    }
  }
  if (spec.externalTrafficPolicy !== undefined && !exposed) {
    issues.push({
      path: ['externalTrafficPolicy'],
      message: `externalTrafficPolicy ${show(spec.externalTrafficPolicy)} only applies to NodePort and LoadBalancer Services (this one is ${type})`,
    });
  }
  if (spec.loadBalancerIP !== undefined) {
    const parsed = parseAddress(spec.loadBalancerIP);
    if (type !== 'LoadBalancer') {
      issues.push({
        path: ['loadBalancerIP'],
        message: `loadBalancerIP ${show(spec.loadBalancerIP)} only applies to type LoadBalancer (this Service is ${type})`,
      });
    } else if (!parsed.ok) issues.push({ path: ['loadBalancerIP'], message: parsed.error });
  }

  if (ports.length === 0 && type !== 'ExternalName' && !headless) {
    issues.push({
      path: ['ports'],
      message: `a Service of type ${show(type)} needs at least one port (only ExternalName and headless Services may have none)`,
    });
  }
  const names = new Map<string, number>();
  const endpoints = new Map<string, number>();
  const nodePorts = new Map<string, number>();
  ports.forEach((port, i) => {
    const at = (field: string) => ['ports', i, field];
    const protocol = port.protocol ?? 'TCP';
    const numberProblem = checkPortNumber(port.port);
    if (numberProblem) issues.push({ path: at('port'), message: numberProblem });
    if (!PROTOCOLS.includes(protocol))
      issues.push({
        path: at('protocol'),
        message: `protocol ${show(protocol)} must be TCP, UDP or SCTP (upper case)`,
      });
    if (port.appProtocol !== undefined) {
      // The API server's rule: an IANA service name or a domain-prefixed name such as kubernetes.io/h2c.
      const problem = checkQualifiedName(port.appProtocol);
      if (problem) issues.push({ path: at('appProtocol'), message: `appProtocol ${problem.replace(/^key /, '')}` });
    }
    if (port.name === undefined) {
      if (ports.length > 1)
        issues.push({
          path: at('name'),
          message: `port ${show(port.port)} needs a name: every port of a Service with several ports must be named`,
        });
    } else {
      const problem = checkName(port.name, 'DNS-1123 label');
      if (problem) issues.push({ path: at('name'), message: `port name ${problem}` });
      const first = names.get(port.name);
      if (first !== undefined)
        issues.push({ path: at('name'), message: `port name ${show(port.name)} is used twice (also ports[${first}])` });
      else names.set(port.name, i);
    }
    const endpoint = `${port.port}/${protocol}`;
    const same = endpoints.get(endpoint);
    if (same !== undefined)
      issues.push({
        path: at('port'),
        message: `port ${show(port.port)}/${protocol} is listed twice (also ports[${same}])`,
      });
    else endpoints.set(endpoint, i);
    if (typeof port.targetPort === 'number') {
      const problem = checkPortNumber(port.targetPort, 'targetPort');
      if (problem) issues.push({ path: at('targetPort'), message: problem });
    } else if (port.targetPort !== undefined) {
      const problem = checkPortName(port.targetPort);
      if (problem) issues.push({ path: at('targetPort'), message: `targetPort ${problem}` });
    }
    if (port.nodePort !== undefined) {
      if (!exposed) {
        issues.push({
          path: at('nodePort'),
          message: `nodePort ${show(port.nodePort)} is only allowed for NodePort and LoadBalancer Services (this one is ${type})`,
        });
      } else {
        const problem = checkNodePort(port.nodePort);
        if (problem) issues.push({ path: at('nodePort'), message: problem });
        const key = `${port.nodePort}/${protocol}`;
        const other = nodePorts.get(key);
        if (other !== undefined)
          issues.push({
            path: at('nodePort'),
            message: `nodePort ${show(port.nodePort)}/${protocol} is listed twice (also ports[${other}])`,
          });
        else nodePorts.set(key, i);
      }
    }
  });
  return issues;
}

const FAMILY_OF = { 4: 'IPv4', 6: 'IPv6' } as const;

/**
 * The API server's rules for clusterIPs, ipFamilies and ipFamilyPolicy (validateIPFamilies / validateClusterIPs):
 * at most two of each, one per family, clusterIPs[0] = clusterIP, "None" alone, families matching the addresses,
 * two of either only with a dual-stack policy; none on an ExternalName Service.
 */
function checkIpFamilies(spec: ServiceCheckInput, type: string): Issue[] {
  const issues: Issue[] = [];
  const ips = spec.clusterIPs ?? [];
  const families = spec.ipFamilies ?? [];
  const policy = spec.ipFamilyPolicy;
  if (type === 'ExternalName') {
    for (const key of ['clusterIPs', 'ipFamilies', 'ipFamilyPolicy'] as const)
      if (spec[key] !== undefined)
        issues.push({
          path: [key],
          message: `may not be set for a Service of type ExternalName (got ${show(spec[key])})`,
        });
    return issues;
  }
  if (families.length > 2)
    issues.push({ path: ['ipFamilies'], message: `may hold at most two families (got ${show(families)})` });
  else if (families.length === 2 && families[0] === families[1])
    issues.push({ path: ['ipFamilies', 1], message: `${show(families[1])} is listed twice: one entry per family` });
  const dual = policy === 'PreferDualStack' || policy === 'RequireDualStack';
  if (!dual && (families.length > 1 || ips.length > 1)) {
    const what = ips.length > 1 ? 'clusterIPs' : 'ipFamilies';
    issues.push({
      path: ['ipFamilyPolicy'],
      message: `${policy === undefined ? 'is unset (SingleStack)' : `is ${show(policy)}`} but ${what} holds two entries: set ipFamilyPolicy PreferDualStack or RequireDualStack`,
    });
  }
  if (ips.length === 0) return issues;
  if (ips.length > 2)
    issues.push({ path: ['clusterIPs'], message: `may hold at most two addresses (got ${show(ips)})` });
  if (spec.clusterIP !== undefined && ips[0] !== spec.clusterIP) {
    issues.push({
      path: ['clusterIPs', 0],
      message: `${show(ips[0])} must equal clusterIP ${show(spec.clusterIP)} (clusterIPs[0] is the clusterIP)`,
    });
  }
  const parsedFamilies: Array<4 | 6 | undefined> = ips.map((ip, i) => {
    if (ip === 'None') {
      if (ips.length > 1) issues.push({ path: ['clusterIPs', i], message: '"None" (headless) must be the only entry' });
      return undefined;
    }
    const parsed = parseIpAddress(ip);
    if (!parsed.ok) {
      issues.push({ path: ['clusterIPs', i], message: parsed.error });
      return undefined;
    }
    if (families[i] !== undefined && FAMILY_OF[parsed.value.family] !== families[i]) {
      issues.push({
        path: ['clusterIPs', i],
        message: `${show(ip)} is ${FAMILY_OF[parsed.value.family]} but ipFamilies[${i}] is ${show(families[i])}`,
      });
    }
    return parsed.value.family;
  });
  if (parsedFamilies.length === 2 && parsedFamilies[0] !== undefined && parsedFamilies[0] === parsedFamilies[1]) {
    issues.push({
      path: ['clusterIPs', 1],
      message: `${show(ips[1])} is of the same family as ${show(ips[0])}: one address per family`,
    });
  }
  return issues;
}

/**
 * What the API server's allocator refuses for the cluster's service ranges: a family the cluster has no service
 * range for (asked for by SingleStack or RequireDualStack; PreferDualStack drops it).
 */
function checkFamiliesInCluster(spec: ServiceCheckInput, layout: NetworkLayout): Issue[] {
  if ((spec.type ?? 'ClusterIP') === 'ExternalName' || spec.clusterIP === 'None') return [];
  const have = layout.serviceCidrs.map((range) => FAMILY_OF[range.family]);
  const issues: Issue[] = [];
  if (spec.ipFamilyPolicy === 'RequireDualStack' && have.length < 2) {
    issues.push({
      path: ['ipFamilyPolicy'],
      message: `RequireDualStack needs a dual-stack serviceCidr, and network.serviceCidr is ${layout.serviceCidrs.map((r) => r.text).join(', ')} only`,
    });
  }
  (spec.ipFamilies ?? []).forEach((family, i) => {
    if (have.includes(family) || (spec.ipFamilyPolicy === 'PreferDualStack' && i > 0)) return;
    issues.push({ path: ['ipFamilies', i], message: `${show(family)}: network.serviceCidr has no ${family} range` });
  });
  return issues;
}

/** A cluster-wide value a Service takes, with its path relative to the spec. */
interface Claim {
  readonly kind: 'clusterIP' | 'nodePort';
  readonly value: string;
  readonly path: ReadonlyArray<string | number>;
}

/** The fixed cluster IP and the NodePorts of a spec that passed {@link checkService}. */
export function serviceClaims(spec: ServiceCheckInput): Claim[] {
  const claims: Claim[] = [];
  if (spec.clusterIP !== undefined && spec.clusterIP !== 'None')
    claims.push({ kind: 'clusterIP', value: spec.clusterIP, path: ['clusterIP'] });
  // Dual-stack: the secondary address (clusterIPs[0] is clusterIP; alone, it is claimed here).
  (spec.clusterIPs ?? []).forEach((ip, i) => {
    if (ip === 'None' || (i === 0 && spec.clusterIP !== undefined)) return;
    claims.push({ kind: 'clusterIP', value: canonicalIp(ip), path: ['clusterIPs', i] });
  });
  const seen = new Set<number>();
  (spec.ports ?? []).forEach((port, i) => {
    // The same NodePort for TCP and UDP of one Service is one allocation.
    if (port.nodePort === undefined || seen.has(port.nodePort)) return;
    seen.add(port.nodePort);
    claims.push({ kind: 'nodePort', value: String(port.nodePort), path: ['ports', i, 'nodePort'] });
  });
  return claims;
}

/** Who holds a value, for clash messages: `Service default/web`. */
export function ownerOf(spec: ServiceCheckInput): string {
  return `Service ${spec.namespace ?? 'default'}/${spec.name}`;
}

/** Claims a checked spec's cluster IP and NodePorts in a cluster-wide ledger (the cluster-file validator's way). */
export function claimServiceAddresses(spec: ServiceCheckInput, layout: NetworkLayout, ledger: Ledger): Issue[] {
  const issues: Issue[] = checkFamiliesInCluster(spec, layout);
  for (const claim of serviceClaims(spec)) {
    const problem = claim.kind === 'clusterIP' ? checkClusterIp(layout, claim.value) : undefined;
    const issue = problem
      ? { path: claim.path, message: problem }
      : ledger.claim(
          claim.kind,
          claim.kind === 'nodePort' ? Number(claim.value) : claim.value,
          ownerOf(spec),
          claim.path,
        );
    if (issue) issues.push(issue);
  }
  return issues;
}

/** The port of a Service that `ref` (a number or a port name) designates. */
export function findServicePort(
  ports: ReadonlyArray<ServicePortProps>,
  ref: number | string,
): ServicePortProps | undefined {
  return ports.find((port) => (typeof ref === 'number' ? port.port === ref : port.name === ref));
}

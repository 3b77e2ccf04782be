/**
 * The cluster's network layout: pod, service and node ranges, the DNS service address and the cluster domain,
 * checked as a whole (each range valid, no two overlapping, the DNS address inside the service range).
 */
import type { IPv4, IPv4CidrRange } from 'ip-num';
import { cidrText, nthAddress, parseAddress, parseNetwork, rangeBounds, rangeContains, rangesOverlap } from './cidr';
import { Issue, show } from './errors';

/** The layout as written: strings, as in the cluster file or ClusterNetwork props. */
export interface NetworkLayoutInput {
  readonly podCidr: string;
  readonly serviceCidr: string;
  readonly nodeCidr?: string;
  readonly clusterDomain?: string;
  readonly dnsServiceIp?: string;
}

/** The layout after checking: parsed ranges and every default resolved. */
export interface NetworkLayout {
  readonly podCidr: IPv4CidrRange;
  readonly serviceCidr: IPv4CidrRange;
  readonly nodeCidr?: IPv4CidrRange;
  readonly clusterDomain: string;
  readonly dnsServiceIp: IPv4;
}

/** kube-apiserver's default --service-node-port-range. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;
/** kubeadm puts the DNS Service on the 10th address of the service range (10.96.0.10 for 10.96.0.0/12). */
export const DNS_ADDRESS_INDEX = 10;

/** Checks a layout; returns the resolved layout, or the issues (paths relative to the layout object). */
export function resolveLayout(input: NetworkLayoutInput): { layout?: NetworkLayout; issues: Issue[] } {
  const issues: Issue[] = [];
  const network = (field: keyof NetworkLayoutInput, value: string | undefined): IPv4CidrRange | undefined => {
    if (value === undefined) return undefined;
    const parsed = parseNetwork(value);
    if (parsed.ok) return parsed.value;
    issues.push({ path: [field], message: parsed.error });
    return undefined;
  };
  const podCidr = network('podCidr', input.podCidr);
  const serviceCidr = network('serviceCidr', input.serviceCidr);
  const nodeCidr = network('nodeCidr', input.nodeCidr);

  const named: Array<[keyof NetworkLayoutInput, IPv4CidrRange | undefined]> = [
    ['podCidr', podCidr],
    ['serviceCidr', serviceCidr],
    ['nodeCidr', nodeCidr],
  ];
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const [nameA, a] = named[i];
      const [nameB, b] = named[j];
      if (a && b && rangesOverlap(a, b)) {
        issues.push({
          path: [nameB],
          message: `${nameB} ${cidrText(b)} overlaps ${nameA} ${cidrText(a)}: pod, service and node ranges must be disjoint`,
        });
      }
    }
  }

  let dnsServiceIp: IPv4 | undefined;
  if (input.dnsServiceIp !== undefined) {
    const parsed = parseAddress(input.dnsServiceIp);
    if (!parsed.ok) issues.push({ path: ['dnsServiceIp'], message: parsed.error });
    else if (serviceCidr && !rangeContains(serviceCidr, parsed.value)) {
      issues.push({
        path: ['dnsServiceIp'],
        message: `${show(input.dnsServiceIp)} is outside serviceCidr ${cidrText(serviceCidr)}: the DNS Service needs a cluster IP from that range`,
      });
    } else if (serviceCidr && reservedAddress(serviceCidr, parsed.value)) {
      issues.push({
        path: ['dnsServiceIp'],
        message: `${show(input.dnsServiceIp)} ${reservedAddress(serviceCidr!, parsed.value)}`,
      });
    } else dnsServiceIp = parsed.value;
  } else if (serviceCidr) {
    if (serviceCidr.getSize() <= BigInt(DNS_ADDRESS_INDEX)) {
      issues.push({
        path: ['serviceCidr'],
        message: `${cidrText(serviceCidr)} is too small to hold the DNS service address (the ${DNS_ADDRESS_INDEX}th)`,
      });
    } else dnsServiceIp = nthAddress(serviceCidr, DNS_ADDRESS_INDEX);
  }

  if (issues.length > 0 || !podCidr || !serviceCidr || !dnsServiceIp) return { issues };
  return {
    issues,
    layout: { podCidr, serviceCidr, nodeCidr, clusterDomain: input.clusterDomain ?? 'cluster.local', dnsServiceIp },
  };
}

/** Checks a cluster IP against the layout: a real address inside serviceCidr. */
export function checkClusterIp(layout: NetworkLayout, value: string): string | undefined {
  const parsed = parseAddress(value);
  if (!parsed.ok) return parsed.error;
  if (!rangeContains(layout.serviceCidr, parsed.value)) {
    return `clusterIP ${show(value)} is outside serviceCidr ${cidrText(layout.serviceCidr)}`;
  }
  const reserved = reservedAddress(layout.serviceCidr, parsed.value);
  return reserved ? `clusterIP ${show(value)} ${reserved}` : undefined;
}

/**
 * Why the API server refuses `address` of the service range as a cluster IP, or undefined: the network address,
 * the broadcast address, and the first address, which belongs to the built-in `kubernetes` Service.
 */
function reservedAddress(range: IPv4CidrRange, address: IPv4): string | undefined {
  const [first, last] = rangeBounds(range);
  const value = address.getValue();
  if (value === first)
    return `is the network address of serviceCidr ${cidrText(range)}: the API server never allocates it`;
  if (value === last)
    return `is the broadcast address of serviceCidr ${cidrText(range)}: the API server never allocates it`;
  if (value === first + 1n)
    return `is the first address of serviceCidr ${cidrText(range)}, which belongs to the built-in "kubernetes" Service`;
  return undefined;
}

/** Checks a NodePort number against the API server's default range. */
export function checkNodePort(value: number): string | undefined {
  if (!Number.isInteger(value) || value < NODE_PORT_RANGE.min || value > NODE_PORT_RANGE.max) {
    return `nodePort ${show(value)} is outside the NodePort range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`;
  }
  return undefined;
}

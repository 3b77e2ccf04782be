/**
 * The cluster's network layout: pod, service and node ranges, the DNS service address and the cluster domain,
 * checked as a whole (each range valid, no two overlapping, the DNS address inside the service range).
 */
import type { IPv4, IPv4CidrRange } from 'ip-num';
import {
  cidrText,
  ipNetworkContains,
  ipNetworkPrefix,
  ipNetworksOverlap,
  parseIpAddress,
  type ListedRange,
  nthAddress,
  parseAddress,
  parseIpNetwork,
  parseRangeList,
  rangeBounds,
  rangeContains,
  rangeList,
} from './cidr';
import { Issue, show } from './errors';

/** The layout as written: strings, as in the cluster file or ClusterNetwork props. */
export interface NetworkLayoutInput {
  /** One range, a list of one IPv4 and one IPv6 range, or kubeadm's comma string. */
  readonly podCidr: string | readonly string[];
  /** As podCidr. */
  readonly serviceCidr: string | readonly string[];
  readonly nodeCidr?: string;
  readonly clusterDomain?: string;
  readonly dnsServiceIp?: string;
  /** @default 64 */
  readonly nodeCidrMaskSizeIPv6?: number;
}

/** An IP family as Kubernetes spells it (a Service's ipFamilies). */
export type IpFamily = 'IPv4' | 'IPv6';

/** The layout after checking: parsed ranges and every default resolved. */
export interface NetworkLayout {
  /** The primary family's pod range (IPv4: an IPv6-primary cluster is not supported yet). */
  readonly podCidr: IPv4CidrRange;
  /** The primary family's service range. */
  readonly serviceCidr: IPv4CidrRange;
  readonly nodeCidr?: IPv4CidrRange;
  readonly clusterDomain: string;
  readonly dnsServiceIp: IPv4;
  /** Every pod range, primary first, canonical (one per family). */
  readonly podCidrs: readonly ListedRange[];
  /** Every service range, primary first, canonical (one per family). */
  readonly serviceCidrs: readonly ListedRange[];
  /** The cluster's IP families (those of podCidr), primary first. */
  readonly families: readonly IpFamily[];
  /** Prefix length of a node's slice of the IPv6 pod range (kube-controller-manager --node-cidr-mask-size-ipv6). */
  readonly nodeCidrMaskSizeIPv6: number;
}

/** The API server refuses a service range with more than 20 host bits (an IPv6 one longer than /108 is fine). */
export const MAX_SERVICE_HOST_BITS = 20;
/** kube-controller-manager: a node's slice is at most 16 bits longer than the cluster CIDR (clusterSubnetMaxDiff). */
export const MAX_NODE_MASK_DIFF = 16;

/** The family of a parsed range, as Kubernetes spells it. */
export function familyName(range: Pick<ListedRange, 'family'>): IpFamily {
  return range.family === 4 ? 'IPv4' : 'IPv6';
}

/**
 * Parses one range field (podCidr, serviceCidr): each range valid, one per family, the primary (first) IPv4.
 * Errors are pushed with `field` as path.
 */
function rangeField(field: 'podCidr' | 'serviceCidr', value: string | readonly string[], issues: Issue[]) {
  const parsed = parseRangeList(rangeList(value));
  if (!parsed.ok) {
    issues.push({ path: [field], message: parsed.error });
    return undefined;
  }
  if (parsed.value[0].family !== 4) {
    issues.push({
      path: [field],
      message: `${show(rangeList(value).join(','))} starts with an IPv6 range: netstrap builds IPv4-only and IPv4-primary dual-stack clusters (IPv6-primary and IPv6-only are not supported yet); write the IPv4 range first`,
    });
    return undefined;
  }
  const v6 = parsed.value.find((r) => r.family === 6);
  if (field === 'serviceCidr' && v6 && 128 - ipNetworkPrefix(v6.network) > MAX_SERVICE_HOST_BITS) {
    issues.push({
      path: [field],
      message: `IPv6 range ${show(v6.text)} is too large: the API server takes at most ${MAX_SERVICE_HOST_BITS} host bits (for 128-bit addresses the mask must be >= ${128 - MAX_SERVICE_HOST_BITS})`,
    });
    return undefined;
  }
  return parsed.value;
}

/** kube-apiserver's default --service-node-port-range. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;
/** kubeadm puts the DNS Service on the 10th address of the service range (10.96.0.10 for 10.96.0.0/12). */
export const DNS_ADDRESS_INDEX = 10;

/** Checks a layout; returns the resolved layout, or the issues (paths relative to the layout object). */
export function resolveLayout(input: NetworkLayoutInput): { layout?: NetworkLayout; issues: Issue[] } {
  const issues: Issue[] = [];
  const podCidrs = rangeField('podCidr', input.podCidr, issues);
  const serviceCidrs = rangeField('serviceCidr', input.serviceCidr, issues);
  const podCidr = podCidrs?.[0].network.value as IPv4CidrRange | undefined;
  const serviceCidr = serviceCidrs?.[0].network.value as IPv4CidrRange | undefined;
  let nodeCidr: IPv4CidrRange | undefined;
  if (input.nodeCidr !== undefined) {
    const parsed = parseIpNetwork(input.nodeCidr);
    if (!parsed.ok) issues.push({ path: ['nodeCidr'], message: parsed.error });
    else if (parsed.value.family === 6) {
      issues.push({
        path: ['nodeCidr'],
        message: `${show(input.nodeCidr)} is IPv6: nodeCidr takes the IPv4 node network`,
      });
    } else nodeCidr = parsed.value.value;
  }

  const named: Array<[keyof NetworkLayoutInput, readonly ListedRange[]]> = [
    ['podCidr', podCidrs ?? []],
    ['serviceCidr', serviceCidrs ?? []],
    ['nodeCidr', nodeCidr ? [{ network: { family: 4, value: nodeCidr }, family: 4, text: cidrText(nodeCidr) }] : []],
  ];
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const [nameA, rangesA] = named[i];
      const [nameB, rangesB] = named[j];
      for (const a of rangesA)
        for (const b of rangesB)
          if (ipNetworksOverlap(a.network, b.network)) {
            issues.push({
              path: [nameB],
              message: `${nameB} ${b.text} overlaps ${nameA} ${a.text}: pod, service and node ranges must be disjoint`,
            });
          }
    }
  }
  if (podCidrs && serviceCidrs && podCidrs.length === 1 && serviceCidrs.length === 2) {
    issues.push({
      path: ['serviceCidr'],
      message: `is dual-stack but podCidr ${show(podCidrs[0].text)} is not: give podCidr an IPv6 range too (the cluster's families are podCidr's)`,
    });
  }
  const nodeCidrMaskSizeIPv6 = input.nodeCidrMaskSizeIPv6 ?? 64;
  const podV6 = podCidrs?.find((r) => r.family === 6);
  if (podV6) {
    const prefix = ipNetworkPrefix(podV6.network);
    if (nodeCidrMaskSizeIPv6 <= prefix || nodeCidrMaskSizeIPv6 - prefix > MAX_NODE_MASK_DIFF) {
      issues.push({
        path: ['nodeCidrMaskSizeIPv6'],
        message: `/${nodeCidrMaskSizeIPv6} does not fit podCidr's IPv6 range ${podV6.text}: kube-controller-manager needs a node mask longer than /${prefix} and at most ${MAX_NODE_MASK_DIFF} bits longer (/${prefix + 1} to /${Math.min(128, prefix + MAX_NODE_MASK_DIFF)}); set network.nodeCidrMaskSizeIPv6 or widen the range`,
      });
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

  if (issues.length > 0 || !podCidrs || !serviceCidrs || !podCidr || !serviceCidr || !dnsServiceIp) return { issues };
  return {
    issues,
    layout: {
      podCidr,
      serviceCidr,
      nodeCidr,
      clusterDomain: input.clusterDomain ?? 'cluster.local',
      dnsServiceIp,
      podCidrs,
      serviceCidrs,
      families: podCidrs.map(familyName),
      nodeCidrMaskSizeIPv6,
    },
  };
}

/** Checks a cluster IP against the layout: a real address inside serviceCidr's range of its family. */
export function checkClusterIp(layout: NetworkLayout, value: string): string | undefined {
  if (value.includes(':')) return checkIpv6ClusterIp(layout, value);
  const parsed = parseAddress(value);
  if (!parsed.ok) return parsed.error;
  if (!rangeContains(layout.serviceCidr, parsed.value)) {
    return `clusterIP ${show(value)} is outside serviceCidr ${cidrText(layout.serviceCidr)}`;
  }
  const reserved = reservedAddress(layout.serviceCidr, parsed.value);
  return reserved ? `clusterIP ${show(value)} ${reserved}` : undefined;
}

/** An IPv6 cluster IP: inside serviceCidr's IPv6 range, not its network address. */
function checkIpv6ClusterIp(layout: NetworkLayout, value: string): string | undefined {
  const parsed = parseIpAddress(value);
  if (!parsed.ok) return parsed.error;
  const range = layout.serviceCidrs.find((r) => r.family === 6);
  if (!range) {
    return `clusterIP ${show(value)} is IPv6 but serviceCidr has no IPv6 range: give network.serviceCidr one (dual-stack) or use an IPv4 address`;
  }
  if (!ipNetworkContains(range.network, parsed.value))
    return `clusterIP ${show(value)} is outside serviceCidr ${range.text}`;
  if (range.network.value.getFirst().isEquals(parsed.value.value as never)) {
    return `clusterIP ${show(value)} is the network address of serviceCidr ${range.text}: the API server never allocates it`;
  }
  return undefined;
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

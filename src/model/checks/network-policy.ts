/**
 * The API server's checks of a NetworkPolicy spec, with its plain types (the value factories NetworkPolicyPeer and
 * NetworkPolicyPort are the construct's, constructs/network-policy.ts). Free of cdk8s, so
 * validating a cluster file does not load it; constructs/network-policy.ts re-exports all.
 */
import { isStrictIpSubnet, parseObjectCidr } from '../cidr';
import { Issue, show, under } from '../errors';
import { checkLabelSelector, checkObjectMeta, checkPortName, checkPortNumber } from '../meta';
import type { networkPolicyPropsSchema, PropsOf } from '../props';

/** Props of {@link NetworkPolicy}: the networking.k8s.io/v1 spec plus metadata, as in the cluster file. */
export type NetworkPolicyProps = PropsOf<typeof networkPolicyPropsSchema>;
export type NetworkPolicyIngressRuleSpec = NonNullable<NetworkPolicyProps['ingress']>[number];
export type NetworkPolicyEgressRuleSpec = NonNullable<NetworkPolicyProps['egress']>[number];
/**
 * One item of a `from`/`to` list. Items of a list are ORed; the selectors inside one item are ANDed
 * (namespaceSelector + podSelector = those pods in those namespaces). An ipBlock must stand alone in its item.
 */
export type NetworkPolicyPeerSpec = NonNullable<NetworkPolicyIngressRuleSpec['from']>[number];
/** An address range a rule allows, minus some sub-ranges. */
export type IpBlockSpec = NonNullable<NetworkPolicyPeerSpec['ipBlock']>;
/** A port (or a range of ports) a rule allows. */
export type NetworkPolicyPortSpec = NonNullable<NetworkPolicyIngressRuleSpec['ports']>[number];
export type PolicyType = NonNullable<NetworkPolicyProps['policyTypes']>[number];

export type NetworkPolicyCheckInput = NetworkPolicyProps & { readonly name: string };

// ip-num is exact but slow (about 0.1 ms a parse, 0.2 ms a containment test) and the same CIDRs recur across
// policies: remember results by text, so thousands of policies stay cheap. Bounded, to stay small.
const MEMO_LIMIT = 10000;
const parsedCidrs = new Map<string, ReturnType<typeof parseObjectCidr>>();
const strictSubnets = new Map<string, boolean>();
function memo<V>(cache: Map<string, V>, key: string, compute: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= MEMO_LIMIT) cache.clear();
    value = compute();
    cache.set(key, value);
  }
  return value;
}

const PEER_RULE =
  'items in a from/to list are ORed and the selectors inside one item are ANDed; an ipBlock cannot be ' +
  'combined with a selector, so write them as separate list items';

/** The API server's checks of one peer (paths relative to the peer). */
export function checkPeer(peer: NetworkPolicyPeerSpec): Issue[] {
  const issues: Issue[] = [];
  const selectors = (['namespaceSelector', 'podSelector'] as const).filter((field) => peer[field] !== undefined);
  if (peer.ipBlock === undefined && selectors.length === 0) {
    issues.push({
      path: [],
      message: `an empty peer ${show(peer)} selects nothing: give an ipBlock, namespaceSelector or podSelector (leave the whole from/to list out to allow everything)`,
    });
  }
  if (peer.ipBlock !== undefined && selectors.length > 0) {
    issues.push({
      path: [],
      message: `ipBlock ${show(peer.ipBlock.cidr)} is combined with ${selectors.join(' and ')} in one peer: ${PEER_RULE}`,
    });
  }
  for (const field of selectors) issues.push(...under([field], checkLabelSelector(peer[field]!)));
  if (peer.ipBlock !== undefined) issues.push(...under(['ipBlock'], checkIpBlock(peer.ipBlock)));
  return issues;
}

/**
 * The API server's checks of an ipBlock (paths relative to it): `cidr` and each `except` a CIDR of either family
 * with a prefix length; each `except` a strict subset of `cidr` (same family, inside it, longer prefix). Host bits
 * are accepted as the API server accepts them (it uses the network) with its warning.
 */
export function checkIpBlock(block: IpBlockSpec): Issue[] {
  const issues: Issue[] = [];
  const read = (text: string, at: ReadonlyArray<string | number>) => {
    if (text === '') {
      issues.push({ path: at, message: 'is required: a CIDR such as 10.0.0.0/16 or fd00::/64' });
      return undefined;
    }
    const parsed = memo(parsedCidrs, text, () => parseObjectCidr(text));
    if (!parsed.ok) {
      issues.push({ path: at, message: parsed.error });
      return undefined;
    }
    if (parsed.value.hostBitsSet) {
      issues.push({
        path: at,
        severity: 'warning',
        message: `${show(text)} has host bits set: the API server uses the network ${parsed.value.networkText}; write that`,
      });
    }
    return parsed.value;
  };
  const cidr = read(block.cidr, ['cidr']);
  (block.except ?? []).forEach((text, i) => {
    const except = read(text, ['except', i]);
    if (!cidr || !except) return;
    const key = `${except.networkText} ${cidr.networkText}`;
    if (!memo(strictSubnets, key, () => isStrictIpSubnet(except.network, cidr.network))) {
      issues.push({
        path: ['except', i],
        message:
          except.network.family === cidr.network.family
            ? `except ${show(text)} must be a strict subset of cidr ${show(block.cidr)}`
            : `except ${show(text)} must be a strict subset of cidr ${show(block.cidr)}, which is of the other IP family`,
      });
    }
  });
  return issues;
}

/** The API server's checks of one port entry (paths relative to the entry). */
export function checkPolicyPort(entry: NetworkPolicyPortSpec): Issue[] {
  const issues: Issue[] = [];
  if (entry.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(entry.protocol)) {
    issues.push({
      path: ['protocol'],
      message: `protocol ${show(entry.protocol)} must be TCP, UDP or SCTP (upper case)`,
    });
  }
  if (typeof entry.port === 'number') {
    const problem = checkPortNumber(entry.port);
    if (problem) issues.push({ path: ['port'], message: problem });
  } else if (entry.port !== undefined) {
    const problem = checkPortName(entry.port);
    if (problem) issues.push({ path: ['port'], message: problem });
  }
  if (entry.endPort !== undefined) {
    const problem = checkPortNumber(entry.endPort, 'endPort');
    if (problem) issues.push({ path: ['endPort'], message: problem });
    else if (entry.port === undefined) {
      issues.push({
        path: ['endPort'],
        message: `endPort ${show(entry.endPort)} needs a numeric port to start the range`,
      });
    } else if (typeof entry.port !== 'number') {
      issues.push({
        path: ['endPort'],
        message: `endPort ${show(entry.endPort)} may only be used with a numeric port, not the named port ${show(entry.port)}`,
      });
    } else if (entry.endPort < entry.port) {
      issues.push({
        path: ['endPort'],
        message: `endPort ${show(entry.endPort)} must be greater than or equal to port ${show(entry.port)}`,
      });
    }
  }
  return issues;
}

/** The API server's checks of a whole NetworkPolicy (paths relative to the spec). */
export function checkNetworkPolicy(spec: NetworkPolicyCheckInput): Issue[] {
  const issues: Issue[] = checkObjectMeta(spec, 'DNS-1123 subdomain');
  if (spec.podSelector !== undefined) issues.push(...under(['podSelector'], checkLabelSelector(spec.podSelector)));
  const types = spec.policyTypes;
  // An empty list is defaulted by the API server as an absent one (from the rules present).
  if (types !== undefined && types.length > 0) {
    if (types.length > 2)
      issues.push({ path: ['policyTypes'], message: `policyTypes ${show(types)} may list at most Ingress and Egress` });
    types.forEach((type, i) => {
      if (type !== 'Ingress' && type !== 'Egress')
        issues.push({ path: ['policyTypes', i], message: `policy type ${show(type)} must be Ingress or Egress` });
      else if (types.indexOf(type) !== i)
        issues.push({
          path: ['policyTypes', i],
          severity: 'warning',
          message: `policy type ${show(type)} is listed twice (also policyTypes[${types.indexOf(type)}])`,
        });
    });
    // The API server stores rules outside policyTypes and ignores them: accepted, but surely a mistake.
    for (const [field, type] of [
      ['ingress', 'Ingress'],
      ['egress', 'Egress'],
    ] as const) {
      const ignored = (spec[field] ?? []).map((_rule, i) => `${field}[${i}]`);
      if (ignored.length > 0 && !types.includes(type)) {
        issues.push({
          path: [field],
          severity: 'warning',
          message: `${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} ignored: policyTypes ${show(types)} does not include ${show(type)} (add it, or remove the rules)`,
        });
      }
    }
  }
  const rules = (
    field: 'ingress' | 'egress',
    peers: 'from' | 'to',
    list: ReadonlyArray<{ ports?: ReadonlyArray<NetworkPolicyPortSpec> }> | undefined,
  ) => {
    (list ?? []).forEach((rule, i) => {
      ((rule as Record<string, ReadonlyArray<NetworkPolicyPeerSpec> | undefined>)[peers] ?? []).forEach((peer, j) => {
        issues.push(...under([field, i, peers, j], checkPeer(peer)));
      });
      (rule.ports ?? []).forEach((entry, j) => issues.push(...under([field, i, 'ports', j], checkPolicyPort(entry))));
    });
  };
  rules('ingress', 'from', spec.ingress);
  rules('egress', 'to', spec.egress);
  return issues;
}

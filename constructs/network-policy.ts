import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { show } from '../src/model/errors';
import { LabelSelector } from '../src/model/meta';
import { isChecked } from '../src/model/checked';

// The checks and plain types live in src/model/checks/network-policy.ts (no cdk8s, so validating a cluster file stays
// light); re-exported here so the construct's API is unchanged.
export {
  type IpBlockSpec,
  type NetworkPolicyPeerSpec,
  type NetworkPolicyPortSpec,
  type NetworkPolicyIngressRuleSpec,
  type NetworkPolicyEgressRuleSpec,
  type PolicyType,
  type NetworkPolicyProps,
  type NetworkPolicyCheckInput,
  checkPeer,
  checkPolicyPort,
  checkNetworkPolicy,
} from '../src/model/checks/network-policy';
import {
  NetworkPolicyPeerSpec,
  NetworkPolicyPortSpec,
  NetworkPolicyProps,
  NetworkPolicyCheckInput,
  checkNetworkPolicy,
} from '../src/model/checks/network-policy';
import { assertProps, networkPolicyPropsSchema } from '../src/model/props';
import { LateMaps } from './late-maps';

/** Friendly constructors of {@link NetworkPolicyPortSpec} values. */
export class NetworkPolicyPort {
  static tcp(port: number | string): NetworkPolicyPortSpec {
    return { protocol: 'TCP', port };
  }
  static udp(port: number | string): NetworkPolicyPortSpec {
    return { protocol: 'UDP', port };
  }
  static sctp(port: number | string): NetworkPolicyPortSpec {
    return { protocol: 'SCTP', port };
  }
  /** TCP ports `start` to `end`, both included. */
  static tcpRange(start: number, end: number): NetworkPolicyPortSpec {
    return { protocol: 'TCP', port: start, endPort: end };
  }
  static udpRange(start: number, end: number): NetworkPolicyPortSpec {
    return { protocol: 'UDP', port: start, endPort: end };
  }
  /** Every TCP port. */
  static allTcp(): NetworkPolicyPortSpec {
    return { protocol: 'TCP' };
  }
  static allUdp(): NetworkPolicyPortSpec {
    return { protocol: 'UDP' };
  }
}

/** Friendly constructors of {@link NetworkPolicyPeerSpec} values. */
export class NetworkPolicyPeer {
  static ipBlock(cidr: string, except?: ReadonlyArray<string>): NetworkPolicyPeerSpec {
    return { ipBlock: except === undefined ? { cidr } : { cidr, except } };
  }
  /** Pods with these labels in the policy's namespace. */
  static pods(matchLabels: Record<string, string>): NetworkPolicyPeerSpec {
    return { podSelector: { matchLabels } };
  }
  /** Every pod of the namespaces with these labels (`{}`: all namespaces). */
  static namespaces(matchLabels: Record<string, string>): NetworkPolicyPeerSpec {
    return { namespaceSelector: { matchLabels } };
  }
  /** Pods with `podLabels` in namespaces with `namespaceLabels` (both must match: AND). */
  static podsInNamespaces(
    podLabels: Record<string, string>,
    namespaceLabels: Record<string, string>,
  ): NetworkPolicyPeerSpec {
    return { namespaceSelector: { matchLabels: namespaceLabels }, podSelector: { matchLabels: podLabels } };
  }
}

function selectorToKube(selector: LabelSelector, pointer: string, late: LateMaps): k8s.LabelSelector {
  if (!selector.matchLabels || late.map(selector.matchLabels, `${pointer}/matchLabels`) !== undefined)
    return selector as k8s.LabelSelector;
  return { ...selector, matchLabels: undefined } as k8s.LabelSelector;
}

function peersToKube(
  peers: ReadonlyArray<NetworkPolicyPeerSpec> | undefined,
  pointer: string,
  late: LateMaps,
): k8s.NetworkPolicyPeer[] | undefined {
  return peers?.map((peer, i) => ({
    ipBlock: peer.ipBlock && { cidr: peer.ipBlock.cidr, except: peer.ipBlock.except && [...peer.ipBlock.except] },
    namespaceSelector:
      peer.namespaceSelector && selectorToKube(peer.namespaceSelector, `${pointer}/${i}/namespaceSelector`, late),
    podSelector: peer.podSelector && selectorToKube(peer.podSelector, `${pointer}/${i}/podSelector`, late),
  }));
}

function portsToKube(ports: ReadonlyArray<NetworkPolicyPortSpec> | undefined): k8s.NetworkPolicyPort[] | undefined {
  return ports?.map((entry) => ({
    protocol: entry.protocol,
    port:
      entry.port === undefined
        ? undefined
        : typeof entry.port === 'number'
          ? k8s.IntOrString.fromNumber(entry.port)
          : k8s.IntOrString.fromString(entry.port),
    endPort: entry.endPort,
  }));
}

/** Options of the NetworkPolicy.defaultDeny... / allowAll... helpers. */
export interface NetworkPolicyPresetOptions {
  /** @default - none: the namespace of whoever applies the manifest */
  readonly namespace?: string;
  /** @default - the name used in the Kubernetes documentation, e.g. 'default-deny-ingress' */
  readonly name?: string;
}

/**
 * A networking.k8s.io/v1 NetworkPolicy: the whole API (several peers per rule, namespace+pod selector AND, ipBlock
 * with except, named ports and port ranges), checked as the API server would, plus the cases it accepts but that
 * cannot work (CIDR math is done with real networks: an `except` must lie strictly inside its `cidr`).
 */
export class NetworkPolicy extends k8s.KubeNetworkPolicy {
  /** Denies all incoming traffic to every pod of the namespace. */
  static defaultDenyIngress(scope: Construct, id: string, options: NetworkPolicyPresetOptions = {}): NetworkPolicy {
    return new NetworkPolicy(scope, id, {
      name: 'default-deny-ingress',
      ...options,
      podSelector: {},
      policyTypes: ['Ingress'],
    });
  }
  /** Denies all outgoing traffic from every pod of the namespace. */
  static defaultDenyEgress(scope: Construct, id: string, options: NetworkPolicyPresetOptions = {}): NetworkPolicy {
    return new NetworkPolicy(scope, id, {
      name: 'default-deny-egress',
      ...options,
      podSelector: {},
      policyTypes: ['Egress'],
    });
  }
  /** Denies all traffic, both ways. */
  static defaultDenyAll(scope: Construct, id: string, options: NetworkPolicyPresetOptions = {}): NetworkPolicy {
    return new NetworkPolicy(scope, id, {
      name: 'default-deny-all',
      ...options,
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
  }
  /** Allows all incoming traffic (overrides any deny policy of the namespace). */
  static allowAllIngress(scope: Construct, id: string, options: NetworkPolicyPresetOptions = {}): NetworkPolicy {
    return new NetworkPolicy(scope, id, {
      name: 'allow-all-ingress',
      ...options,
      podSelector: {},
      ingress: [{}],
      policyTypes: ['Ingress'],
    });
  }
  /** Allows all outgoing traffic. */
  static allowAllEgress(scope: Construct, id: string, options: NetworkPolicyPresetOptions = {}): NetworkPolicy {
    return new NetworkPolicy(scope, id, {
      name: 'allow-all-egress',
      ...options,
      podSelector: {},
      egress: [{}],
      policyTypes: ['Egress'],
    });
  }

  readonly namespace?: string;

  constructor(scope: Construct, id: string, props: NetworkPolicyProps = {}) {
    // Checked before joining the tree, so a rejected policy leaves nothing behind.
    const checked = isChecked(props);
    const spec: NetworkPolicyCheckInput = { ...props, name: props?.name ?? id };
    if (!checked)
      assertProps(networkPolicyPropsSchema, props, `NetworkPolicy ${show(spec.name)}`, () => checkNetworkPolicy(spec));
    // The construct is the API object itself (no wrapper): one tree node per object keeps big charts fast.
    const late = new LateMaps();
    super(scope, id, {
      metadata: {
        name: spec.name,
        namespace: spec.namespace,
        labels: late.map(spec.labels, '/metadata/labels'),
        annotations: late.map(spec.annotations, '/metadata/annotations'),
      },
      spec: {
        podSelector: selectorToKube(spec.podSelector ?? {}, '/spec/podSelector', late),
        policyTypes: spec.policyTypes && [...spec.policyTypes],
        ingress: spec.ingress?.map((rule, i) => ({
          from: peersToKube(rule.from, `/spec/ingress/${i}/from`, late),
          ports: portsToKube(rule.ports),
        })),
        egress: spec.egress?.map((rule, i) => ({
          to: peersToKube(rule.to, `/spec/egress/${i}/to`, late),
          ports: portsToKube(rule.ports),
        })),
      },
    });
    late.applyTo(this);
    this.namespace = spec.namespace;
  }
}

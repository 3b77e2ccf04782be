/**
 * What NetworkPolicy analysis works on: namespaces with their labels, workloads (a controller's pod template, or a
 * Pod no controller owns) with pod labels, container ports and known pod IPs, and the NetworkPolicies. Built from a
 * cluster file (./cluster.ts) or from Kubernetes manifests (./manifests.ts); analysed by ./analyze.ts.
 */
import type { LabelSelector } from '../meta';
import type {
  NetworkPolicyEgressRuleSpec,
  NetworkPolicyIngressRuleSpec,
  NetworkPolicyPortSpec,
  PolicyType,
} from '../checks/network-policy';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** The label the control plane sets on every namespace (immutable): its name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** One container port of a workload's pods. */
export interface ContainerPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: Protocol;
}

/** A group of identical pods: a controller's pod template, or one Pod that no controller owns. */
export interface Workload {
  /** `<ns>/<name>`, or `<ns>/<kind>/<name>` when two kinds in the namespace share the name (see assignKeys). */
  key: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  /** Labels of the pods (the pod template's labels). */
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly ContainerPort[];
  /** Known pod addresses (fixed in the cluster file, or status.podIP(s) of the pods read). */
  readonly ips: readonly string[];
  /** Where it was declared: `file` or `file (document n)`. */
  readonly source: string;
}

/** A port entry with its protocol defaulted. */
export type PolicyPort = NetworkPolicyPortSpec & { readonly protocol: Protocol };
type Rule<R> = Omit<R, 'ports'> & { readonly ports?: readonly PolicyPort[] };

/**
 * The spec of a NetworkPolicy as the API server stores it (already checked: see checks/network-policy.ts), its
 * defaults applied by {@link apiServerPolicySpec}: analysis reads it as it is.
 */
export interface PolicySpec {
  readonly podSelector: LabelSelector;
  readonly policyTypes: readonly PolicyType[];
  readonly ingress?: readonly Rule<NetworkPolicyIngressRuleSpec>[];
  readonly egress?: readonly Rule<NetworkPolicyEgressRuleSpec>[];
}

/**
 * The API server's defaults for a NetworkPolicy (pkg/apis/networking/v1/defaults.go), in one place for manifests
 * and cluster files: podSelector `{}` (every pod of the namespace); policyTypes, when absent or empty, Ingress plus
 * Egress when there is an egress rule; a port's protocol TCP.
 */
export function apiServerPolicySpec(spec: {
  readonly podSelector?: LabelSelector;
  readonly policyTypes?: readonly PolicyType[];
  readonly ingress?: readonly NetworkPolicyIngressRuleSpec[];
  readonly egress?: readonly NetworkPolicyEgressRuleSpec[];
}): PolicySpec {
  const policyTypes: readonly PolicyType[] =
    spec.policyTypes && spec.policyTypes.length > 0
      ? spec.policyTypes
      : (spec.egress?.length ?? 0) > 0
        ? ['Ingress', 'Egress']
        : ['Ingress'];
  const withPorts = <R extends { readonly ports?: readonly NetworkPolicyPortSpec[] }>(rule: R) =>
    rule.ports ? { ...rule, ports: rule.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })) } : rule;
  return {
    podSelector: spec.podSelector ?? {},
    policyTypes,
    ...(spec.ingress ? { ingress: spec.ingress.map(withPorts) as PolicySpec['ingress'] } : {}),
    ...(spec.egress ? { egress: spec.egress.map(withPorts) as PolicySpec['egress'] } : {}),
  };
}

export interface Policy {
  readonly name: string;
  readonly namespace: string;
  readonly spec: PolicySpec;
  readonly source: string;
}

export interface Inventory {
  /** Namespace name → labels, always including kubernetes.io/metadata.name. */
  readonly namespaces: Map<string, Readonly<Record<string, string>>>;
  readonly workloads: Workload[];
  readonly policies: Policy[];
  /**
   * Pod and service networks when a cluster file gave them (for ipBlock assumptions and lints): the primary
   * family's, and every range written (one per family, primary first).
   */
  podCidr?: string;
  serviceCidr?: string;
  podCidrs?: readonly string[];
  serviceCidrs?: readonly string[];
  /** Objects read, by kind (Namespace, NetworkPolicy and the workload kinds), wherever they came from. */
  readonly read: Map<string, number>;
  /** Objects read but not analysed, by kind (e.g. Service: 3, "Pod (owned)": 6, "DaemonSet (hostNetwork)": 1). */
  readonly skipped: Map<string, number>;
}

export function emptyInventory(): Inventory {
  return { namespaces: new Map(), workloads: [], policies: [], read: new Map(), skipped: new Map() };
}

export function countRead(inventory: Inventory, kind: string): void {
  inventory.read.set(kind, (inventory.read.get(kind) ?? 0) + 1);
}

export function countSkipped(inventory: Inventory, what: string, n = 1): void {
  inventory.skipped.set(what, (inventory.skipped.get(what) ?? 0) + n);
}

/** Adds a namespace (merging labels) with its implicit name label. */
export function addNamespace(inventory: Inventory, name: string, labels: Readonly<Record<string, string>> = {}): void {
  const known = inventory.namespaces.get(name) ?? {};
  inventory.namespaces.set(name, { ...known, ...labels, [NAMESPACE_NAME_LABEL]: name });
}

/**
 * Completes an inventory: every namespace a workload or policy refers to exists (with only its name label when not
 * defined), and workload keys are `<ns>/<name>`, or `<ns>/<kind>/<name>` for names two kinds share.
 */
export function finishInventory(inventory: Inventory): Inventory {
  // A workload declared in a cluster file and read again from a manifest (same kind, namespace, name) counts once.
  const unique = new Map<string, Workload>();
  for (const w of inventory.workloads)
    if (!unique.has(`${w.kind} ${w.namespace}/${w.name}`)) unique.set(`${w.kind} ${w.namespace}/${w.name}`, w);
  inventory.workloads.splice(0, inventory.workloads.length, ...unique.values());
  for (const item of [...inventory.workloads, ...inventory.policies]) {
    if (!inventory.namespaces.has(item.namespace)) addNamespace(inventory, item.namespace);
  }
  const kinds = new Map<string, Set<string>>();
  for (const w of inventory.workloads) {
    const id = `${w.namespace}/${w.name}`;
    if (!kinds.has(id)) kinds.set(id, new Set());
    kinds.get(id)!.add(w.kind);
  }
  for (const w of inventory.workloads) {
    w.key =
      kinds.get(`${w.namespace}/${w.name}`)!.size > 1
        ? `${w.namespace}/${w.kind}/${w.name}`
        : `${w.namespace}/${w.name}`;
  }
  inventory.workloads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  inventory.policies.sort((a, b) => {
    const ka = `${a.namespace}/${a.name}`;
    const kb = `${b.namespace}/${b.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return inventory;
}

// ---------------------------------------------------------------------------------------------------------------
// Label selectors (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors)

export type LabelPredicate = (labels: Readonly<Record<string, string>>) => boolean;

/**
 * A label selector as a predicate: matchLabels and every matchExpression must hold (AND); `{}` matches everything.
 * In: the key is present with one of the values; NotIn: absent, or present with none of them; Exists; DoesNotExist.
 */
export function compileSelector(selector: LabelSelector): LabelPredicate {
  const tests: LabelPredicate[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    tests.push((l) => Object.hasOwn(l, key) && l[key] === value);
  for (const expr of selector.matchExpressions ?? []) {
    const values = new Set(expr.values ?? []);
    const key = expr.key;
    switch (expr.operator) {
      case 'In':
        tests.push((l) => Object.hasOwn(l, key) && values.has(l[key]));
        break;
      case 'NotIn':
        tests.push((l) => !Object.hasOwn(l, key) || !values.has(l[key]));
        break;
      case 'Exists':
        tests.push((l) => Object.hasOwn(l, key));
        break;
      case 'DoesNotExist':
        tests.push((l) => !Object.hasOwn(l, key));
        break;
    }
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0];
  return (l) => tests.every((t) => t(l));
}

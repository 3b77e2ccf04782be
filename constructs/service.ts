import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { parseAddress } from '../src/model/cidr';
import { InputError, Issue, show, throwIfAny, under } from '../src/model/errors';
import { Ledger } from '../src/model/ledger';
import { checkLabels, checkName, checkObjectMeta, checkPortName, checkPortNumber } from '../src/model/meta';
import { checkClusterIp, checkNodePort, NetworkPlan } from '../src/model/plan';
import { ClusterNetwork } from './cluster-network';
import { isChecked } from '../src/model/checked';

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** One port of a {@link Service}. */
export interface ServicePortProps {
  /** Port name (DNS-1123 label); Ingress backends may refer to it. @default - unnamed (allowed for a single port) */
  readonly name?: string;
  /** The port the Service listens on, 1-65535. Required. */
  readonly port: number;
  /** The Pods' port: a number or a named container port. @default - the same as `port` */
  readonly targetPort?: number | string;
  /** @default 'TCP' */
  readonly protocol?: Protocol;
  /** Port opened on every node, 30000-32767; only for NodePort and LoadBalancer. @default - chosen by the API server */
  readonly nodePort?: number;
  /** Application protocol hint, e.g. `http`. @default - none */
  readonly appProtocol?: string;
}

/** Props of {@link Service}: the same shape as a `kubernetes.services` entry of the cluster file. */
export interface ServiceProps {
  /** Service name (DNS-1035 label: it becomes a DNS name). @default - the construct id */
  readonly name?: string;
  /** @default - none: the namespace of whoever applies the manifest ("default" in DNS names) */
  readonly namespace?: string;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** @default 'ClusterIP' */
  readonly type?: ServiceType;
  /** Pods to send traffic to. @default - none: endpoints are managed by hand (or ExternalName) */
  readonly selector?: Readonly<Record<string, string>>;
  /** A fixed address inside serviceCidr, or "None" for a headless Service. @default - allocated by the API server */
  readonly clusterIP?: string;
  /** DNS name an ExternalName Service aliases (required for that type, forbidden otherwise). @default - none */
  readonly externalName?: string;
  /** NodePort/LoadBalancer only. @default - the API server's default ('Cluster') */
  readonly externalTrafficPolicy?: 'Cluster' | 'Local';
  /** LoadBalancer only. @default - chosen by the load balancer */
  readonly loadBalancerIP?: string;
  /** @default - the API server's default ('None') */
  readonly sessionAffinity?: 'None' | 'ClientIP';
  /** Required except for ExternalName and headless Services. @default [] */
  readonly ports?: ReadonlyArray<ServicePortProps>;
}

/** A Service spec with its name known (cluster-file entries, or construct props after defaulting the name). */
export type ServiceCheckInput = ServiceProps & { readonly name: string };

const TYPES: ReadonlyArray<string> = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const PROTOCOLS: ReadonlyArray<string> = ['TCP', 'UDP', 'SCTP'];

/**
 * The API server's checks of one Service (paths relative to the spec). Cluster-wide rules (cluster IP inside
 * serviceCidr and unique, NodePorts unique) are applied by whoever holds the plan: see {@link claimServiceAddresses}.
 */
export function checkService(spec: ServiceCheckInput): Issue[] {
  const issues: Issue[] = checkObjectMeta(spec, 'DNS-1035 label');
  const type = spec.type ?? 'ClusterIP';
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === 'None';
  const exposed = type === 'NodePort' || type === 'LoadBalancer';
  if (!TYPES.includes(type)) issues.push({ path: ['type'], message: `type ${show(type)} must be one of ${TYPES.join(', ')}` });
  issues.push(...under(['selector'], checkLabels(spec.selector)));

  if (type === 'ExternalName') {
    if (spec.externalName === undefined) {
      issues.push({ path: ['externalName'], message: `is required for a Service of type "ExternalName" (the DNS name it aliases)` });
    } else {
      const problem = checkName(spec.externalName.replace(/\.$/, ''), 'DNS-1123 subdomain');
      if (problem) issues.push({ path: ['externalName'], message: `externalName ${problem}` });
    }
    if (spec.clusterIP !== undefined) {
      issues.push({ path: ['clusterIP'], message: `clusterIP ${show(spec.clusterIP)} may not be set for a Service of type ExternalName` });
    }
  } else if (spec.externalName !== undefined) {
    issues.push({ path: ['externalName'], message: `externalName ${show(spec.externalName)} only applies to type ExternalName (this Service is ${type})` });
  }
  if (spec.clusterIP !== undefined && type !== 'ExternalName') {
    if (headless && exposed) {
      issues.push({ path: ['clusterIP'], message: `clusterIP "None" (headless) is not allowed for a Service of type ${type}` });
    } else if (!headless) {
      const parsed = parseAddress(spec.clusterIP);
      if (!parsed.ok) issues.push({ path: ['clusterIP'], message: `${parsed.error} (or "None" for a headless Service)` });
    }
  }
  if (spec.externalTrafficPolicy !== undefined && !exposed) {
    issues.push({ path: ['externalTrafficPolicy'], message: `externalTrafficPolicy ${show(spec.externalTrafficPolicy)} only applies to NodePort and LoadBalancer Services (this one is ${type})` });
  }
  if (spec.loadBalancerIP !== undefined) {
    const parsed = parseAddress(spec.loadBalancerIP);
    if (type !== 'LoadBalancer') {
      issues.push({ path: ['loadBalancerIP'], message: `loadBalancerIP ${show(spec.loadBalancerIP)} only applies to type LoadBalancer (this Service is ${type})` });
    } else if (!parsed.ok) issues.push({ path: ['loadBalancerIP'], message: parsed.error });
  }

  if (ports.length === 0 && type !== 'ExternalName' && !headless) {
    issues.push({ path: ['ports'], message: `a Service of type ${show(type)} needs at least one port (only ExternalName and headless Services may have none)` });
  }
  const names = new Map<string, number>();
  const endpoints = new Map<string, number>();
  const nodePorts = new Map<string, number>();
  ports.forEach((port, i) => {
    const at = (field: string) => ['ports', i, field];
    const protocol = port.protocol ?? 'TCP';
    const numberProblem = checkPortNumber(port.port);
    if (numberProblem) issues.push({ path: at('port'), message: numberProblem });
    if (!PROTOCOLS.includes(protocol)) issues.push({ path: at('protocol'), message: `protocol ${show(protocol)} must be TCP, UDP or SCTP (upper case)` });
    if (port.name === undefined) {
      if (ports.length > 1) issues.push({ path: at('name'), message: `port ${show(port.port)} needs a name: every port of a Service with several ports must be named` });
    } else {
      const problem = checkName(port.name, 'DNS-1123 label');
      if (problem) issues.push({ path: at('name'), message: `port name ${problem}` });
      const first = names.get(port.name);
      if (first !== undefined) issues.push({ path: at('name'), message: `port name ${show(port.name)} is used twice (also ports[${first}])` });
      else names.set(port.name, i);
    }
    const endpoint = `${port.port}/${protocol}`;
    const same = endpoints.get(endpoint);
    if (same !== undefined) issues.push({ path: at('port'), message: `port ${show(port.port)}/${protocol} is listed twice (also ports[${same}])` });
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
        issues.push({ path: at('nodePort'), message: `nodePort ${show(port.nodePort)} is only allowed for NodePort and LoadBalancer Services (this one is ${type})` });
      } else {
        const problem = checkNodePort(port.nodePort);
        if (problem) issues.push({ path: at('nodePort'), message: problem });
        const key = `${port.nodePort}/${protocol}`;
        const other = nodePorts.get(key);
        if (other !== undefined) issues.push({ path: at('nodePort'), message: `nodePort ${show(port.nodePort)}/${protocol} is listed twice (also ports[${other}])` });
        else nodePorts.set(key, i);
      }
    }
  });
  return issues;
}

/** A cluster-wide value a Service takes, with its path relative to the spec. */
interface Claim { readonly kind: 'clusterIP' | 'nodePort'; readonly value: string; readonly path: ReadonlyArray<string | number> }

/** The fixed cluster IP and the NodePorts of a spec that passed {@link checkService}. */
function serviceClaims(spec: ServiceCheckInput): Claim[] {
  const claims: Claim[] = [];
  if (spec.clusterIP !== undefined && spec.clusterIP !== 'None') claims.push({ kind: 'clusterIP', value: spec.clusterIP, path: ['clusterIP'] });
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
function ownerOf(spec: ServiceCheckInput): string {
  return `Service ${spec.namespace ?? 'default'}/${spec.name}`;
}

/** Claims a checked spec's cluster IP and NodePorts in a cluster-wide ledger (the cluster-file validator's way). */
export function claimServiceAddresses(spec: ServiceCheckInput, plan: NetworkPlan, ledger: Ledger): Issue[] {
  const issues: Issue[] = [];
  for (const claim of serviceClaims(spec)) {
    const problem = claim.kind === 'clusterIP' ? checkClusterIp(plan, claim.value) : undefined;
    const issue = problem
      ? { path: claim.path, message: problem }
      : ledger.claim(claim.kind, claim.kind === 'nodePort' ? Number(claim.value) : claim.value, ownerOf(spec), claim.path);
    if (issue) issues.push(issue);
  }
  return issues;
}

/** ClusterNetwork.find() scans the scope's children: remember hits, so charts of many Services stay linear. */
const networks = new WeakMap<IConstruct, ClusterNetwork>();
function findNetwork(scope: IConstruct): ClusterNetwork | undefined {
  const cached = networks.get(scope);
  if (cached) return cached;
  const found = ClusterNetwork.find(scope);
  if (found) networks.set(scope, found);
  return found;
}

/** Services of one construct tree by `namespace/name`, so Ingresses can find their backends by name. */
const registries = new WeakMap<IConstruct, Map<string, Service>>();

/**
 * A Kubernetes Service (ClusterIP, NodePort, LoadBalancer, ExternalName, or headless with `clusterIP: "None"`).
 *
 * Props are checked as the API server would; when a {@link ClusterNetwork} is in scope, a fixed cluster IP must lie
 * inside its serviceCidr and cluster IPs and NodePorts must be unique across the chart. Invalid props throw an
 * InputError naming each field and value.
 */
export class Service extends k8s.KubeService {
  /** The Service defined as `namespace/name` (namespace "default" when unset) in the same construct tree, if any. */
  static lookup(scope: IConstruct, name: string, namespace = 'default'): Service | undefined {
    return registries.get(scope.node.root)?.get(`${namespace}/${name}`);
  }

  /** The namespace as given (undefined: none written to the manifest). */
  readonly namespace?: string;
  readonly type: ServiceType;
  readonly ports: ReadonlyArray<ServicePortProps>;

  constructor(scope: Construct, id: string, props: ServiceProps = {}) {
    // Checked before joining the tree, so a rejected Service leaves nothing behind.
    const spec: ServiceCheckInput = { ...props, name: props.name ?? id };
    const source = `Service ${show(spec.name)}`;
    if (!isChecked(props)) throwIfAny(source, checkService(spec));
    const registry = registries.get(scope.node.root) ?? new Map<string, Service>();
    registries.set(scope.node.root, registry);
    const key = `${spec.namespace ?? 'default'}/${spec.name}`;
    const twin = registry.get(key);
    if (twin) throw new InputError(source, [{ path: ['name'], message: `Service ${key} is defined twice (also at ${twin.node.path})` }]);
    const claims = serviceClaims(spec);
    // Only Services with fixed values need the plan: no lookup cost for the common case.
    const network = claims.length > 0 ? findNetwork(scope) : undefined;
    for (const claim of network ? claims : []) {
      try {
        if (claim.kind === 'clusterIP') network!.claimClusterIp(claim.value, ownerOf(spec));
        else network!.claimNodePort(Number(claim.value), ownerOf(spec));
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        throw new InputError(source, error.issues.map((issue) => ({ path: claim.path, message: issue.message })));
      }
    }

    // The construct is the API object itself (no wrapper): one tree node per object keeps big charts fast.
    const ports = spec.ports ?? [];
    super(scope, id, {
      metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels, annotations: spec.annotations },
      spec: {
        type: spec.type ?? 'ClusterIP',
        selector: spec.selector,
        clusterIp: spec.clusterIP,
        externalName: spec.externalName,
        externalTrafficPolicy: spec.externalTrafficPolicy,
        loadBalancerIp: spec.loadBalancerIP,
        sessionAffinity: spec.sessionAffinity,
        ports: ports.length === 0 ? undefined : ports.map((port) => ({
          name: port.name,
          port: port.port,
          targetPort: port.targetPort === undefined ? undefined
            : typeof port.targetPort === 'number' ? k8s.IntOrString.fromNumber(port.targetPort) : k8s.IntOrString.fromString(port.targetPort),
          protocol: port.protocol,
          nodePort: port.nodePort,
          appProtocol: port.appProtocol,
        })),
      },
    });
    registry.set(key, this);
    this.namespace = spec.namespace;
    this.type = spec.type ?? 'ClusterIP';
    this.ports = ports;
  }

  /** The in-cluster DNS name `<name>.<namespace>.svc.<clusterDomain>` (domain from the ClusterNetwork in scope). */
  get dnsName(): string {
    const domain = findNetwork(this.node.scope ?? this)?.clusterDomain ?? 'cluster.local';
    return `${this.name}.${this.namespace ?? 'default'}.svc.${domain}`;
  }

  /** The port a reference (a port number or a port name) designates, if this Service exposes it. */
  findPort(ref: number | string): ServicePortProps | undefined {
    return findServicePort(this.ports, ref);
  }
}

/** The port of a Service that `ref` (a number or a port name) designates. */
export function findServicePort(ports: ReadonlyArray<ServicePortProps>, ref: number | string): ServicePortProps | undefined {
  return ports.find((port) => (typeof ref === 'number' ? port.port === ref : port.name === ref));
}

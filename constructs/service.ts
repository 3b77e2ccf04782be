import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { InputError, show } from '../src/model/errors';
import { ClusterNetwork } from './cluster-network';
import { isChecked } from '../src/model/checked';

// The checks and plain types live in src/model/checks/service.ts (no cdk8s, so validating a cluster file stays
// light); re-exported here so the construct's API is unchanged.
export {
  type ServiceType,
  type Protocol,
  type ServicePortProps,
  type ServiceProps,
  type ServiceCheckInput,
  checkService,
  claimServiceAddresses,
  findServicePort,
} from '../src/model/checks/service';
import {
  ServiceType,
  ServicePortProps,
  ServiceProps,
  ServiceCheckInput,
  checkService,
  serviceClaims,
  ownerOf,
  findServicePort,
} from '../src/model/checks/service';
import { assertProps, servicePropsSchema } from '../src/model/props';
import { LateMaps } from './late-maps';
import { findTreeRegistry, treeRegistry } from './registry';

/**
 * ClusterNetwork.find() scans the scope's children: hits are kept in the tree's registry (by scope path), so charts
 * of many Services stay linear.
 */
function findNetwork(scope: IConstruct): ClusterNetwork | undefined {
  const networks = treeRegistry<ClusterNetwork>(scope, 'cluster-networks');
  const cached = networks.get(scope.node.path);
  if (cached) return cached;
  const found = ClusterNetwork.find(scope);
  if (found) networks.set(scope.node.path, found);
  return found;
}

/** Services of one construct tree by `namespace/name`, so Ingresses can find their backends by name. */
const services = (scope: IConstruct) => treeRegistry<Service>(scope, 'services');

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
    return findTreeRegistry<Service>(scope, 'services')?.get(`${namespace}/${name}`);
  }

  /** The namespace as given (undefined: none written to the manifest). */
  readonly namespace?: string;
  readonly type: ServiceType;
  readonly ports: ReadonlyArray<ServicePortProps>;

  constructor(scope: Construct, id: string, props: ServiceProps = {}) {
    // Checked before joining the tree, so a rejected Service leaves nothing behind.
    const checked = isChecked(props);
    const spec: ServiceCheckInput = { ...props, name: props?.name ?? id };
    const source = `Service ${show(spec.name)}`;
    if (!checked) assertProps(servicePropsSchema, props, source, () => checkService(spec));
    const registry = services(scope);
    const key = `${spec.namespace ?? 'default'}/${spec.name}`;
    const twin = registry.get(key);
    if (twin)
      throw new InputError(source, [
        { path: ['name'], message: `Service ${key} is defined twice (also at ${twin.node.path})` },
      ]);
    const claims = serviceClaims(spec);
    // Only Services with fixed values need the network layout: no lookup cost for the common case.
    const network = claims.length > 0 ? findNetwork(scope) : undefined;
    for (const claim of network ? claims : []) {
      try {
        if (claim.kind === 'clusterIP') network!.claimClusterIp(claim.value, ownerOf(spec));
        else network!.claimNodePort(Number(claim.value), ownerOf(spec));
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        throw new InputError(
          source,
          error.issues.map((issue) => ({ path: claim.path, message: issue.message })),
        );
      }
    }

    // The construct is the API object itself (no wrapper): one tree node per object keeps big charts fast.
    const ports = spec.ports ?? [];
    const late = new LateMaps();
    super(scope, id, {
      metadata: {
        name: spec.name,
        namespace: spec.namespace,
        labels: late.map(spec.labels, '/metadata/labels'),
        annotations: late.map(spec.annotations, '/metadata/annotations'),
      },
      spec: {
        type: spec.type ?? 'ClusterIP',
        selector: late.map(spec.selector, '/spec/selector'),
        clusterIp: spec.clusterIP,
        clusterIPs: spec.clusterIPs && [...spec.clusterIPs],
        ipFamilyPolicy: spec.ipFamilyPolicy,
        ipFamilies: spec.ipFamilies && [...spec.ipFamilies],
        externalName: spec.externalName,
        externalTrafficPolicy: spec.externalTrafficPolicy,
        loadBalancerIp: spec.loadBalancerIP,
        loadBalancerSourceRanges: spec.loadBalancerSourceRanges && [...spec.loadBalancerSourceRanges],
        sessionAffinity: spec.sessionAffinity,
        ports:
          ports.length === 0
            ? undefined
            : ports.map((port) => ({
                name: port.name,
                port: port.port,
                targetPort:
                  port.targetPort === undefined
                    ? undefined
                    : typeof port.targetPort === 'number'
                      ? k8s.IntOrString.fromNumber(port.targetPort)
                      : k8s.IntOrString.fromString(port.targetPort),
                protocol: port.protocol,
                nodePort: port.nodePort,
                appProtocol: port.appProtocol,
              })),
      },
    });
    late.applyTo(this);
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

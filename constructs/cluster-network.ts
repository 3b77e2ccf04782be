import { Construct, IConstruct } from 'constructs';
import { InputError } from '../src/model/errors';
import { Ledger } from '../src/model/ledger';
import { checkClusterIp, checkNodePort, NetworkLayout, resolveLayout } from '../src/model/layout';
import { assertProps, clusterNetworkPropsSchema, PropsOf } from '../src/model/props';

/**
 * Props of {@link ClusterNetwork}: the cluster's network layout, the cluster file's `network` (src/model/props.ts).
 * `nodeCidrMaskSize` only matters to the host side (node pod subnets); the construct accepts and ignores it.
 */
export type ClusterNetworkProps = PropsOf<typeof clusterNetworkPropsSchema>;

/**
 * The cluster's network layout as a construct. Put one in a chart and every netstrap construct below it checks its
 * addresses and ports against it: cluster IPs inside serviceCidr, NodePorts in range and unique, IPALLOC_RANGE
 * inside podCidr, the DNS Service at dnsServiceIp. It synthesizes nothing by itself.
 *
 * Invalid props throw an InputError naming each field and value.
 */
export class ClusterNetwork extends Construct {
  /** The nearest ClusterNetwork in `scope` or its ancestors' direct children, if any. */
  static find(scope: IConstruct): ClusterNetwork | undefined {
    for (let node: IConstruct | undefined = scope; node; node = node.node.scope) {
      if (node instanceof ClusterNetwork) return node;
      const found = node.node.children.find((child): child is ClusterNetwork => child instanceof ClusterNetwork);
      if (found) return found;
    }
    return undefined;
  }

  /** Like {@link find}, but throws when the scope has no ClusterNetwork. */
  static of(scope: IConstruct): ClusterNetwork {
    const found = ClusterNetwork.find(scope);
    if (!found) throw new Error(`${scope.node.path}: no ClusterNetwork in scope; add one to the chart first`);
    return found;
  }

  readonly layout: NetworkLayout;
  private readonly ledger = new Ledger();

  constructor(scope: Construct, id: string, props: ClusterNetworkProps) {
    super(scope, id);
    let resolved: ReturnType<typeof resolveLayout> | undefined;
    assertProps(clusterNetworkPropsSchema, props, `ClusterNetwork ${JSON.stringify(this.node.path)}`, () => {
      resolved = resolveLayout(props);
      return resolved.issues;
    });
    const { layout } = resolved!;
    this.layout = layout!;
    this.claimClusterIp(this.dnsServiceIp, 'the kube-dns Service (dnsServiceIp)');
  }

  get podCidr(): string {
    return this.layout.podCidr.toCidrString();
  }
  /** Every pod range, primary first (dual-stack: one IPv4 and one IPv6), canonical. */
  get podCidrs(): string[] {
    return this.layout.podCidrs.map((range) => range.text);
  }
  get serviceCidr(): string {
    return this.layout.serviceCidr.toCidrString();
  }
  get clusterDomain(): string {
    return this.layout.clusterDomain;
  }
  get dnsServiceIp(): string {
    return this.layout.dnsServiceIp.toString();
  }

  /** The DNS name of a Service: `<name>.<namespace>.svc.<clusterDomain>`. */
  serviceDnsName(name: string, namespace = 'default'): string {
    return `${name}.${namespace}.svc.${this.clusterDomain}`;
  }

  /** Reserves a cluster IP for `owner`; throws when it is outside serviceCidr or already taken. */
  claimClusterIp(ip: string, owner: string): void {
    const problem = checkClusterIp(this.layout, ip);
    const issue = problem
      ? { path: ['clusterIP'], message: problem }
      : this.ledger.claim('clusterIP', ip, owner, ['clusterIP']);
    if (issue) throw new InputError(owner, [issue]);
  }

  /** Reserves a NodePort for `owner`; throws when it is out of range or already taken. */
  claimNodePort(port: number, owner: string): void {
    const problem = checkNodePort(port);
    const issue = problem
      ? { path: ['nodePort'], message: problem }
      : this.ledger.claim('nodePort', port, owner, ['nodePort']);
    if (issue) throw new InputError(owner, [issue]);
  }
}

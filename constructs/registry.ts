/**
 * Bookkeeping shared by the constructs of one construct tree (one cdk8s App): the Services by `namespace/name`, so
 * Ingresses find their backends; the Ingress routes claimed; the ClusterNetwork each scope found. Kept in a construct
 * of the tree itself (a child of its root, rendering nothing), so it lives and dies with the app, and another app
 * starts empty: no module-level table keyed by constructs.
 */
import { Construct, type IConstruct } from 'constructs';

class Registry<T> extends Construct {
  readonly entries = new Map<string, T>();
}

/** The map called `name` of the construct tree `scope` is in (made empty on first use). */
export function treeRegistry<T>(scope: IConstruct, name: string): Map<string, T> {
  const root = scope.node.root;
  const found = root.node.tryFindChild(registryId(name)) as Registry<T> | undefined;
  return (found ?? new Registry<T>(root as Construct, registryId(name))).entries;
}

/** The same map when it exists, without adding anything to the tree (a lookup may run at synth, in a locked tree). */
export function findTreeRegistry<T>(scope: IConstruct, name: string): ReadonlyMap<string, T> | undefined {
  return (scope.node.root.node.tryFindChild(registryId(name)) as Registry<T> | undefined)?.entries;
}

function registryId(name: string): string {
  return `netstrap-registry-${name}`;
}

/**
 * Props whose per-object checks validateCluster() has already run: ClusterChart passes the entries of a validated
 * cluster file as `Checked` props, and the Service, Ingress and NetworkPolicy constructors then skip checking them
 * a second time (~0.2 s at 20 000 objects). The mark is a field of the props value itself, under a symbol that is
 * not exported from the package, so a library user's props are always checked. Cluster-wide claims (cluster IPs,
 * NodePorts, Ingress routes) are still made for every object.
 */
const CHECKED: unique symbol = Symbol('checked by validateCluster');

/** Props that validateCluster() has checked. */
export type Checked<T extends object> = T & { readonly [CHECKED]: true };

/** A copy of `props` marked as checked by validateCluster() (`props` is left as it is). */
export function markChecked<T extends object>(props: T): Checked<T> {
  return { ...props, [CHECKED]: true };
}

/** True for props made by {@link markChecked}; false for anything else, a JavaScript caller's string included. */
export function isChecked(props: unknown): boolean {
  return typeof props === 'object' && props !== null && CHECKED in props;
}

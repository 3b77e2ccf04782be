/**
 * Props objects whose per-object checks validateCluster() has already run: ClusterChart marks the entries of a
 * validated cluster file, and the Service, Ingress and NetworkPolicy constructors then skip checking them a second
 * time (~0.2 s at 20 000 objects). Internal: not exported from the package, so a library user's props are always
 * checked. Cluster-wide claims (cluster IPs, NodePorts, Ingress routes) are still made for every object.
 */
const checked = new WeakSet<object>();

/** Marks `props` as already checked by validateCluster(); returns it. */
export function markChecked<T extends object>(props: T): T {
  checked.add(props);
  return props;
}

/** True for props marked by {@link markChecked}. */
export function isChecked(props: object): boolean {
  return checked.has(props);
}

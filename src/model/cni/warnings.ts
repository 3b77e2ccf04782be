/** Warnings about the cluster's CNI choice: NetworkPolicies a CNI accepts but never enforces. */
import { show } from '../errors';
import type { Cluster } from '../schema';
import { conflistOf } from './types';

/** CNI plugins of a conflist that enforce NetworkPolicies themselves. */
export const POLICY_PLUGINS = ['calico', 'cilium-cni', 'antrea', 'kube-router'];

/**
 * Warnings for NetworkPolicies that the chosen CNI will not enforce: the bridge plugin and a conflist without a
 * policy plugin accept NetworkPolicy objects but never apply them, which silently leaves pods open.
 */
export function networkPolicyWarnings(cluster: Cluster): string[] {
  const policies = cluster.kubernetes.networkPolicies;
  if (policies.length === 0) return [];
  const { cni } = cluster;
  let what: string | undefined;
  if (cni.plugin === 'bridge') what = 'the bridge CNI plugin';
  if (cni.plugin === 'flannel') what = 'Flannel';
  if (
    cni.plugin === 'conflist' &&
    cni.conflist &&
    !conflistOf(cni.conflist).plugins.some((p) => POLICY_PLUGINS.includes(p.type))
  ) {
    what = `CNI conflist ${show(cni.conflist.name)} (${conflistOf(cni.conflist)
      .plugins.map((p) => p.type)
      .join(', ')})`;
  }
  if (!what) return [];
  const names = policies.map((p) => `${p.namespace}/${p.name}`).join(', ');
  return [
    `${what} does not enforce NetworkPolicies: ${policies.length === 1 ? 'NetworkPolicy' : 'NetworkPolicies'} ${names} will be accepted by the API server but have no effect`,
  ];
}

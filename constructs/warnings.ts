/**
 * Warnings a construct records instead of printing (constructs do no I/O): valid objects that will not do what
 * they seem to. cdk8s has no `Annotations`; construct metadata is its like. The app or the CLI prints them
 * (src/app.ts printChartWarnings).
 */
import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';

/** The metadata type of a netstrap warning. */
export const WARNING_METADATA = 'netstrap:warning';
/** The metadata a CNI construct that enforces no NetworkPolicy carries (its name, e.g. `Flannel`). */
export const ENFORCES_NO_POLICIES_METADATA = 'netstrap:enforces-no-network-policies';

/** Records a warning on `scope`. */
export function addWarning(scope: IConstruct, message: string): void {
  scope.node.addMetadata(WARNING_METADATA, message);
}

/**
 * Every warning recorded on `scope` and the constructs under it, in construct order; then what only the whole tree
 * shows (computed here, when asked, as constructs may be added in any order): NetworkPolicies next to a CNI
 * construct that does not enforce them (Flannel), unless a warning says so already (a ClusterChart's does).
 */
export function warningsOf(scope: IConstruct): string[] {
  const all = scope.node.findAll();
  const recorded = all
    .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === WARNING_METADATA))
    .map((entry) => String(entry.data));
  const cni = all.flatMap((construct) =>
    construct.node.metadata.filter((entry) => entry.type === ENFORCES_NO_POLICIES_METADATA).map((e) => String(e.data)),
  );
  const policies = all
    .filter((construct): construct is ApiObject => construct instanceof ApiObject && construct.kind === 'NetworkPolicy')
    .map((policy) => `${policy.metadata.namespace ?? 'default'}/${policy.metadata.name}`);
  if (cni.length === 0 || policies.length === 0 || recorded.some((w) => w.includes('does not enforce')))
    return recorded;
  return [
    ...recorded,
    `${cni[0]} does not enforce NetworkPolicies: ${policies.length === 1 ? 'NetworkPolicy' : 'NetworkPolicies'} ${policies.join(', ')} will be accepted by the API server but have no effect`,
  ];
}

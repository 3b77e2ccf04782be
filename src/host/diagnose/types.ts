/**
 * The shapes of `netstrap diagnose`: a Finding (one check's verdict about one node, or about several nodes for
 * what spans them), and the view each pure check gets (the cluster model plus what was read from the nodes).
 */
import type { ClusterModel } from '../../model/load';
import type { ClusterNode } from '../../model/schema';
import type { FactSet } from '../fact';
import type { NodeView } from './read';

export type Severity = 'ok' | 'warn' | 'fail';

/** One verdict. The JSON shape is documented in the README (section "netstrap diagnose"). */
export interface Finding {
  /** The check's id, e.g. `forwarding.ip-forward` or `cni.plugins`. */
  readonly check: string;
  readonly severity: Severity;
  /** What was seen, naming the node, the observed and the expected values. */
  readonly message: string;
  /** What to do: a cluster-file change, "run `netstrap bootstrap`", or the command that removes a foreign object. */
  readonly fix: string;
  readonly observed?: string;
  readonly expected?: string;
  /** For findings that span nodes (a duplicate address, an MTU mismatch on a LAN): the nodes involved. */
  readonly nodes?: ReadonlyArray<string>;
}

/** What one node gave: its facts (for the provisioner's planning code) and their parsed view. */
export interface NodeRead {
  readonly node: ClusterNode;
  /** Index of the node in cluster.nodes, for cluster-file paths in fixes (`nodes[2].routes`). */
  readonly index: number;
  readonly facts: FactSet;
  readonly view: NodeView;
}

/** What every per-node check gets: the model, this node's read, and every node that could be read. */
export interface CheckInput {
  readonly model: ClusterModel;
  readonly self: NodeRead;
  readonly all: ReadonlyArray<NodeRead>;
}

/** A per-node check group: a pure function from facts + model to findings about that node. */
export type NodeCheck = (input: CheckInput) => Finding[];

/** A check across nodes (its findings carry `nodes`). */
export type ClusterCheck = (model: ClusterModel, all: ReadonlyArray<NodeRead>) => Finding[];

/** Finding builders: shorter call sites. */
export const ok = (check: string, message: string, extra: Partial<Finding> = {}): Finding => ({
  check,
  severity: 'ok',
  message,
  fix: '',
  ...extra,
});
export const warn = (check: string, message: string, fix: string, extra: Partial<Finding> = {}): Finding => ({
  check,
  severity: 'warn',
  message,
  fix,
  ...extra,
});
export const fail = (check: string, message: string, fix: string, extra: Partial<Finding> = {}): Finding => ({
  check,
  severity: 'fail',
  message,
  fix,
  ...extra,
});

export const RUN_BOOTSTRAP = 'run `netstrap bootstrap`';

/** Kubernetes nodes are control-plane and worker nodes; `host` nodes (routers, bastions) are not. */
export { isKubernetesNode } from '../../model/pod-subnets';

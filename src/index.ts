// The public API of netstrap: constructs, the cluster-file model, and the host provisioner.
export * from '../constructs/cluster-network';
export * from '../constructs/cluster-chart';
export * from '../constructs/core-dns';
export * from './model/corefile/model';
export * from './model/corefile/parse';
export * from './model/corefile/render';
export * from './model/corefile/validate';
export * from '../constructs/weave-net';
export * from '../constructs/flannel';
export * from '../constructs/ingress-nginx';
export * from '../constructs/service';
export * from '../constructs/network-policy';
export * from '../constructs/ingress';
export * from '../constructs/cni-config';
export * from '../constructs/cni-installer';
export * from '../constructs/kube-proxy';
export * from './model/cni';
export * from './model/meta';
export { buildApp, printChartWarnings, printSynthWarnings } from './app';
export { addWarning, warningsOf } from '../constructs/warnings';
export { InputError, type Issue, formatPath } from './model/errors';
export { loadClusterFile, parseClusterText, checkCluster, type ClusterModel } from './model/load';
export { resolveLayout, type NetworkLayout, type NetworkLayoutInput } from './model/layout';
export * from './model/schema';
// Questions about a loaded cluster file or Kubernetes objects, as pure functions (what `netstrap trace`, `netpol can`,
// `netpol matrix`, `netpol list` and `graph` answer): for code and for unit tests of intent.
export { traceCluster, type TraceResult, type TraceHop } from './model/trace';
export {
  netpolAnalysis,
  netpolCan,
  netpolMatrix,
  netpolList,
  type NetpolSource,
  type NetpolQuery,
  type NetpolVerdict,
  type ConnectionRow,
} from './model/netpol/api';
export type { NetpolAnalysis } from './model/netpol/analyze';
export type { Protocol as NetpolProtocol } from './model/netpol/inventory';
export {
  topologyGraph,
  type TopologyGraph,
  type GraphLan,
  type GraphNode,
  type GraphInterface,
  type GraphBridge,
  type GraphNamespace,
  type GraphWorkload,
  type GraphExternal,
  type GraphConnection,
} from './model/graph';
// Host provisioner: plan / bootstrap / verify a cluster file's nodes over SSH.
export {
  planCluster,
  bootstrapCluster,
  verifyCluster,
  type ClusterResult,
  type HostResult,
  type HostStatus,
  type ProvisionOptions,
} from './host/provision';
export type { ProbeResult } from './host/verify';
// Staged rollout (ProvisionOptions.serial / maxFail): `bootstrap --serial` and `--max-fail` as values.
export { parseSerial, parseMaxFail, rolloutBatches, type SerialItem, type MaxFail } from './host/rollout';
export type { SshOptions, Connector, Transport, RunResult } from './host/ssh';
export { FactSet, fact } from './host/fact';
export type { Fact, FactReader } from './host/fact';
export type { Change, Command, ResourceKind } from './host/types';
// Host resource kinds (pass a subset as ProvisionOptions.kinds); each kind's module documents its facts and reverts.
export { resourceKinds } from './host/resources';
export { formatPlan, formatSummary, resultJson } from './host/report';
// Diagnose: read each node once and check it against the cluster file (what `netstrap diagnose` prints).
export {
  diagnoseCluster,
  type DiagnoseOptions,
  type DiagnoseReport,
  type NodeReport,
  type Finding,
  type Severity,
} from './host/diagnose';

/** Builds inventories for netpol tests from plain Kubernetes objects, through the real manifest reader. */
import { NetpolAnalysis } from '../../../src/model/netpol/analyze';
import { emptyInventory, finishInventory, Inventory } from '../../../src/model/netpol/inventory';
import { addManifests, manifestDocuments } from '../../../src/model/netpol/manifests';

export type K8sObject = Record<string, any>;

export function inventoryOf(
  objects: K8sObject[],
  extra: Partial<Pick<Inventory, 'podCidr' | 'serviceCidr' | 'podCidrs' | 'serviceCidrs'>> = {},
): Inventory {
  const inventory = { ...emptyInventory(), ...extra };
  addManifests(inventory, manifestDocuments(objects, 'test.yaml'));
  return finishInventory(inventory);
}

export function analysisOf(
  objects: K8sObject[],
  extra: Partial<Pick<Inventory, 'podCidr' | 'serviceCidr' | 'podCidrs' | 'serviceCidrs'>> = {},
): NetpolAnalysis {
  return new NetpolAnalysis(inventoryOf(objects, extra));
}

export const namespace = (name: string, labels: Record<string, string> = {}): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});

export function pod(
  ns: string,
  name: string,
  labels: Record<string, string>,
  ports: Array<{ name?: string; containerPort: number; protocol?: string }> = [],
  ip?: string,
): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'agnhost', ports }] },
    ...(ip ? { status: { podIP: ip } } : {}),
  };
}

export function policy(ns: string, name: string, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

/** `can` between two workload keys. */
export function can(
  analysis: NetpolAnalysis,
  from: string,
  to: string,
  port: number,
  protocol: 'TCP' | 'UDP' | 'SCTP' = 'TCP',
): boolean {
  const s = analysis.findWorkload(from);
  const d = analysis.findWorkload(to);
  if (s === undefined || d === undefined) throw new Error(`unknown workload ${from} or ${to}`);
  return analysis.can({ workload: s }, { workload: d }, port, protocol).allowed;
}

/**
 * Issue 24: a NetworkPolicy that keeps the ingress controller from an Ingress's backend is accepted by the API server
 * and silently turns the Ingress into timeouts. For each backend of each Ingress (rules' paths and defaultBackend),
 * the controller's pods (namespace ingress-nginx, the labels constructs/ingress-nginx.ts gives them, or a workload
 * declared there with them) must be able to open a connection to the pods behind the backend Service on its target
 * port, under every policy of the input (./analyze.ts). The pods behind a Service are the declared workloads its
 * selector matches, or, when none is declared, stand-in pods carrying exactly the selector's labels. Nothing is said
 * when the CNI does not enforce NetworkPolicies (bridge, Flannel, a conflist without a policy plugin).
 */
import type { Issue } from '../errors';
import type { Cluster } from '../schema';
import { networkPolicyWarnings } from '../cni';
import { NetpolAnalysis, type Verdict } from './analyze';
import { clusterInventory } from './cluster';
import { compileSelector, NAMESPACE_NAME_LABEL, type Protocol, type Workload } from './inventory';

/** The ingress-nginx controller's pods as constructs/ingress-nginx.ts synthesizes them. */
export const INGRESS_NGINX_CONTROLLER = {
  namespace: 'ingress-nginx',
  /** The Namespace's own labels (besides kubernetes.io/metadata.name). */
  namespaceLabels: { 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx' },
  /** The labels the controller pods are selected by (the Deployment's or DaemonSet's selector). */
  podSelector: {
    'app.kubernetes.io/component': 'controller',
    'app.kubernetes.io/instance': 'ingress-nginx',
    'app.kubernetes.io/name': 'ingress-nginx',
  },
} as const;

/** What a warning needs of one Ingress backend: where it is and the Service port it names. */
interface Backend {
  readonly at: ReadonlyArray<string | number>;
  readonly namespace: string;
  readonly service: string;
  readonly port: number | string;
}

/** The warnings of a checked cluster file whose ingress controller is netstrap's ingress-nginx. */
export function ingressBackendWarnings(cluster: Cluster, file = 'cluster file'): Issue[] {
  const k = cluster.kubernetes;
  if (cluster.ingressController.provider !== 'ingress-nginx') return [];
  if (k.networkPolicies.length === 0 || k.ingresses.length === 0) return [];
  // A CNI that does not enforce policies blocks nothing (that is a warning of its own: ../cni/warnings.ts).
  if (networkPolicyWarnings(cluster).length > 0) return [];
  const backends: Backend[] = [];
  k.ingresses.forEach((ingress, i) => {
    const at = ['kubernetes', 'ingresses', i];
    const add = (where: ReadonlyArray<string | number>, backend: { service: unknown; port: number | string }) => {
      if (typeof backend.service !== 'string') return; // a backend in another namespace is not an Ingress of this file's
      backends.push({
        at: [...at, ...where],
        namespace: ingress.namespace,
        service: backend.service,
        port: backend.port,
      });
    };
    if (ingress.defaultBackend) add(['defaultBackend'], ingress.defaultBackend);
    (ingress.rules ?? []).forEach((rule, j) =>
      rule.paths.forEach((entry, p) => add(['rules', j, 'paths', p, 'backend'], entry.backend)),
    );
  });
  const services = new Map(k.services.map((s) => [`${s.namespace}/${s.name}`, s] as const).reverse());

  // The inventory: the file's namespaces, workloads and policies, plus stand-ins for what it does not declare.
  const inventory = clusterInventory(cluster, file);
  const workloads = [...inventory.workloads];
  const namespaces = new Map(inventory.namespaces);
  const ns = INGRESS_NGINX_CONTROLLER.namespace;
  namespaces.set(ns, {
    ...INGRESS_NGINX_CONTROLLER.namespaceLabels,
    ...namespaces.get(ns),
    [NAMESPACE_NAME_LABEL]: ns,
  });
  const controllerMatch = compileSelector({ matchLabels: INGRESS_NGINX_CONTROLLER.podSelector });
  if (!workloads.some((w) => w.namespace === ns && controllerMatch(w.labels)))
    workloads.push(standIn(ns, 'ingress-nginx-controller', INGRESS_NGINX_CONTROLLER.podSelector));
  for (const service of services.values()) {
    if (!service.selector || Object.keys(service.selector).length === 0) continue;
    const match = compileSelector({ matchLabels: service.selector });
    if (workloads.some((w) => w.namespace === service.namespace && match(w.labels))) continue;
    if (!namespaces.has(service.namespace))
      namespaces.set(service.namespace, { [NAMESPACE_NAME_LABEL]: service.namespace });
    workloads.push(standIn(service.namespace, `${service.name} (pods of Service ${service.name})`, service.selector));
  }
  const analysis = new NetpolAnalysis({ ...inventory, namespaces, workloads });
  const index = (w: Workload) => analysis.workloads.indexOf(w);
  const controllers = analysis.workloads.filter((w) => w.namespace === ns && controllerMatch(w.labels)).map(index);

  const out: Issue[] = [];
  for (const backend of backends) {
    const service = services.get(`${backend.namespace}/${backend.service}`);
    const servicePort = service?.ports?.find((p) =>
      typeof backend.port === 'number' ? p.port === backend.port : p.name === backend.port,
    );
    if (!service?.selector || Object.keys(service.selector).length === 0 || !servicePort) continue;
    const protocol = (servicePort.protocol ?? 'TCP') as Protocol;
    const match = compileSelector({ matchLabels: service.selector });
    for (const [d, pods] of analysis.workloads.entries()) {
      if (pods.namespace !== backend.namespace || !match(pods.labels)) continue;
      const target = servicePort.targetPort ?? servicePort.port;
      const port =
        typeof target === 'number'
          ? target
          : pods.ports.find((p) => p.name === target && p.protocol === protocol)?.port;
      if (port === undefined) continue; // a named target port these pods do not define: nothing to analyse
      const denied = controllers
        .map((c) => analysis.can({ workload: c }, { workload: d }, port, protocol))
        .find((verdict) => !verdict.allowed);
      if (denied)
        out.push({
          path: backend.at,
          severity: 'warning',
          message: deniedMessage(denied, pods, port, protocol, backend),
        });
    }
  }
  return out;
}

/** `NetworkPolicy ns/name denies ingress-nginx → ns/app:port (…); allow it with …`. */
function deniedMessage(verdict: Verdict, pods: Workload, port: number, protocol: Protocol, backend: Backend): string {
  const side = !verdict.ingress.allowed ? verdict.ingress : verdict.egress;
  const names = side.policies.map((p) => `${p.namespace}/${p.name}`);
  const who = `NetworkPolicy${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'deny' : 'denies'}`;
  const target = `${pods.namespace}/${pods.name.split(' ')[0]}:${port}`;
  const behind = `pods of Service ${backend.namespace}/${backend.service}, ${pods.source === 'stand-in' ? `selector ${formatLabels(pods.labels)}` : `workload ${pods.key}`}`;
  const fix = !verdict.ingress.allowed
    ? `allow it with an ingress rule in ${pods.namespace}: from namespaceSelector ${NAMESPACE_NAME_LABEL}=${INGRESS_NGINX_CONTROLLER.namespace} + podSelector app.kubernetes.io/name=ingress-nginx, ports ${protocol} ${port}`
    : `allow the controller's egress in ${INGRESS_NGINX_CONTROLLER.namespace}: to namespaceSelector ${NAMESPACE_NAME_LABEL}=${pods.namespace} + podSelector ${formatLabels(pods.labels)}, ports ${protocol} ${port}`;
  return `${who} ingress-nginx → ${target} (${behind}): the Ingress's requests to this backend will time out; ${fix}`;
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Pods the file does not declare, with the labels they are known to carry. */
function standIn(namespace: string, name: string, labels: Readonly<Record<string, string>>): Workload {
  return {
    key: `${namespace}/${name}`,
    kind: 'Deployment',
    name,
    namespace,
    labels,
    ports: [],
    ips: [],
    source: 'stand-in',
  };
}

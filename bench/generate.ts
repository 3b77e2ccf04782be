/**
 * Generated cluster files for the synth benchmark: N Kubernetes objects, half Services, 30 % NetworkPolicies and
 * 20 % Ingresses, spread over ten namespaces. Every file passes `netstrap validate`: NodePorts and fixed cluster
 * IPs are unique, every Ingress backend names a generated Service of its namespace with one of that Service's
 * ports, and no two Ingress rules claim the same host + path. Add-ons are switched off so that the three synth
 * variants produce exactly the same N objects.
 */
import { dump } from 'js-yaml';
import { nthAddress, parseNetwork } from '../src/model/cidr';
import { NODE_PORT_RANGE } from '../src/model/layout';
import { ClusterInput } from '../src/model/schema';

type Kubernetes = NonNullable<ClusterInput['kubernetes']>;
export type ServiceInput = NonNullable<Kubernetes['services']>[number];
export type NetworkPolicyInput = NonNullable<Kubernetes['networkPolicies']>[number];
export type IngressInput = NonNullable<Kubernetes['ingresses']>[number];

export const SERVICE_CIDR = '10.96.0.0/12';
const NAMESPACES = 10;

/** How many objects of each kind a file of `n` objects holds (they add up to n). */
export function mix(n: number): { services: number; networkPolicies: number; ingresses: number } {
  const ingresses = Math.floor(n / 5);
  const networkPolicies = Math.floor((n * 3) / 10);
  return { services: n - ingresses - networkPolicies, networkPolicies, ingresses };
}

/** The generated cluster (as written in a cluster file, before defaults). */
export function generateCluster(n: number): ClusterInput {
  const counts = mix(n);
  const serviceRange = parseNetwork(SERVICE_CIDR);
  if (!serviceRange.ok) throw new Error(serviceRange.error);
  const nodePorts = NODE_PORT_RANGE.max - NODE_PORT_RANGE.min + 1;

  const services: ServiceInput[] = [];
  for (let i = 0; i < counts.services; i++) {
    const namespace = `team-${i % NAMESPACES}`;
    const name = `svc-${i}`;
    const selector = { app: `app-${i}`, tier: i % 2 === 0 ? 'web' : 'api' };
    const kind = i % 10;
    if (i % 11 === 10) {
      services.push({ name, namespace, type: 'ExternalName', externalName: `db-${i}.example.com` });
      continue;
    }
    const ports = [
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' as const },
      { name: 'metrics', port: 9090, targetPort: 'metrics' },
    ];
    // Every 5th Service is a NodePort while unique ports last; every 3rd ClusterIP has a fixed address.
    if (kind % 5 === 0 && Math.floor(i / 5) < nodePorts) {
      services.push({
        name,
        namespace,
        type: 'NodePort',
        selector,
        ports: [{ ...ports[0], nodePort: NODE_PORT_RANGE.min + Math.floor(i / 5) }],
      });
    } else if (kind === 7) {
      services.push({
        name,
        namespace,
        type: 'LoadBalancer',
        selector,
        externalTrafficPolicy: 'Local',
        ports: [ports[0]],
      });
    } else if (i % 3 === 0) {
      services.push({
        name,
        namespace,
        type: 'ClusterIP',
        selector,
        clusterIP: nthAddress(serviceRange.value, 1000 + i).toString(),
        ports,
      });
    } else {
      services.push({
        name,
        namespace,
        type: 'ClusterIP',
        selector,
        labels: { 'app.kubernetes.io/part-of': 'bench' },
        ports,
      });
    }
  }

  const networkPolicies: NetworkPolicyInput[] = [];
  for (let i = 0; i < counts.networkPolicies; i++) {
    networkPolicies.push({
      name: `np-${i}`,
      namespace: `team-${i % NAMESPACES}`,
      podSelector: { matchLabels: { app: `app-${i}` } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
            {
              namespaceSelector: { matchLabels: { project: `p-${i % 7}` } },
              podSelector: { matchLabels: { role: 'frontend' } },
            },
            { podSelector: { matchLabels: { role: 'client' } } },
          ],
          ports: [{ protocol: 'TCP', port: 6379 }],
        },
      ],
      egress: [
        {
          to: [{ ipBlock: { cidr: '10.0.0.0/24' } }],
          ports: [{ protocol: 'TCP', port: 5978, endPort: 5990 }],
        },
      ],
    });
  }

  // Ingress i routes to two Services of its namespace (ExternalName Services have no ports: skip them).
  const routable = services.filter((s) => s.type !== 'ExternalName');
  const ingresses: IngressInput[] = [];
  for (let i = 0; i < counts.ingresses; i++) {
    const namespace = `team-${i % NAMESPACES}`;
    const a = pick(routable, namespace, i);
    const b = pick(routable, namespace, i + 1);
    const host = `app-${i}.bench.example.com`;
    ingresses.push({
      name: `ing-${i}`,
      namespace,
      ingressClassName: 'nginx',
      ...(i % 2 === 0 ? { rewriteTarget: '/' } : {}),
      tls: [{ hosts: [host], secretName: `tls-${i}` }],
      rules: [
        {
          host,
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: a.name, port: a.ports![0].port } },
            { path: '/api', pathType: 'Exact', backend: { service: b.name, port: b.ports![0].port } },
          ],
        },
      ],
    });
  }

  return {
    name: `bench-${n}`,
    network: { podCidr: '10.244.0.0/16', serviceCidr: SERVICE_CIDR, clusterDomain: 'cluster.local' },
    cni: { plugin: 'none' },
    dns: { provider: 'none' },
    ingressController: { provider: 'none' },
    kubernetes: { services, networkPolicies, ingresses },
  };
}

/** The `k`-th routable Service of `namespace` (wrapping around), found without scanning the whole list. */
function pick(routable: ServiceInput[], namespace: string, k: number): ServiceInput {
  const byNamespace = indexByNamespace(routable);
  const list = byNamespace.get(namespace)!;
  return list[k % list.length];
}

const indexCache = new WeakMap<ServiceInput[], Map<string, ServiceInput[]>>();
function indexByNamespace(services: ServiceInput[]): Map<string, ServiceInput[]> {
  let index = indexCache.get(services);
  if (!index) {
    index = new Map();
    for (const s of services) {
      const ns = s.namespace ?? 'default';
      if (!index.has(ns)) index.set(ns, []);
      index.get(ns)!.push(s);
    }
    indexCache.set(services, index);
  }
  return index;
}

/** The cluster file text of {@link generateCluster}. */
export function generateClusterText(n: number): string {
  return `# Generated by bench/generate.ts: ${n} Kubernetes objects.\n${dump(generateCluster(n), { lineWidth: -1 })}`;
}

/**
 * CoreDNS as kubeadm installs it (cmd/kubeadm/app/phases/addons/dns, Kubernetes v1.27–v1.30): ServiceAccount,
 * ClusterRole and ClusterRoleBinding `system:coredns`, ConfigMap `coredns` with the Corefile, Deployment `coredns`
 * and the `kube-dns` Service on the network layout's DNS address, all in kube-system.
 *
 * The Corefile is a typed model (src/corefile) checked before synthesis: CoreDNS has no config checker and a bad
 * Corefile only shows up as crash-looping pods. See test/constructs/core-dns.test.ts for the fidelity check.
 */
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { KUBEADM_STYLE, renderCorefile } from '../src/model/corefile/render';
import { ClusterNetwork } from './cluster-network';
import { familyName } from '../src/model/layout';

// The checks and plain types live in src/model/checks/core-dns.ts (no cdk8s, so validating a cluster file stays
// light); re-exported here so the construct's API is unchanged.
export {
  type CoreDnsProps,
  checkCoreDnsProps,
} from '../src/model/checks/core-dns';
import { CoreDnsProps, checkCoreDnsProps, defaultCorefile } from '../src/model/checks/core-dns';
import { assertProps, coreDnsPropsSchema } from '../src/model/props';

const REGISTRY_IMAGE = 'registry.k8s.io/coredns/coredns';
const DEFAULT_VERSION = 'v1.10.1';
const NAMESPACE = 'kube-system';
const LABELS = { 'k8s-app': 'kube-dns' };

/**
 * CoreDNS for a cluster, as kubeadm v1.27–v1.30 installs it. With a {@link ClusterNetwork} in scope the Service
 * takes its dnsServiceIp (already reserved by the ClusterNetwork) and the Corefile its cluster domain.
 * Invalid props, including every Corefile problem, throw an InputError naming each field and value.
 */
export class CoreDns extends Construct {
  /** The Corefile text shipped in the ConfigMap. */
  readonly corefileText: string;
  readonly service: k8s.KubeService;
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: CoreDnsProps = {}) {
    super(scope, id);
    const layout = ClusterNetwork.find(this)?.layout;
    assertProps(coreDnsPropsSchema, props, `CoreDns ${JSON.stringify(this.node.path)}`, () =>
      checkCoreDnsProps(props, layout),
    );
    const clusterDomain = layout?.clusterDomain ?? props.clusterDomain ?? 'cluster.local';
    const dnsServiceIp = layout?.dnsServiceIp.toString() ?? props.dnsServiceIp!;
    const style = props.corefileStyle ?? KUBEADM_STYLE;
    this.corefileText =
      typeof props.corefile === 'string'
        ? props.corefile
        : renderCorefile(props.corefile ?? defaultCorefile(props, clusterDomain), style);

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: { name: 'coredns', namespace: NAMESPACE } });
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: 'system:coredns' },
      rules: [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name: 'system:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: NAMESPACE }],
    });
    new k8s.KubeConfigMap(this, 'config-map', {
      metadata: { name: 'coredns', namespace: NAMESPACE },
      data: { Corefile: this.corefileText },
    });
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: 'coredns', namespace: NAMESPACE, labels: LABELS },
      spec: {
        replicas: props.replicas ?? 2,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        selector: { matchLabels: LABELS },
        template: {
          metadata: { labels: LABELS },
          spec: {
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: 'coredns',
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }] },
                      topologyKey: 'kubernetes.io/hostname',
                    },
                  },
                ],
              },
            },
            tolerations: [
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              // So that DNS runs before any worker joins (kubeadm's {{ .ControlPlaneTaintKey }}).
              { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
            ],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [
              {
                name: 'coredns',
                image: props.image ?? `${REGISTRY_IMAGE}:${props.version ?? DEFAULT_VERSION}`,
                imagePullPolicy: 'IfNotPresent',
                resources: {
                  limits: { memory: k8s.Quantity.fromString('170Mi') },
                  requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('70Mi') },
                },
                args: ['-conf', '/etc/coredns/Corefile'],
                volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
                ports: [
                  { containerPort: 53, name: 'dns', protocol: 'UDP' },
                  { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                  { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
                ],
                livenessProbe: {
                  httpGet: { path: '/health', port: k8s.IntOrString.fromNumber(8080), scheme: 'HTTP' },
                  initialDelaySeconds: 60,
                  timeoutSeconds: 5,
                  successThreshold: 1,
                  failureThreshold: 5,
                },
                readinessProbe: { httpGet: { path: '/ready', port: k8s.IntOrString.fromNumber(8181), scheme: 'HTTP' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                  readOnlyRootFilesystem: true,
                },
              },
            ],
            dnsPolicy: 'Default',
            volumes: [
              { name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } },
            ],
          },
        },
      },
    });
    this.service = new k8s.KubeService(this, 'service', {
      metadata: {
        name: 'kube-dns',
        namespace: NAMESPACE,
        labels: { ...LABELS, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
        annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      },
      spec: {
        clusterIp: dnsServiceIp,
        // Dual-stack service ranges: kube-dns gets an address of each family (the primary one is dnsServiceIp).
        ...(layout && layout.serviceCidrs.length > 1
          ? { ipFamilyPolicy: 'RequireDualStack', ipFamilies: layout.serviceCidrs.map(familyName) }
          : {}),
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: k8s.IntOrString.fromNumber(53) },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: k8s.IntOrString.fromNumber(53) },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: k8s.IntOrString.fromNumber(9153) },
        ],
        selector: LABELS,
      },
    });
  }
}

/**
 * ingress-nginx: the Kubernetes community NGINX ingress controller, as its static `deploy.yaml` (19 objects).
 *
 * With default props the output equals upstream's controller v1.8.2 manifest for the chosen provider flavor
 * (`deploy/static/provider/{cloud,baremetal}/deploy.yaml`, see test/constructs/ingress-nginx.test.ts). The code
 * is split like the manifest: RBAC, the controller (ConfigMap, Services, Deployment, IngressClass) and the
 * admission webhook (certificate Jobs, ValidatingWebhookConfiguration). Rule lists are upstream data, kept as
 * constant tables.
 */
import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ClusterNetwork } from './cluster-network';

// The checks and plain types live in src/model/checks/ingress-nginx.ts (no cdk8s, so validating a cluster file stays
// light); re-exported here so the construct's API is unchanged.
export {
  type IngressNginxFlavor,
  type IngressNginxServiceType,
  type IngressNginxNodePorts,
  type IngressNginxProps,
  checkIngressNginxProps,
} from '../src/model/checks/ingress-nginx';
import {
  IngressNginxFlavor,
  IngressNginxServiceType,
  IngressNginxProps,
  checkIngressNginxProps,
  serviceTypeOf,
} from '../src/model/checks/ingress-nginx';
import { assertProps, ingressNginxPropsSchema } from '../src/model/props';
import { INGRESS_NGINX_CONTROLLER } from '../src/model/netpol/ingress-reach';
import { LateMaps } from './late-maps';

const NAMESPACE = 'ingress-nginx';
const NAME = 'ingress-nginx';
const CONTROLLER = 'ingress-nginx-controller';
const ADMISSION = 'ingress-nginx-admission';
const ADMISSION_SERVICE = 'ingress-nginx-controller-admission';
const CLASS_NAME = 'nginx';
const CONTROLLER_CLASS = 'k8s.io/ingress-nginx';
const DEFAULT_VERSION = '1.8.2';
const IMAGES_1_8_2 = {
  controller:
    'registry.k8s.io/ingress-nginx/controller:v1.8.2@sha256:74834d3d25b336b62cabeb8bf7f1d788706e2cf1cfd64022de4137ade8881ff2',
  certgen:
    'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v20230407@sha256:543c40fd093964bc9ab509d3e791f9989963021f1e9e4c9c7b6700b02bfb227b',
};

/** Everything the builders need, resolved from the props once. */
interface Settings {
  readonly flavor: IngressNginxFlavor;
  readonly version: string;
  readonly controllerImage: string;
  readonly certgenImage: string;
  readonly serviceType: IngressNginxServiceType;
  readonly props: IngressNginxProps;
}

/** Upstream's label sets: `part-of` and `version` on every object but the Namespace, `component` on most. */
function labels(s: Settings, component?: 'controller' | 'admission-webhook'): Record<string, string> {
  return {
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
    'app.kubernetes.io/instance': NAME,
    'app.kubernetes.io/name': NAME,
    'app.kubernetes.io/part-of': NAME,
    'app.kubernetes.io/version': s.version,
  };
}

/** The labels the controller pods are selected by (the model's NetworkPolicy check reads the same ones). */
const CONTROLLER_SELECTOR = { ...INGRESS_NGINX_CONTROLLER.podSelector };

const GET_LIST_WATCH = ['get', 'list', 'watch'];
const LIST_WATCH_GET = ['list', 'watch', 'get'];

/** Namespaced rules of the controller (upstream's Role ingress-nginx). */
const CONTROLLER_ROLE_RULES: k8s.PolicyRule[] = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
  { apiGroups: [''], resources: ['configmaps', 'pods', 'secrets', 'endpoints'], verbs: GET_LIST_WATCH },
  { apiGroups: [''], resources: ['services'], verbs: GET_LIST_WATCH },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: GET_LIST_WATCH },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: GET_LIST_WATCH },
  // Leader election through a Lease of a fixed name (matches --election-id).
  {
    apiGroups: ['coordination.k8s.io'],
    resourceNames: ['ingress-nginx-leader'],
    resources: ['leases'],
    verbs: ['get', 'update'],
  },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: LIST_WATCH_GET },
];

/** Cluster-wide rules of the controller (upstream's ClusterRole ingress-nginx). */
const CONTROLLER_CLUSTER_RULES: k8s.PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['configmaps', 'endpoints', 'nodes', 'pods', 'secrets', 'namespaces'],
    verbs: ['list', 'watch'],
  },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
  { apiGroups: [''], resources: ['services'], verbs: GET_LIST_WATCH },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: GET_LIST_WATCH },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: GET_LIST_WATCH },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: LIST_WATCH_GET },
];

/** The certgen Jobs write the webhook's certificate Secret and patch the webhook configuration's CA bundle. */
const ADMISSION_ROLE_RULES: k8s.PolicyRule[] = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create'] }];
const ADMISSION_CLUSTER_RULES: k8s.PolicyRule[] = [
  {
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['validatingwebhookconfigurations'],
    verbs: ['get', 'update'],
  },
];

/** ServiceAccounts, Roles, ClusterRoles and their bindings, for the controller and for the admission Jobs. */
function rbac(scope: Construct, s: Settings): void {
  const subject = (name: string): k8s.Subject[] => [{ kind: 'ServiceAccount', name, namespace: NAMESPACE }];
  const roleRef = (kind: string, name: string): k8s.RoleRef => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
  const meta = (
    name: string,
    component?: 'controller' | 'admission-webhook',
    namespaced = true,
  ): ApiObjectMetadata => ({ labels: labels(s, component), name, namespace: namespaced ? NAMESPACE : undefined });

  new k8s.KubeServiceAccount(scope, 'controller-service-account', {
    automountServiceAccountToken: true,
    metadata: meta(NAME, 'controller'),
  });
  new k8s.KubeServiceAccount(scope, 'admission-service-account', { metadata: meta(ADMISSION, 'admission-webhook') });
  new k8s.KubeRole(scope, 'controller-role', { metadata: meta(NAME, 'controller'), rules: CONTROLLER_ROLE_RULES });
  new k8s.KubeRole(scope, 'admission-role', {
    metadata: meta(ADMISSION, 'admission-webhook'),
    rules: ADMISSION_ROLE_RULES,
  });
  new k8s.KubeClusterRole(scope, 'controller-cluster-role', {
    metadata: meta(NAME, undefined, false),
    rules: CONTROLLER_CLUSTER_RULES,
  });
  new k8s.KubeClusterRole(scope, 'admission-cluster-role', {
    metadata: meta(ADMISSION, 'admission-webhook', false),
    rules: ADMISSION_CLUSTER_RULES,
  });
  new k8s.KubeRoleBinding(scope, 'controller-role-binding', {
    metadata: meta(NAME, 'controller'),
    roleRef: roleRef('Role', NAME),
    subjects: subject(NAME),
  });
  new k8s.KubeRoleBinding(scope, 'admission-role-binding', {
    metadata: meta(ADMISSION, 'admission-webhook'),
    roleRef: roleRef('Role', ADMISSION),
    subjects: subject(ADMISSION),
  });
  new k8s.KubeClusterRoleBinding(scope, 'controller-cluster-role-binding', {
    metadata: meta(NAME, undefined, false),
    roleRef: roleRef('ClusterRole', NAME),
    subjects: subject(NAME),
  });
  new k8s.KubeClusterRoleBinding(scope, 'admission-cluster-role-binding', {
    metadata: meta(ADMISSION, 'admission-webhook', false),
    roleRef: roleRef('ClusterRole', ADMISSION),
    subjects: subject(ADMISSION),
  });
}

/** The controller: its ConfigMap, its two Services, the Deployment and the IngressClass it serves. */
function controller(scope: Construct, s: Settings): { service: k8s.KubeService; deployment: k8s.KubeDeployment } {
  const { props } = s;
  const metadata = { labels: labels(s, 'controller'), namespace: NAMESPACE };
  const late = new LateMaps();
  const configMap = new k8s.KubeConfigMap(scope, 'controller-config', {
    data: late.map({ 'allow-snippet-annotations': 'true', ...props.config }, '/data'),
    metadata: { ...metadata, name: CONTROLLER },
  });
  late.applyTo(configMap);

  const exposed = s.serviceType !== 'ClusterIP';
  const service = new k8s.KubeService(scope, 'controller-service', {
    metadata: { ...metadata, name: CONTROLLER },
    spec: {
      // Local keeps the client source address on cloud load balancers (not valid for ClusterIP).
      externalTrafficPolicy: s.flavor === 'cloud' && exposed ? 'Local' : undefined,
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: (['http', 'https'] as const).map((name) => ({
        appProtocol: name,
        name,
        port: name === 'http' ? 80 : 443,
        protocol: 'TCP',
        targetPort: k8s.IntOrString.fromString(name),
        nodePort: props.nodePorts?.[name],
      })),
      selector: CONTROLLER_SELECTOR,
      type: s.serviceType,
    },
  });
  new k8s.KubeService(scope, 'admission-service', {
    metadata: { ...metadata, name: ADMISSION_SERVICE },
    spec: {
      ports: [
        { appProtocol: 'https', name: 'https-webhook', port: 443, targetPort: k8s.IntOrString.fromString('webhook') },
      ],
      selector: CONTROLLER_SELECTOR,
      type: 'ClusterIP',
    },
  });

  const args = [
    '/nginx-ingress-controller',
    // Cloud: Ingress status shows the load balancer's address (baremetal has none to publish).
    ...(s.flavor === 'cloud' ? [`--publish-service=$(POD_NAMESPACE)/${CONTROLLER}`] : []),
    '--election-id=ingress-nginx-leader',
    `--controller-class=${CONTROLLER_CLASS}`,
    `--ingress-class=${CLASS_NAME}`,
    `--configmap=$(POD_NAMESPACE)/${CONTROLLER}`,
    '--validating-webhook=:8443',
    '--validating-webhook-certificate=/usr/local/certificates/cert',
    '--validating-webhook-key=/usr/local/certificates/key',
    ...Object.entries(props.extraArgs ?? {}).map(([key, value]) => `--${key}=${value}`),
  ];
  const healthz = (failureThreshold: number): k8s.Probe => ({
    failureThreshold,
    httpGet: { path: '/healthz', port: k8s.IntOrString.fromNumber(10254), scheme: 'HTTP' },
    initialDelaySeconds: 10,
    periodSeconds: 10,
    successThreshold: 1,
    timeoutSeconds: 1,
  });
  const deployment = new k8s.KubeDeployment(scope, 'controller-deployment', {
    metadata: { ...metadata, name: CONTROLLER },
    spec: {
      minReadySeconds: 0,
      replicas: props.replicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: CONTROLLER_SELECTOR },
      strategy: { rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) }, type: 'RollingUpdate' },
      template: {
        metadata: { labels: labels(s, 'controller') },
        spec: {
          containers: [
            {
              args,
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'LD_PRELOAD', value: '/usr/local/lib/libmimalloc.so' },
              ],
              image: s.controllerImage,
              imagePullPolicy: 'IfNotPresent',
              // Lets NGINX finish in-flight requests before the pod goes away.
              lifecycle: { preStop: { exec: { command: ['/wait-shutdown'] } } },
              livenessProbe: healthz(5),
              name: 'controller',
              ports: [
                { containerPort: 80, name: 'http', protocol: 'TCP' },
                { containerPort: 443, name: 'https', protocol: 'TCP' },
                { containerPort: 8443, name: 'webhook', protocol: 'TCP' },
              ],
              readinessProbe: healthz(3),
              resources: {
                requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('90Mi') },
              },
              // Runs as www-data (101) and binds 80/443 through NET_BIND_SERVICE only.
              securityContext: {
                allowPrivilegeEscalation: true,
                capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
                runAsUser: 101,
              },
              volumeMounts: [{ mountPath: '/usr/local/certificates/', name: 'webhook-cert', readOnly: true }],
            },
          ],
          dnsPolicy: 'ClusterFirst',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          serviceAccountName: NAME,
          terminationGracePeriodSeconds: 300,
          volumes: [{ name: 'webhook-cert', secret: { secretName: ADMISSION } }],
        },
      },
    },
  });

  new k8s.KubeIngressClass(scope, 'ingress-class', {
    metadata: {
      annotations: props.defaultClass ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : undefined,
      labels: labels(s, 'controller'),
      name: CLASS_NAME,
    },
    spec: { controller: CONTROLLER_CLASS },
  });
  return { service, deployment };
}

/**
 * The admission webhook: a Job creates a self-signed certificate Secret, another patches its CA into the
 * ValidatingWebhookConfiguration that sends Ingress writes to the controller for checking.
 */
function admissionWebhook(scope: Construct, s: Settings): void {
  const podNamespaceEnv: k8s.EnvVar[] = [
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  ];
  const job = (id: string, name: string, containerName: string, args: string[]) =>
    new k8s.KubeJob(scope, id, {
      metadata: { labels: labels(s, 'admission-webhook'), name, namespace: NAMESPACE },
      spec: {
        template: {
          metadata: { labels: labels(s, 'admission-webhook'), name },
          spec: {
            containers: [
              {
                args,
                env: podNamespaceEnv,
                image: s.certgenImage,
                imagePullPolicy: 'IfNotPresent',
                name: containerName,
                securityContext: { allowPrivilegeEscalation: false },
              },
            ],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            restartPolicy: 'OnFailure',
            securityContext: { fsGroup: 2000, runAsNonRoot: true, runAsUser: 2000 },
            serviceAccountName: ADMISSION,
          },
        },
      },
    });
  job('admission-create-job', 'ingress-nginx-admission-create', 'create', [
    'create',
    `--host=${ADMISSION_SERVICE},${ADMISSION_SERVICE}.$(POD_NAMESPACE).svc`,
    '--namespace=$(POD_NAMESPACE)',
    `--secret-name=${ADMISSION}`,
  ]);
  job('admission-patch-job', 'ingress-nginx-admission-patch', 'patch', [
    'patch',
    `--webhook-name=${ADMISSION}`,
    '--namespace=$(POD_NAMESPACE)',
    '--patch-mutating=false',
    `--secret-name=${ADMISSION}`,
    '--patch-failure-policy=Fail',
  ]);

  new k8s.KubeValidatingWebhookConfiguration(scope, 'admission-webhook', {
    metadata: { labels: labels(s, 'admission-webhook'), name: ADMISSION },
    webhooks: [
      {
        admissionReviewVersions: ['v1'],
        clientConfig: { service: { name: ADMISSION_SERVICE, namespace: NAMESPACE, path: '/networking/v1/ingresses' } },
        failurePolicy: 'Fail',
        matchPolicy: 'Equivalent',
        name: 'validate.nginx.ingress.kubernetes.io',
        rules: [
          {
            apiGroups: ['networking.k8s.io'],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['ingresses'],
          },
        ],
        sideEffects: 'None',
      },
    ],
  });
}

/**
 * The ingress-nginx controller in namespace `ingress-nginx`, serving IngressClass `nginx`.
 *
 * When a {@link ClusterNetwork} is in scope, fixed NodePorts are claimed in it, so a clash with another Service is
 * an error. Invalid props throw an InputError naming each field and value.
 */
export class IngressNginx extends Construct {
  /** The IngressClass name Ingresses use to pick this controller. */
  readonly className = CLASS_NAME;
  readonly namespace = NAMESPACE;
  /** The controller Service (LoadBalancer, NodePort or ClusterIP). */
  readonly service: k8s.KubeService;
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: IngressNginxProps = {}) {
    super(scope, id);
    const source = `IngressNginx ${JSON.stringify(this.node.path)}`;
    assertProps(ingressNginxPropsSchema, props, source, () => checkIngressNginxProps(props));
    const network = ClusterNetwork.find(this);
    for (const key of ['http', 'https'] as const) {
      const port = props.nodePorts?.[key];
      if (port !== undefined) network?.claimNodePort(port, `${source} nodePorts.${key}`);
    }

    const version = props.version ?? DEFAULT_VERSION;
    const settings: Settings = {
      flavor: props.flavor ?? 'baremetal',
      version,
      controllerImage:
        props.controllerImage ??
        (version === DEFAULT_VERSION
          ? IMAGES_1_8_2.controller
          : `registry.k8s.io/ingress-nginx/controller:v${version}`),
      certgenImage: props.certgenImage ?? IMAGES_1_8_2.certgen,
      serviceType: serviceTypeOf(props),
      props,
    };

    new k8s.KubeNamespace(this, 'namespace', {
      metadata: { labels: { 'app.kubernetes.io/instance': NAME, 'app.kubernetes.io/name': NAME }, name: NAMESPACE },
    });
    rbac(this, settings);
    const { service, deployment } = controller(this, settings);
    admissionWebhook(this, settings);
    this.service = service;
    this.deployment = deployment;
  }
}

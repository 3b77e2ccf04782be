/**
 * The checks of IngressNginx props, with the plain types they need. Free of cdk8s, so validating a cluster file
 * does not load it; constructs/ingress-nginx.ts re-exports all.
 */
import { Issue, show } from '../errors';
import { checkNodePort } from '../plan';

/** Which upstream manifest to follow: `cloud` (LoadBalancer Service) or `baremetal` (NodePort Service). */
export type IngressNginxFlavor = 'cloud' | 'baremetal';
export type IngressNginxServiceType = 'LoadBalancer' | 'NodePort' | 'ClusterIP';

/** Fixed NodePorts of the controller Service. */
export interface IngressNginxNodePorts {
  /** NodePort of port 80 (http). @default - allocated by the API server */
  readonly http?: number;
  /** NodePort of port 443 (https). @default - allocated by the API server */
  readonly https?: number;
}

/** Props of {@link IngressNginx}. */
export interface IngressNginxProps {
  /** Upstream provider manifest to follow. @default 'baremetal' */
  readonly flavor?: IngressNginxFlavor;
  /** Controller version: the `app.kubernetes.io/version` label and the default image tag. @default '1.8.2' */
  readonly version?: string;
  /**
   * Controller image.
   * @default - for 1.8.2 upstream's image pinned by digest; otherwise `registry.k8s.io/ingress-nginx/controller:v<version>`
   */
  readonly controllerImage?: string;
  /** Image of the admission-certificate Jobs. @default - kube-webhook-certgen v20230407 pinned by digest (as upstream 1.8.2) */
  readonly certgenImage?: string;
  /** Controller Deployment replicas. @default - unset (Kubernetes' default, 1), as upstream */
  readonly replicas?: number;
  /** Make `nginx` the cluster's default IngressClass (ingressclass.kubernetes.io/is-default-class). @default false */
  readonly defaultClass?: boolean;
  /** Type of the controller Service. @default - LoadBalancer for cloud, NodePort for baremetal */
  readonly serviceType?: IngressNginxServiceType;
  /**
   * Fixed NodePorts of the controller Service (30000-32767); claimed in the ClusterNetwork in scope, so a clash
   * with another Service is an error. Not allowed with serviceType ClusterIP.
   * @default - allocated by the API server
   */
  readonly nodePorts?: IngressNginxNodePorts;
  /** Extra controller flags, appended as `--key=value`, e.g. `{ 'enable-ssl-passthrough': 'true' }`. @default - none */
  readonly extraArgs?: Readonly<Record<string, string>>;
  /**
   * Entries of the controller ConfigMap (NGINX configuration, e.g. `use-forwarded-headers`), merged over
   * upstream's `allow-snippet-annotations: "true"`.
   * @default - upstream's data only
   */
  readonly config?: Readonly<Record<string, string>>;
}

/** Flags the construct sets itself: extraArgs may not repeat them. */
const OWN_FLAGS = [
  'publish-service',
  'election-id',
  'controller-class',
  'ingress-class',
  'configmap',
  'validating-webhook',
  'validating-webhook-certificate',
  'validating-webhook-key',
];
const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks IngressNginx props (or the cluster file's `ingressController`); paths are relative to the props. */
export function checkIngressNginxProps(props: IngressNginxProps): Issue[] {
  const issues: Issue[] = [];
  if (props.version !== undefined && !/^[0-9A-Za-z._-]+$/.test(props.version)) {
    issues.push({ path: ['version'], message: `version ${show(props.version)} is not an image tag` });
  }
  if (props.replicas !== undefined && !(Number.isInteger(props.replicas) && props.replicas >= 0)) {
    issues.push({
      path: ['replicas'],
      message: `replicas ${show(props.replicas)} must be a whole number of at least 0`,
    });
  }
  const type = serviceTypeOf(props);
  for (const key of ['http', 'https'] as const) {
    const port = props.nodePorts?.[key];
    if (port === undefined) continue;
    const problem = checkNodePort(port);
    if (problem) issues.push({ path: ['nodePorts', key], message: problem });
    else if (type === 'ClusterIP') {
      issues.push({
        path: ['nodePorts', key],
        message: `nodePort ${show(port)} needs serviceType NodePort or LoadBalancer, not ClusterIP`,
      });
    }
  }
  if (props.nodePorts?.http !== undefined && props.nodePorts.http === props.nodePorts.https) {
    issues.push({
      path: ['nodePorts', 'https'],
      message: `nodePort ${show(props.nodePorts.https)} is already nodePorts.http`,
    });
  }
  for (const [key, value] of Object.entries(props.extraArgs ?? {})) {
    if (!FLAG_NAME.test(key))
      issues.push({
        path: ['extraArgs', key],
        message: `flag name ${show(key)} must be lower-case letters, digits and "-", without leading dashes`,
      });
    else if (OWN_FLAGS.includes(key))
      issues.push({
        path: ['extraArgs', key],
        message: `flag --${key} is set by the construct and cannot be repeated`,
      });
    else if (typeof value !== 'string' || /[\n\r]/.test(value))
      issues.push({ path: ['extraArgs', key], message: `flag value ${show(value)} must be a one-line string` });
  }
  for (const [key, value] of Object.entries(props.config ?? {})) {
    if (!CONFIG_KEY.test(key))
      issues.push({
        path: ['config', key],
        message: `ConfigMap key ${show(key)} may only hold letters, digits, "-", "_" and "."`,
      });
    else if (typeof value !== 'string')
      issues.push({
        path: ['config', key],
        message: `ConfigMap value ${show(value)} must be a string (quote numbers and booleans)`,
      });
  }
  return issues;
}

export function serviceTypeOf(props: IngressNginxProps): IngressNginxServiceType {
  return props.serviceType ?? ((props.flavor ?? 'baremetal') === 'cloud' ? 'LoadBalancer' : 'NodePort');
}

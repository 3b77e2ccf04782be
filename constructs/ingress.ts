import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { errorsOf, InputError, show, throwIfAny } from '../src/model/errors';
import { Service } from './service';
import { isChecked } from '../src/model/checked';

// The checks and plain types live in src/model/checks/ingress.ts (no cdk8s, so validating a cluster file stays
// light); re-exported here so the construct's API is unchanged.
export {
  REWRITE_TARGET_ANNOTATION,
  type IngressBackendSpec,
  type PathType,
  type IngressPathSpec,
  type IngressRuleSpec,
  type IngressTlsSpec,
  type IngressProps,
  type IngressCheckInput,
  type IngressContext,
  checkIngress,
  type IngressRoute,
  ingressRoutes,
  claimIngressRoutes,
} from '../src/model/checks/ingress';
import {
  REWRITE_TARGET_ANNOTATION,
  IngressBackendSpec,
  IngressProps,
  IngressCheckInput,
  backendName,
  checkIngress,
  claimIngressRoutes,
} from '../src/model/checks/ingress';
import { assertProps, ingressPropsSchema } from '../src/model/props';
import { readTlsFiles, tlsFileIssues } from '../src/model/tls-files';

export { readTlsFiles };
import { LateMaps } from './late-maps';
import { addWarning } from './warnings';
import { treeRegistry } from './registry';

function backendToKube(backend: IngressBackendSpec): k8s.IngressBackend {
  return {
    service: {
      name: backendName(backend),
      port: typeof backend.port === 'number' ? { number: backend.port } : { name: backend.port },
    },
  };
}

/**
 * A networking.k8s.io/v1 Ingress, with its TLS Secrets when certificate files are given.
 *
 * Checked as the API server would, and more: backends must name a Service of the same app and namespace that
 * exposes the port (Service constructs are checked at once, Service names when the app is synthesized), and no two
 * Ingresses of one class may route the same host and path. Invalid props throw an InputError naming field and value.
 */
export class Ingress extends k8s.KubeIngress {
  readonly namespace?: string;
  /** The Secrets made from certFile/keyFile pairs (children of this object). */
  readonly secrets: k8s.KubeSecret[] = [];

  constructor(scope: Construct, id: string, props: IngressProps = {}) {
    // Checked before joining the tree, so a rejected Ingress leaves nothing behind.
    const checked = isChecked(props);
    const spec: IngressCheckInput = { ...props, name: props?.name ?? id };
    const source = `Ingress ${show(spec.name)}`;
    const baseDir = props?.baseDir ?? process.cwd();
    if (!checked)
      assertProps(ingressPropsSchema, props, source, () => checkIngress(spec, { tlsFiles: tlsFileIssues(baseDir) }));
    // Routes claimed in this construct tree.
    const routes = treeRegistry<string>(scope, 'ingress-routes');
    throwIfAny(source, claimIngressRoutes(spec, `Ingress ${spec.namespace ?? 'default'}/${spec.name}`, routes));

    const annotations =
      spec.rewriteTarget === undefined
        ? spec.annotations
        : { ...spec.annotations, [REWRITE_TARGET_ANNOTATION]: spec.rewriteTarget };
    const late = new LateMaps();
    super(scope, id, {
      metadata: {
        name: spec.name,
        namespace: spec.namespace,
        labels: late.map(spec.labels, '/metadata/labels'),
        annotations: late.map(annotations, '/metadata/annotations'),
      },
      spec: {
        ingressClassName: spec.ingressClassName,
        defaultBackend: spec.defaultBackend && backendToKube(spec.defaultBackend),
        tls: spec.tls?.map((tls) => ({
          hosts: tls.hosts && [...tls.hosts],
          secretName: tls.secretName === '' ? undefined : tls.secretName,
        })),
        rules:
          spec.rules === undefined || spec.rules.length === 0
            ? undefined
            : spec.rules.map((rule) => ({
                host: rule.host,
                http: {
                  paths: rule.paths.map((entry) => ({
                    path: entry.path ?? '/',
                    pathType: entry.pathType ?? 'Prefix',
                    backend: backendToKube(entry.backend),
                  })),
                },
              })),
      },
    });
    late.applyTo(this);
    this.namespace = spec.namespace;

    // Backends given by name may be defined after the Ingress: check them once the whole tree exists.
    if (!checked)
      this.node.addValidation({
        validate: () =>
          errorsOf(
            checkIngress(spec, {
              tlsFiles: tlsFileIssues(baseDir),
              findService: (name, ns) => Service.lookup(this, name, ns)?.ports,
            }),
          ).map((issue) => new InputError(source, [issue]).message),
      });

    for (const tls of spec.tls ?? []) {
      const { cert, key } = readTlsFiles(tls, baseDir);
      if (!cert || !key || !tls.secretName) continue;
      // The key lands in the synthesized manifest (dist/), readable by whoever reads that directory.
      addWarning(
        this,
        `Ingress ${spec.namespace ?? 'default'}/${spec.name}: tls keyFile ${show(tls.keyFile)} puts a private key into the synthesized manifest (Secret ${spec.namespace ?? 'default'}/${tls.secretName}): keep the output directory (dist/) out of version control and readable only by you, or create the Secret by other means (kubectl create secret tls) and give only secretName`,
      );
      this.secrets.push(
        new k8s.KubeSecret(this, `tls-${tls.secretName}`, {
          metadata: { name: tls.secretName, namespace: spec.namespace },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': cert.toString('base64'), 'tls.key': key.toString('base64') },
        }),
      );
    }
  }
}

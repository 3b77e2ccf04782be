/**
 * The Ingress cases of kubernetes/kubernetes pkg/apis/networking/validation/validation_test.go, translated into the
 * cluster file's `kubernetes.ingresses` shape (netstrap's one reader of Ingresses; `netstrap netpol` reads none):
 * TestValidateIngress, TestValidateIngressCreate, TestValidateIngressTLS and TestValidateEmptyIngressTLS. A
 * backend `{service: {name, port: {number}}}` is written `{service: name, port: number}`, `http.paths` is `paths`.
 * Each case keeps its upstream name and expects the API server's verdict on create.
 */
import { clusterOutcome, Inexpressible, UpstreamCase, Verdict } from './support';

type Ingress = Record<string, any>;
const defaultBackend = { service: 'defaultbackend', port: 80 };
const clone = (o: Ingress): Ingress => JSON.parse(JSON.stringify(o));
const tweak = (base: Ingress, change: (ing: Ingress) => void): Ingress => {
  const copy = clone(base);
  change(copy);
  return copy;
};

/** TestValidateIngress's base: one rule for foo.bar.com, path /foo (ImplementationSpecific), a default backend. */
const ingressBase: Ingress = {
  name: 'foo',
  namespace: 'default',
  defaultBackend,
  rules: [
    { host: 'foo.bar.com', paths: [{ path: '/foo', pathType: 'ImplementationSpecific', backend: defaultBackend }] },
  ],
};
/** TestValidateIngressCreate's base: a default backend, no rules. */
const createBase: Ingress = { name: 'test123', namespace: 'test123', defaultBackend, rules: [] };
const rule = (host: string, path: string, pathType: string) => [
  { host, paths: [{ path, pathType, backend: defaultBackend }] },
];

const validateIngress: UpstreamCase<Ingress>[] = [
  {
    name: 'empty path (implementation specific)',
    object: tweak(ingressBase, (i) => {
      i.rules[0].paths[0].path = '';
    }),
    apiServer: 'accept',
  },
  {
    name: 'valid path',
    object: tweak(ingressBase, (i) => {
      i.rules[0].paths[0].path = '/valid';
    }),
    apiServer: 'accept',
  },
  {
    name: 'backend with no service',
    object: tweak(ingressBase, (i) => {
      i.defaultBackend.service = '';
    }),
    apiServer: 'refuse',
  },
  {
    name: 'invalid path type',
    object: tweak(ingressBase, (i) => {
      i.rules[0].paths[0].pathType = 'foo';
    }),
    apiServer: 'refuse',
  },
  {
    name: 'empty path (prefix)',
    object: tweak(ingressBase, (i) => {
      i.rules[0].paths[0].path = '';
      i.rules[0].paths[0].pathType = 'Prefix';
    }),
    apiServer: 'refuse',
  },
  {
    name: 'no paths',
    object: tweak(ingressBase, (i) => {
      i.rules[0].paths = [];
    }),
    apiServer: 'refuse',
  },
  ...['foobar:80', '127.0.0.1'].map((host) => ({
    name: `invalid host (${host})`,
    object: tweak(ingressBase, (i) => {
      i.rules[0].host = host;
    }),
    apiServer: 'refuse' as const,
  })),
  {
    name: 'valid wildcard host',
    object: tweak(ingressBase, (i) => {
      i.rules[0].host = '*.bar.com';
    }),
    apiServer: 'accept',
  },
  ...['foo.*.bar.com', '*'].map((host) => ({
    name: `invalid wildcard host (${host})`,
    object: tweak(ingressBase, (i) => {
      i.rules[0].host = host;
    }),
    apiServer: 'refuse' as const,
  })),
];

const validateIngressCreate: UpstreamCase<Ingress>[] = [
  {
    name: 'class field set',
    object: tweak(createBase, (i) => {
      i.ingressClassName = 'bar';
    }),
    apiServer: 'accept',
  },
  {
    name: 'class annotation set',
    object: tweak(createBase, (i) => {
      i.annotations = { 'kubernetes.io/ingress.class': 'foo' };
    }),
    apiServer: 'accept',
  },
  {
    name: 'class field and annotation set with same value',
    object: tweak(createBase, (i) => {
      i.ingressClassName = 'foo';
      i.annotations = { 'kubernetes.io/ingress.class': 'foo' };
    }),
    apiServer: 'accept',
  },
  {
    name: 'class field and annotation set with different value',
    object: tweak(createBase, (i) => {
      i.ingressClassName = 'bar';
      i.annotations = { 'kubernetes.io/ingress.class': 'foo' };
    }),
    apiServer: 'refuse',
  },
  {
    name: 'valid regex path',
    object: tweak(createBase, (i) => {
      i.rules = rule('foo.bar.com', '/([a-z0-9]*)', 'ImplementationSpecific');
    }),
    apiServer: 'accept',
  },
  {
    name: 'invalid regex path allowed (v1)',
    object: tweak(createBase, (i) => {
      i.rules = rule('foo.bar.com', '/([a-z0-9]*)[', 'ImplementationSpecific');
    }),
    apiServer: 'accept',
  },
  {
    name: 'valid secret',
    object: tweak(createBase, (i) => {
      i.tls = [{ secretName: 'valid' }];
    }),
    apiServer: 'accept',
  },
  {
    name: 'invalid secret',
    object: tweak(createBase, (i) => {
      i.tls = [{ secretName: 'invalid name' }];
    }),
    apiServer: 'refuse',
  },
  {
    name: 'valid rules with wildcard host',
    object: tweak(createBase, (i) => {
      i.tls = [{ hosts: ['*.bar.com'] }];
      i.rules = rule('*.foo.com', '/foo', 'Exact');
    }),
    apiServer: 'accept',
  },
  {
    name: 'invalid rules with wildcard host',
    object: tweak(createBase, (i) => {
      i.tls = [{ hosts: ['*.bar.com'] }];
      i.rules = rule('*.foo.com', 'foo', 'Exact');
    }),
    apiServer: 'refuse',
  },
];

/** TestValidateEmptyIngressTLS's base: no default backend, a rule whose path is empty (ImplementationSpecific). */
const emptyTlsBase: Ingress = {
  name: 'foo',
  namespace: 'default',
  rules: [
    {
      host: 'foo.bar.com',
      paths: [{ path: '', pathType: 'ImplementationSpecific', backend: { service: 'defaultbackend', port: 443 } }],
    },
  ],
};

const validateIngressTls: UpstreamCase<Ingress>[] = [
  {
    name: "spec.tls[0].hosts[0]: Invalid value: 'foo.*.bar.com'",
    object: tweak(ingressBase, (i) => {
      i.rules[0].host = '*.foo.bar.com';
      i.tls = [{ hosts: ['foo.*.bar.com'] }];
    }),
    apiServer: 'refuse',
  },
  {
    name: "spec.tls[0].hosts: Valid value: '*.bar.com'",
    object: tweak(ingressBase, (i) => {
      i.rules[0].host = '*.bar.com';
      i.tls = [{ hosts: ['*.bar.com'] }];
    }),
    apiServer: 'accept',
  },
  // TestValidateEmptyIngressTLS: TLS with the controller's default certificate.
  { name: 'spec.tls[0]: Valid value: {[] }', object: tweak(emptyTlsBase, (i) => (i.tls = [{}])), apiServer: 'accept' },
  {
    name: 'spec.tls[0]: Valid value: {[] } (hosts: [])',
    object: tweak(emptyTlsBase, (i) => (i.tls = [{ hosts: [] }])),
    apiServer: 'accept',
  },
];

/** Upstream cases the cluster file cannot say, with the field it lacks. */
const inexpressible: Inexpressible[] = [
  { name: 'path resource backend and service name are not allowed together', field: 'backend.resource' },
  { name: 'path resource backend and service port are not allowed together', field: 'backend.resource' },
  { name: 'spec.backend resource and service name are not allowed together', field: 'defaultBackend.resource' },
  { name: 'spec.backend resource and service port are not allowed together', field: 'defaultBackend.resource' },
  { name: 'Spec.Backend.Resource field allowed on create', field: 'defaultBackend.resource' },
  { name: 'Paths.Backend.Resource field allowed on create', field: 'backend.resource' },
];

const table = (cases: UpstreamCase<Ingress>[]) => cases.map((c) => [c.name, c.object, c.apiServer] as const);
const run = (_name: string, object: Ingress, apiServer: Verdict) =>
  expect(clusterOutcome('ingresses', object).verdict).toBe(apiServer);

describe('Ingress cases of kubernetes/kubernetes, through the cluster file', () => {
  describe('TestValidateIngress', () => test.each(table(validateIngress))('%s', run));
  describe('TestValidateIngressCreate', () => test.each(table(validateIngressCreate))('%s', run));
  describe('TestValidateIngressTLS and TestValidateEmptyIngressTLS', () =>
    test.each(table(validateIngressTls))('%s', run));

  test('the inexpressible cases are the resource backends, which the cluster file has no field for', () => {
    expect(inexpressible.map((c) => c.field).every((f) => f.endsWith('resource'))).toBe(true);
    expect(validateIngress.length + validateIngressCreate.length + validateIngressTls.length).toBe(25);
  });
});

describe('issue 19: Ingress rules', () => {
  test('TLS without hosts, without secretName, and tls: [{}] are accepted (the controller default certificate)', () => {
    for (const tls of [[{ secretName: 'web-tls' }], [{ hosts: ['foo.bar.com'] }], [{}]]) {
      expect(clusterOutcome('ingresses', { ...clone(ingressBase), tls }).verdict).toBe('accept');
    }
  });

  test('ingressClassName and a different kubernetes.io/ingress.class: refused at the annotation', () => {
    const outcome = clusterOutcome('ingresses', {
      ...clone(createBase),
      ingressClassName: 'nginx',
      annotations: { 'kubernetes.io/ingress.class': 'traefik' },
    });
    expect(outcome.lines).toEqual([
      'upstream.yaml: kubernetes.ingresses[0].annotations["kubernetes.io/ingress.class"]: "traefik" must match ingressClassName "nginx" when both are given (or drop the deprecated annotation)',
    ]);
  });

  test('certFile/keyFile without secretName: refused (netstrap makes the Secret and needs its name)', () => {
    const outcome = clusterOutcome('ingresses', {
      ...clone(ingressBase),
      tls: [{ hosts: ['foo.bar.com'], certFile: 'tls.crt', keyFile: 'tls.key' }],
    });
    expect(outcome.lines[0]).toMatch(/tls\[0\]\.secretName: is required with certFile: it names the Secret/);
  });

  test('a relative path and a bad wildcard host are both reported', () => {
    const outcome = clusterOutcome(
      'ingresses',
      tweak(ingressBase, (i) => {
        i.rules[0].host = 'foo.*.bar.com';
        i.rules[0].paths[0].path = 'relative';
        i.rules[0].paths[0].pathType = 'Prefix';
        i.tls = [{ hosts: ['foo.bar.com'] }];
      }),
    );
    expect(outcome.lines).toEqual([
      'upstream.yaml: kubernetes.ingresses[0].rules[0].host: host "foo.*.bar.com" must be a DNS-1123 subdomain (lower-case letters, digits, "-" and "."), optionally starting with "*."',
      'upstream.yaml: kubernetes.ingresses[0].rules[0].paths[0].path: path "relative" must be an absolute path starting with "/"',
    ]);
  });
});

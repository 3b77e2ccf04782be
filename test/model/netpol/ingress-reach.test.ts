/**
 * Issue 24: a warning when a NetworkPolicy keeps the ingress controller (ingress-nginx, as the constructs synthesize
 * it) from the pods behind an Ingress's backend Service, on its target port.
 */
import { warningLines } from '../../../src/model/errors';
import { parseClusterText } from '../../../src/model/load';

const cluster = (policies: string, extra = '') => `name: c
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
${extra}kubernetes:
  services:
    - name: web
      namespace: shop
      selector: { app: web }
      ports: [{ name: http, port: 80, targetPort: 8080 }]
    - name: api
      namespace: shop
      selector: { app: api }
      ports: [{ port: 80, targetPort: http }]
  workloads:
    - { name: api, namespace: shop, podLabels: { app: api, tier: back }, ports: [{ name: http, containerPort: 9000 }] }
  ingresses:
    - name: shop
      namespace: shop
      defaultBackend: { service: api, port: 80 }
      rules:
        - host: shop.example.com
          paths:
            - { path: /, pathType: Prefix, backend: { service: web, port: 80 } }
  networkPolicies:
${policies}`;

const warnings = (text: string) => {
  const model = parseClusterText(text, 'c.yaml');
  return warningLines(model.file, model.warnings).filter((line) => line.includes('ingress-nginx →'));
};

const DENY_ALL = `    - name: deny-all
      namespace: shop
      podSelector: {}
      policyTypes: [Ingress]
`;

describe('NetworkPolicies and the ingress controller', () => {
  test('a default-deny policy: every backend warns at its field, naming the policy, the pods, the port and the fix', () => {
    expect(warnings(cluster(DENY_ALL))).toEqual([
      'warning: c.yaml:18: kubernetes.ingresses[0].defaultBackend: NetworkPolicy shop/deny-all denies ingress-nginx → shop/api:9000 ' +
        "(pods of Service shop/api, workload shop/api): the Ingress's requests to this backend will time out; allow it with an ingress rule in shop: " +
        'from namespaceSelector kubernetes.io/metadata.name=ingress-nginx + podSelector app.kubernetes.io/name=ingress-nginx, ports TCP 9000',
      'warning: c.yaml:22: kubernetes.ingresses[0].rules[0].paths[0].backend: NetworkPolicy shop/deny-all denies ingress-nginx → shop/web:8080 ' +
        "(pods of Service shop/web, selector app=web): the Ingress's requests to this backend will time out; allow it with an ingress rule in shop: " +
        'from namespaceSelector kubernetes.io/metadata.name=ingress-nginx + podSelector app.kubernetes.io/name=ingress-nginx, ports TCP 8080',
    ]);
  });

  test('a policy that lets the controller in (by namespace, or by namespace and pod labels) gives no warning', () => {
    const allow = (from: string) => `${DENY_ALL}    - name: from-ingress
      namespace: shop
      podSelector: {}
      ingress:
        - from: [${from}]
`;
    expect(
      warnings(
        cluster(allow('{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: ingress-nginx } } }')),
      ),
    ).toEqual([]);
    expect(
      warnings(
        cluster(
          allow(
            '{ namespaceSelector: { matchLabels: { app.kubernetes.io/name: ingress-nginx } }, podSelector: { matchLabels: { app.kubernetes.io/component: controller } } }',
          ),
        ),
      ),
    ).toEqual([]);
  });

  test('the controller allowed on another port only: still a warning for the target port', () => {
    const text = cluster(`    - name: metrics-only
      namespace: shop
      podSelector: { matchLabels: { app: web } }
      ingress:
        - from: [{ namespaceSelector: {} }]
          ports: [{ port: 9090 }]
`);
    expect(warnings(text)).toEqual([
      expect.stringMatching(
        /paths\[0\]\.backend: NetworkPolicy shop\/metrics-only denies ingress-nginx → shop\/web:8080 /,
      ),
    ]);
  });

  test("a policy on the controller's own egress: a warning naming the egress to allow", () => {
    const text = cluster(`    - name: lock-controller
      namespace: ingress-nginx
      podSelector: {}
      policyTypes: [Egress]
`);
    const lines = warnings(text);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /NetworkPolicy ingress-nginx\/lock-controller denies ingress-nginx → shop\/web:8080 .*allow the controller's egress in ingress-nginx: to namespaceSelector kubernetes\.io\/metadata\.name=shop \+ podSelector app=web, ports TCP 8080$/,
    );
  });

  test("no warning without netstrap's ingress controller, or when the policies select other pods", () => {
    expect(warnings(cluster(DENY_ALL, 'ingressController: { provider: none }\n'))).toEqual([]);
    // Flannel does not enforce policies (a warning of its own): nothing is blocked.
    expect(warnings(cluster(DENY_ALL, 'cni: { plugin: flannel }\n'))).toEqual([]);
    expect(warnings(cluster(DENY_ALL, 'cni: { plugin: weave }\n'))).toHaveLength(2);
    expect(
      warnings(
        cluster(`    - name: db-only
      namespace: shop
      podSelector: { matchLabels: { app: db } }
`),
      ),
    ).toEqual([]);
  });
});

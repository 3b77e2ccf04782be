/**
 * Manifests decoded as the API server and kubectl decode them (issue 19): every typed `*List`, YAML null as an
 * absent field, the API server's NetworkPolicy defaults; a needed object that cannot be read is an error; schema
 * errors do not hide the semantic errors of the same object.
 */
import * as path from 'path';
import { load } from 'js-yaml';
import { decodeNulls } from '../../../src/model/decode';
import { Issue, warningLines } from '../../../src/model/errors';
import { parseClusterText } from '../../../src/model/load';
import { apiServerPolicySpec, emptyInventory, finishInventory } from '../../../src/model/netpol/inventory';
import { addManifests, manifestDocuments } from '../../../src/model/netpol/manifests';
import { readNetpolInputs } from '../../../src/model/netpol/read';
import { NetpolAnalysis } from '../../../src/model/netpol/analyze';
import { issueLines } from '../../support/errors';
import { analysisOf, can, namespace, pod, policy } from './support';

const TYPED = path.join(__dirname, '../../fixtures/netpol-typed-lists');

/** Reads objects (one file, `t.yaml`) and returns the warnings printed, or throws the InputError. */
function read(objects: unknown[]) {
  const inventory = emptyInventory();
  const { warnings } = addManifests(inventory, manifestDocuments(objects, 't.yaml'));
  return { inventory: finishInventory(inventory), warnings };
}

/** The error lines reading `objects` gives (none when they are read). */
const errors = (objects: unknown[]) => issueLines(() => read(objects));

describe('typed lists, as kubectl reads them', () => {
  test('PodList, NamespaceList, NetworkPolicyList, DeploymentList and ReplicaSetList in a List: all read', () => {
    const input = readNetpolInputs([TYPED]);
    const inv = input.inventory;
    expect(inv.workloads.map((w) => [w.key, w.kind, w.ips])).toEqual([
      ['backend/catalog', 'Deployment', ['10.244.1.17']],
      ['backend/checkout', 'Deployment', ['10.244.2.23']],
    ]);
    expect(inv.namespaces.get('backend')).toEqual({ 'kubernetes.io/metadata.name': 'backend', tier: 'backend' });
    expect(inv.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(['backend/default-deny-all']);
    // Nothing of a needed kind is left out: only the folded ReplicaSets and Pods are "not analysed".
    expect(Object.fromEntries(inv.skipped)).toEqual({
      'ReplicaSet (folded into its Deployment)': 2,
      'Pod (folded into its Deployment)': 2,
    });
    // The NetworkPolicyList denies everything: the verdict is deny, not "All Connections".
    const analysis = new NetpolAnalysis(inv);
    expect(can(analysis, 'backend/catalog', 'backend/checkout', 8080)).toBe(false);
    expect(analysis.connections(0, 1).isEmpty()).toBe(true);
  });

  test('an item takes the list kind without "List" and the list apiVersion only when it has neither', () => {
    const docs = manifestDocuments(
      [
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicyList',
          items: [{ metadata: { name: 'a' } }, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }],
        },
        { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'PodList', items: [{}] }] },
        { apiVersion: 'v1', kind: 'ServiceList', items: null },
        // As for kubectl, `items` makes a list whatever the kind.
        { apiVersion: 'example.com/v1', kind: 'Bundle', items: [{ metadata: { name: 'b' } }] },
      ],
      'f.yaml',
    );
    expect(docs.map((d) => [d.where, (d.object as { kind: string }).kind, (d.object as any).apiVersion])).toEqual([
      ['document 1, items[0]', 'NetworkPolicy', 'networking.k8s.io/v1'],
      ['document 1, items[1]', 'Pod', 'v1'],
      ['document 2, items[0].items[0]', 'Pod', 'v1'],
      ['document 4, items[0]', 'Bundle', 'example.com/v1'],
    ]);
  });

  test('a list whose items are not a list, and an item of `kind: List` without kind, are errors', () => {
    expect(errors([{ apiVersion: 'v1', kind: 'PodList', items: { a: 1 } }])).toEqual([
      't.yaml (document 1, PodList): items: must be a list of objects (got {"a":1})',
    ]);
    expect(errors([{ apiVersion: 'v1', kind: 'List', items: [{ metadata: { name: 'x' } }] }])).toEqual([
      't.yaml (document 1, items[0]): (root): not a Kubernetes object: expected apiVersion and kind, got {"metadata":"…"}',
    ]);
  });

  test('kinds that do not matter to policy are counted, typed lists of them too', () => {
    const { inventory } = read([
      { apiVersion: 'v1', kind: 'ServiceList', items: [{ metadata: { name: 's' } }, { metadata: { name: 't' } }] },
      { apiVersion: 'v1', kind: 'ConfigMapList', items: [{ metadata: { name: 'c' } }] },
    ]);
    expect(Object.fromEntries(inventory.skipped)).toEqual({ Service: 2, ConfigMap: 1 });
  });
});

describe('never answer from less than was given', () => {
  test('a Pod or a NetworkPolicy of a typed list that cannot be read is an error naming file, item, object and field', () => {
    expect(
      errors([
        {
          apiVersion: 'v1',
          kind: 'PodList',
          items: [
            {
              metadata: { name: 'web', namespace: 'shop' },
              spec: { containers: [{ name: 'c', ports: [{ containerPort: 'http' }] }] },
            },
          ],
        },
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicyList',
          items: [
            { metadata: { name: 'deny', namespace: 'shop' }, spec: { podSelector: {}, policyTypes: ['Sideways'] } },
          ],
        },
      ]),
    ).toEqual([
      't.yaml (document 1, items[0], Pod shop/web): spec.containers[0].ports[0].containerPort: must be a port number 1-65535 (got "http")',
      expect.stringMatching(
        /^t\.yaml \(document 2, items\[0\], NetworkPolicy shop\/deny\): spec\.policyTypes\[0\]: .*\(got "Sideways"\)$/,
      ),
    ]);
  });

  test('a NetworkPolicy of another API group (Calico) is an error, not a Kubernetes policy read wrongly or left out', () => {
    expect(
      errors([
        {
          apiVersion: 'crd.projectcalico.org/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'allow', namespace: 'shop' },
          spec: { selector: 'all()', ingress: [{ action: 'Allow' }] },
        },
      ]),
    ).toEqual([
      expect.stringMatching(
        /^t\.yaml \(document 1, NetworkPolicy\): apiVersion: "crd\.projectcalico\.org\/v1" is not the Kubernetes NetworkPolicy/,
      ),
    ]);
  });

  test('a ReplicationController is a workload controller: read, its pods folded into it', () => {
    const { inventory } = read([
      {
        apiVersion: 'v1',
        kind: 'ReplicationController',
        metadata: { name: 'legacy', namespace: 'shop' },
        spec: { template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c' }] } } },
      },
      {
        ...pod('shop', 'legacy-x1', { app: 'legacy' }, [], '10.244.0.7'),
        metadata: {
          name: 'legacy-x1',
          namespace: 'shop',
          labels: { app: 'legacy' },
          ownerReferences: [{ kind: 'ReplicationController', name: 'legacy', controller: true }],
        },
      },
    ]);
    expect(inventory.workloads.map((w) => [w.key, w.kind, w.ips])).toEqual([
      ['shop/legacy', 'ReplicationController', ['10.244.0.7']],
    ]);
  });
});

describe('null is absent, as the API server decodes it', () => {
  test('ingress: null, from: null, ports: null, podSelector: null, labels with no value are read', () => {
    const objects = load(`
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: shop
    labels:
- apiVersion: v1
  kind: Pod
  metadata: {name: web, namespace: shop, labels: {app: web, canary: }}
  spec:
    containers: [{name: c, ports: null}]
- apiVersion: v1
  kind: Pod
  metadata: {name: db, namespace: shop, labels: {app: db}, annotations: null}
  spec: {containers: [{name: c}], initContainers: null}
  status: null
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: db, namespace: shop, labels: null}
  spec:
    podSelector: {matchLabels: {app: db}, matchExpressions: null}
    policyTypes: null
    ingress:
    - from: null
      ports:
      - {port: 5432, protocol: null, endPort: null}
    egress: null
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: web, namespace: shop}
  spec:
    podSelector: {matchLabels: {app: web}}
    ingress: null
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: all, namespace: shop}
  spec:
    podSelector: null
    policyTypes: [Egress]
    egress:
    - to: [{podSelector: {matchLabels: {app: db}}}]
      ports: null
`) as object;
    const { inventory, warnings } = read([objects]);
    expect(warnings).toEqual([]);
    expect(inventory.namespaces.get('shop')).toEqual({ 'kubernetes.io/metadata.name': 'shop' });
    // A label with no value is the empty string (Go's zero string), as the API server stores it.
    expect(inventory.workloads.find((w) => w.name === 'web')?.labels).toEqual({ app: 'web', canary: '' });
    const policies = Object.fromEntries(inventory.policies.map((p) => [p.name, p.spec]));
    expect(policies.db).toEqual({
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ port: 5432, protocol: 'TCP' }] }],
    });
    expect(policies.web).toEqual({ podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] });
    expect(policies.all.podSelector).toEqual({});
    const analysis = new NetpolAnalysis(inventory);
    expect(can(analysis, 'shop/web', 'shop/db', 5432)).toBe(true); // from: null = every source
    expect(can(analysis, 'shop/web', 'shop/db', 5433)).toBe(false);
    expect(can(analysis, 'shop/db', 'shop/web', 80)).toBe(false); // ingress: null under Ingress = nothing allowed
  });

  test('a null item of a rule list is the empty rule {} (allows everything): read, with a warning', () => {
    const { inventory, warnings } = read([
      policy('shop', 'open', { podSelector: {}, ingress: [null] }),
      policy('shop', 'open', { podSelector: {}, ingress: [null] }), // the same object again: read, and warned, once
      pod('shop', 'a', {}),
      pod('shop', 'b', {}),
    ]);
    expect(warnings).toEqual([
      'warning: t.yaml (document 1, NetworkPolicy shop/open): spec.ingress[0]: is null, which the API server reads as the empty rule {}: it allows every source on every port',
    ]);
    expect(can(new NetpolAnalysis(inventory), 'shop/a', 'shop/b', 80)).toBe(true);
  });

  test('decodeNulls: absent fields, "" in string maps, {} for null items of object lists, others kept', () => {
    const warnings: Issue[] = [];
    expect(
      decodeNulls(
        {
          a: null,
          labels: { x: null },
          ports: [null, { port: 1, name: null }],
          values: [null],
          n: { m: null },
          service: { selector: { app: null } },
          deployment: { selector: { matchLabels: null } },
        },
        warnings,
      ),
    ).toEqual({
      labels: { x: '' },
      ports: [{}, { port: 1 }],
      values: [null],
      n: {},
      service: { selector: { app: '' } },
      deployment: { selector: {} },
    });
    expect(warnings).toEqual([]);
    const tricky = JSON.parse('{"__proto__": {"polluted": true}, "spec": null}');
    const decoded = decodeNulls(tricky) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("the API server's defaults, in one place", () => {
  test('policyTypes from the rules present, port protocol TCP, podSelector {}', () => {
    expect(apiServerPolicySpec({})).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    expect(apiServerPolicySpec({ policyTypes: [], egress: [{}] })).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      egress: [{}],
    });
    expect(apiServerPolicySpec({ policyTypes: ['Egress'], ingress: [{ ports: [{ port: 80 }] }] })).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }],
    });
    expect(apiServerPolicySpec({ egress: [], ingress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] })).toEqual({
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ port: 53, protocol: 'UDP' }] }],
      egress: [],
    });
  });

  test('an empty egress list does not add Egress; a policy with policyTypes [Egress] ignores its ingress rules', () => {
    const analysis = analysisOf([
      namespace('shop'),
      pod('shop', 'a', { app: 'a' }),
      pod('shop', 'b', { app: 'b' }),
      policy('shop', 'eg', { podSelector: { matchLabels: { app: 'b' } }, egress: [] }),
    ]);
    expect(can(analysis, 'shop/b', 'shop/a', 80)).toBe(true); // egress: [] alone: Ingress only
    expect(can(analysis, 'shop/a', 'shop/b', 80)).toBe(false);
  });
});

describe('every error of an object', () => {
  test('a schema error in one rule does not hide a semantic error elsewhere in the same NetworkPolicy', () => {
    const lines = errors([
      policy('shop', 'p', {
        podSelector: { matchLabels: { 'bad key!': 'x' } },
        ingress: [{ ports: [{ protocol: 'tcp', port: 80 }] }],
      }),
    ]);
    expect(lines).toEqual([
      expect.stringMatching(
        /^t\.yaml \(document 1, NetworkPolicy shop\/p\): spec\.ingress\[0\]\.ports\[0\]\.protocol: .*"tcp"/,
      ),
      expect.stringMatching(
        /^t\.yaml \(document 1, NetworkPolicy shop\/p\): spec\.podSelector\.matchLabels\["bad key!"\]: /,
      ),
    ]);
  });
});

describe('every error of a workload, Namespace or labels', () => {
  test('a Deployment reports its bad label, its bad template label and its bad port together', () => {
    expect(
      errors([
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'd', namespace: 'x', labels: { 'bad key!': 'a' } },
          spec: {
            template: {
              metadata: { labels: { app: 'not ok!' } },
              spec: { containers: [{ name: 'c', ports: [{ containerPort: 0 }] }] },
            },
          },
        },
        {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: 'p', namespace: 'x', labels: { 'bad key!': 'b' } },
          spec: { podSelector: {} },
        },
      ]),
    ).toEqual([
      expect.stringMatching(/^t\.yaml \(document 1, Deployment x\/d\): metadata\.labels\["bad key!"\]: /),
      expect.stringMatching(/^t\.yaml \(document 1, Deployment x\/d\): spec\.template\.metadata\.labels\.app: /),
      't.yaml (document 1, Deployment x/d): spec.template.spec.containers[0].ports[0].containerPort: must be a port number 1-65535 (got 0)',
      expect.stringMatching(/^t\.yaml \(document 2, NetworkPolicy x\/p\): metadata\.labels\["bad key!"\]: /),
    ]);
  });
});

describe("the cluster file's kubernetes.* objects take what the API server takes", () => {
  const cluster = (kubernetes: string) =>
    `name: c\nnetwork: {podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12}\nkubernetes:\n${kubernetes}`;

  test('null is absent there too; a null rule item is read as {} with a warning in cluster-file coordinates', () => {
    const model = parseClusterText(
      cluster(`
  namespaces:
    - name: shop
      labels:
  networkPolicies:
    - name: p
      namespace: shop
      labels:
      podSelector: null
      policyTypes: null
      ingress: [null]
      egress: null
`),
      'c.yaml',
    );
    expect(model.cluster.kubernetes.networkPolicies[0]).toMatchObject({ name: 'p', podSelector: {}, ingress: [{}] });
    expect(model.cluster.kubernetes.networkPolicies[0].egress).toBeUndefined();
    expect(warningLines(model.file, model.warnings)).toEqual([
      'warning: c.yaml:14: kubernetes.networkPolicies[0].ingress[0]: is null, which the API server reads as the empty rule {}: it allows every source on every port',
    ]);
  });

  test('the checks keep the original list indexes when an earlier item is left out, and say nothing the leaving out causes', () => {
    const lines = issueLines(() =>
      parseClusterText(
        cluster(`
  ingresses:
    - name: web
      namespace: shop
      rules:
        - host: a.example.com
          paths: [{path: /, backend: {service: api, port: 80}, pathType: Sideways}]
        - host: b.example.com
          paths: [{path: relative, backend: {service: api, port: 80}}]
    - name: only
      namespace: shop
      rules:
        - paths: [{path: /, backend: {service: api}}]
`),
        'c.yaml',
      ),
    );
    expect(lines).toEqual([
      expect.stringMatching(/^c\.yaml:10: kubernetes\.ingresses\[0\]\.rules\[0\]\.paths\[0\]\.pathType: .*"Sideways"/),
      expect.stringMatching(/^c\.yaml:16: kubernetes\.ingresses\[1\]\.rules\[0\]\.paths\[0\]\.backend\.port: /),
      'c.yaml:12: kubernetes.ingresses[0].rules[1].paths[0].path: path "relative" must be an absolute path starting with "/"',
    ]);
    // ingresses[1] lost its only rule to the schema error: "rules is empty and there is no defaultBackend" would be
    // caused by the leaving out, and is not said.
  });

  test('an Ingress with a schema error still reports its relative path and its bad wildcard host', () => {
    const lines = issueLines(() =>
      parseClusterText(
        cluster(`
  services:
    - {name: api, namespace: shop, ports: [{port: 80}]}
  ingresses:
    - name: web
      namespace: shop
      tls:
        - hosts: a.example.com
          secretName: web-tls
      rules:
        - host: "*.*.example.com"
          paths:
            - path: api
              backend: {service: api, port: 80}
`),
        'c.yaml',
      ),
    );
    expect(lines).toEqual([
      expect.stringMatching(/^c\.yaml:11: kubernetes\.ingresses\[0\]\.tls\[0\]\.hosts: .*\(got "a\.example\.com"\)$/),
      expect.stringMatching(/^c\.yaml:14: kubernetes\.ingresses\[0\]\.rules\[0\]\.host: host "\*\.\*\.example\.com" /),
      'c.yaml:16: kubernetes.ingresses[0].rules[0].paths[0].path: path "api" must be an absolute path starting with "/"',
    ]);
  });
});

import { Chart, Testing } from 'cdk8s';
import * as path from 'path';
import { ClusterChart } from '../../constructs/cluster-chart';
import { loadClusterFile } from '../../src/model/load';
import { InputError } from '../../src/model/errors';
import {
  checkNetworkPolicy,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from '../../constructs/network-policy';
import { findObject, Manifest, readYamlDocuments, reference, synthValid } from '../support/k8s';

const upstream = (...parts: string[]): Manifest => {
  const documents = readYamlDocuments(reference('networkpolicy', ...parts));
  expect(documents).toHaveLength(1);
  return documents[0];
};

function chart(): Chart {
  return new Chart(Testing.app(), 'test');
}

describe('NetworkPolicy reproduces the Kubernetes documentation examples', () => {
  test.each([
    ['default-deny-ingress', (c: Chart) => NetworkPolicy.defaultDenyIngress(c, 'p')],
    ['default-deny-egress', (c: Chart) => NetworkPolicy.defaultDenyEgress(c, 'p')],
    ['default-deny-all', (c: Chart) => NetworkPolicy.defaultDenyAll(c, 'p')],
    ['allow-all-ingress', (c: Chart) => NetworkPolicy.allowAllIngress(c, 'p')],
    ['allow-all-egress', (c: Chart) => NetworkPolicy.allowAllEgress(c, 'p')],
  ])('%s (derived block style) from its static helper', (name, make) => {
    const c = chart();
    make(c);
    expect(synthValid(c)).toEqual([upstream('derived-block-style', `network-policy-${name}.yaml`)]);
  });

  test('the zh-cn default-deny-all file is the same object', () => {
    const c = chart();
    NetworkPolicy.defaultDenyAll(c, 'p');
    expect(synthValid(c)).toEqual([upstream('kubernetes-website.zh-cn.network-policy-default-deny-all.yaml')]);
  });

  test('test-network-policy: three ORed peers, ipBlock with except, TCP ports, both policy types', () => {
    const c = chart();
    new NetworkPolicy(c, 'p', {
      name: 'test-network-policy',
      namespace: 'default',
      podSelector: { matchLabels: { role: 'db' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            NetworkPolicyPeer.ipBlock('172.17.0.0/16', ['172.17.1.0/24']),
            NetworkPolicyPeer.namespaces({ project: 'myproject' }),
            NetworkPolicyPeer.pods({ role: 'frontend' }),
          ],
          ports: [NetworkPolicyPort.tcp(6379)],
        },
      ],
      egress: [{ to: [NetworkPolicyPeer.ipBlock('10.0.0.0/24')], ports: [NetworkPolicyPort.tcp(5978)] }],
    });
    expect(synthValid(c)).toEqual([upstream('kubernetes-website.networkpolicy.yaml')]);
  });

  test('multi-port-egress: a port range with endPort', () => {
    const c = chart();
    new NetworkPolicy(c, 'p', {
      name: 'multi-port-egress',
      namespace: 'default',
      podSelector: { matchLabels: { role: 'db' } },
      policyTypes: ['Egress'],
      egress: [{ to: [NetworkPolicyPeer.ipBlock('10.0.0.0/24')], ports: [NetworkPolicyPort.tcpRange(32000, 32768)] }],
    });
    expect(synthValid(c)).toEqual([upstream('kubernetes-website.networkpolicy-multiport-egress.yaml')]);
  });

  test('access-nginx: no policyTypes, a label value that must stay a string', () => {
    const c = chart();
    new NetworkPolicy(c, 'p', {
      name: 'access-nginx',
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'nginx' } },
      ingress: [{ from: [NetworkPolicyPeer.pods({ access: 'true' })] }],
    });
    const [object] = synthValid(c);
    expect(object).toEqual(upstream('kubernetes-website.nginx-policy.yaml'));
    expect(object.spec.policyTypes).toBeUndefined();
  });

  test('allow-egress-deny-ingress keeps `ingress: []` (deny all) distinct from an absent list', () => {
    const c = chart();
    new NetworkPolicy(c, 'p', {
      name: 'allow-egress-deny-ingress',
      podSelector: {},
      policyTypes: ['Egress', 'Ingress'],
      egress: [{}],
      ingress: [],
    });
    const [object] = synthValid(c);
    expect(object).toEqual(upstream('kubernetes-website.network-policy-allow-all-egress-deny-all-ingress.yaml'));
    expect(object.spec.ingress).toEqual([]);
    const absent = chart();
    new NetworkPolicy(absent, 'p', { podSelector: {}, policyTypes: ['Egress', 'Ingress'], egress: [{}] });
    expect('ingress' in synthValid(absent)[0].spec).toBe(false);
  });
});

describe('NetworkPolicy API features', () => {
  test('namespaceSelector + podSelector in one peer (AND), named ports, UDP, SCTP, matchExpressions', () => {
    const c = chart();
    new NetworkPolicy(c, 'db', {
      namespace: 'shop',
      podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'cache'] }] },
      ingress: [
        {
          from: [NetworkPolicyPeer.podsInNamespaces({ role: 'api' }, { team: 'shop' })],
          ports: [NetworkPolicyPort.tcp('postgres'), NetworkPolicyPort.udp(53), NetworkPolicyPort.sctp(9999)],
        },
      ],
    });
    const [object] = synthValid(c);
    expect(object.metadata).toEqual({ name: 'db', namespace: 'shop' });
    expect(object.spec.ingress[0]).toEqual({
      from: [{ namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: { matchLabels: { role: 'api' } } }],
      ports: [
        { protocol: 'TCP', port: 'postgres' },
        { protocol: 'UDP', port: 53 },
        { protocol: 'SCTP', port: 9999 },
      ],
    });
    expect(object.spec.podSelector.matchExpressions).toEqual([
      { key: 'tier', operator: 'In', values: ['db', 'cache'] },
    ]);
  });

  test('an ipBlock ANDed with a selector is rejected with the OR/AND rule explained', () => {
    const c = chart();
    const make = () =>
      new NetworkPolicy(c, 'p', {
        name: 'bad',
        ingress: [
          {
            from: [
              { ipBlock: { cidr: '172.17.0.0/16' }, namespaceSelector: { matchLabels: { project: 'myproject' } } },
            ],
          },
        ],
      });
    expect(make).toThrow(InputError);
    expect(make).toThrow(
      'NetworkPolicy "bad": ingress[0].from[0]: ipBlock "172.17.0.0/16" is combined with namespaceSelector in one peer: ' +
        'items in a from/to list are ORed and the selectors inside one item are ANDed; an ipBlock cannot be combined with a ' +
        'selector, so write them as separate list items',
    );
    // A rejected construct leaves nothing behind in the tree.
    expect(c.node.children).toHaveLength(0);
  });

  test('checkNetworkPolicy reports every problem of a spec at once, paths relative to the spec', () => {
    const issues = checkNetworkPolicy({
      name: 'Bad',
      egress: [
        {
          to: [{ ipBlock: { cidr: '10.0.0.0/24', except: ['10.0.0.0/24', '10.1.0.0/24', '10.0.0.300/32'] } }, {}],
          ports: [{ port: 0 }, { port: 'http', endPort: 90 }, { port: 100, endPort: 99 }, { endPort: 5 }],
        },
      ],
    });
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['name', expect.stringContaining('"Bad" is not a valid DNS-1123 subdomain')],
      ['egress.0.to.0.ipBlock.except.0', 'except "10.0.0.0/24" must be a strict subset of cidr "10.0.0.0/24"'],
      ['egress.0.to.0.ipBlock.except.1', 'except "10.1.0.0/24" must be a strict subset of cidr "10.0.0.0/24"'],
      [
        'egress.0.to.0.ipBlock.except.2',
        expect.stringContaining('invalid CIDR "10.0.0.300/32": 300 is not an IPv4 octet'),
      ],
      ['egress.0.to.1', expect.stringContaining('an empty peer {} selects nothing')],
      ['egress.0.ports.0.port', 'port 0 must be a whole number 1-65535'],
      ['egress.0.ports.1.endPort', 'endPort 90 may only be used with a numeric port, not the named port "http"'],
      ['egress.0.ports.2.endPort', 'endPort 99 must be greater than or equal to port 100'],
      ['egress.0.ports.3.endPort', 'endPort 5 needs a numeric port to start the range'],
    ]);
  });

  test('a valid policy has no issues', () => {
    expect(checkNetworkPolicy({ name: 'ok', podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] })).toEqual([]);
  });
});

describe('the example cluster file', () => {
  test('synthesizes its Services, Ingress and the reference NetworkPolicy through ClusterChart', () => {
    const c = new ClusterChart(Testing.app(), 'example', {
      model: loadClusterFile(path.join(__dirname, '..', '..', 'hosts', 'example.yaml')),
    });
    const objects = synthValid(c);
    expect(findObject(objects, 'NetworkPolicy', 'test-network-policy')).toEqual(
      upstream('kubernetes-website.networkpolicy.yaml'),
    );
    const services = objects.filter((o) => o.kind === 'Service' && o.metadata.namespace === 'default');
    expect(Object.fromEntries(services.map((o) => [o.metadata.name, o.spec.type]))).toMatchObject({
      'back-end': 'ClusterIP',
      'myapp-service': 'NodePort',
      'front-end': 'LoadBalancer',
      'db-service': 'ExternalName',
      'wear-service': 'ClusterIP',
      'watch-service': 'ClusterIP',
      test: 'ClusterIP',
    });
    const ingress = findObject(objects, 'Ingress', 'ingress-wear-watch');
    expect(ingress.spec.rules.map((r: any) => [r.host, r.http.paths.map((p: any) => p.path)])).toEqual([
      ['wear.my-site.com', ['/']],
      ['travel.my-site.com', ['/watch', '/testpath']],
    ]);
    expect(ingress.spec.tls).toEqual([
      { hosts: ['wear.my-site.com', 'travel.my-site.com'], secretName: 'my-site-tls' },
    ]);
  });
});

/**
 * networking.k8s.io/v1 semantics, one rule per test, each against a small case whose expected answer is stated in
 * the Kubernetes documentation: "the docs" = https://kubernetes.io/docs/concepts/services-networking/network-policies/
 * (section cited in each test), "API" = the NetworkPolicy API reference (networking.k8s.io/v1 field docs), "labels" =
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors.
 */
import { ConnectionSet } from '../../../src/model/netpol/connections';
import { analysisOf, can, namespace, pod, policy } from './support';

const web = (ns = 'default', labels: Record<string, string> = { app: 'web' }, ip?: string) =>
  pod(
    ns,
    labels.app ?? 'web',
    labels,
    [
      { name: 'http', containerPort: 8080 },
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
    ],
    ip,
  );

describe('NetworkPolicy semantics (networking.k8s.io/v1)', () => {
  test('the docs, "The two sorts of pod isolation": with no policy every pod is non-isolated both ways', () => {
    const a = analysisOf([web(), pod('default', 'client', { app: 'client' })]);
    expect(can(a, 'default/client', 'default/web', 8080)).toBe(true);
    expect(can(a, 'default/web', 'default/client', 1)).toBe(true);
  });

  test('the docs, "The two sorts of pod isolation": isolation is per direction (an ingress policy leaves egress open)', () => {
    const a = analysisOf([
      web(),
      pod('default', 'client', { app: 'client' }),
      policy('default', 'deny-ingress', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] }),
    ]);
    expect(can(a, 'default/client', 'default/web', 8080)).toBe(false);
    expect(can(a, 'default/web', 'default/client', 8080)).toBe(true);
    expect(a.isIsolated(a.findWorkload('default/web')!, 'egress')).toBe(false);
  });

  test('the docs, "The NetworkPolicy resource" (policyTypes): absent means Ingress, plus Egress only when egress rules exist', () => {
    const client = pod('default', 'client', { app: 'client' });
    // egress rules without policyTypes: Ingress and Egress; `egress: []` without policyTypes: Ingress only.
    const withEgress = analysisOf([
      web(),
      client,
      policy('default', 'p', {
        podSelector: { matchLabels: { app: 'web' } },
        egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }],
      }),
    ]);
    const web1 = withEgress.findWorkload('default/web')!;
    expect([withEgress.isIsolated(web1, 'ingress'), withEgress.isIsolated(web1, 'egress')]).toEqual([true, true]);
    const emptyEgress = analysisOf([
      web(),
      client,
      policy('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, egress: [] }),
    ]);
    const web2 = emptyEgress.findWorkload('default/web')!;
    expect([emptyEgress.isIsolated(web2, 'ingress'), emptyEgress.isIsolated(web2, 'egress')]).toEqual([true, false]);
    const egressOnly = analysisOf([
      web(),
      client,
      policy('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'] }),
    ]);
    expect(can(egressOnly, 'default/client', 'default/web', 8080)).toBe(true);
    expect(can(egressOnly, 'default/web', 'default/client', 8080)).toBe(false);
  });

  test('the docs, "The two sorts of pod isolation": the policies applying to a pod combine additively (union)', () => {
    const a = analysisOf([
      web(),
      pod('default', 'client', { app: 'client' }),
      policy('default', 'only-80', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }),
      policy('default', 'only-8080', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 8080 }] }],
      }),
    ]);
    expect(can(a, 'default/client', 'default/web', 80)).toBe(true);
    expect(can(a, 'default/client', 'default/web', 8080)).toBe(true);
    expect(can(a, 'default/client', 'default/web', 443)).toBe(false);
    expect(can(a, 'default/web', 'default/client', 8080)).toBe(false);
  });

  test('the docs, "The two sorts of pod isolation": a connection needs the source\'s egress and the destination\'s ingress', () => {
    const a = analysisOf([
      web(),
      pod('default', 'client', { app: 'client' }),
      policy('default', 'client-egress', {
        podSelector: { matchLabels: { app: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 8080 }] }],
      }),
      policy('default', 'web-ingress', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 9090 }] }],
      }),
    ]);
    expect(can(a, 'default/client', 'default/web', 8080)).toBe(false); // egress yes, ingress no
    expect(can(a, 'default/client', 'default/web', 9090)).toBe(false); // ingress yes, egress no
  });

  test('the docs, "The NetworkPolicy resource": the example policy (OR of ipBlock, namespaceSelector and podSelector on TCP 6379)', () => {
    const example = policy('default', 'test-network-policy', {
      podSelector: { matchLabels: { role: 'db' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
            { namespaceSelector: { matchLabels: { project: 'myproject' } } },
            { podSelector: { matchLabels: { role: 'frontend' } } },
          ],
          ports: [{ protocol: 'TCP', port: 6379 }],
        },
      ],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
    });
    const a = analysisOf([
      namespace('myproject', { project: 'myproject' }),
      namespace('other'),
      pod('default', 'db', { role: 'db' }),
      pod('default', 'frontend', { role: 'frontend' }),
      pod('default', 'backend', { role: 'backend' }),
      pod('myproject', 'any', { role: 'x' }),
      pod('other', 'frontend', { role: 'frontend' }),
      example,
    ]);
    expect(can(a, 'default/frontend', 'default/db', 6379)).toBe(true);
    expect(can(a, 'myproject/any', 'default/db', 6379)).toBe(true);
    expect(can(a, 'other/frontend', 'default/db', 6379)).toBe(false); // podSelector alone: the policy's namespace
    expect(can(a, 'default/backend', 'default/db', 6379)).toBe(false);
    expect(can(a, 'default/frontend', 'default/db', 6380)).toBe(false);
    const db = { workload: a.findWorkload('default/db')! };
    const ip = (text: string) => ({ address: Number(text.split('.').reduce((n, o) => n * 256 + Number(o), 0)), text });
    expect(a.can(ip('172.17.0.5'), db, 6379, 'TCP').allowed).toBe(true);
    expect(a.can(ip('172.17.1.5'), db, 6379, 'TCP').allowed).toBe(false); // except 172.17.1.0/24
    expect(a.can(ip('172.17.2.0'), db, 6379, 'TCP').allowed).toBe(true);
    expect(a.can(db, ip('10.0.0.200'), 5978, 'TCP').allowed).toBe(true);
    expect(a.can(db, ip('10.0.1.1'), 5978, 'TCP').allowed).toBe(false);
  });

  test('the docs, "Behavior of to and from selectors": namespaceSelector AND podSelector in one entry, OR as two entries', () => {
    const base = [
      namespace('alice', { user: 'alice' }),
      namespace('bob'),
      web(),
      pod('alice', 'client', { role: 'client' }),
      pod('alice', 'other', { role: 'other' }),
      pod('bob', 'client', { role: 'client' }),
      pod('default', 'client', { role: 'client' }),
    ];
    const and = analysisOf([
      ...base,
      policy('default', 'and', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { user: 'alice' } },
                podSelector: { matchLabels: { role: 'client' } },
              },
            ],
          },
        ],
      }),
    ]);
    expect(
      ['alice/client', 'alice/other', 'bob/client', 'default/client'].map((s) => can(and, s, 'default/web', 8080)),
    ).toEqual([true, false, false, false]);
    const or = analysisOf([
      ...base,
      policy('default', 'or', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { user: 'alice' } } },
              { podSelector: { matchLabels: { role: 'client' } } },
            ],
          },
        ],
      }),
    ]);
    expect(
      ['alice/client', 'alice/other', 'bob/client', 'default/client'].map((s) => can(or, s, 'default/web', 8080)),
    ).toEqual([true, true, false, true]);
  });

  test("API NetworkPolicyPeer: namespaceSelector {} selects every namespace; podSelector {} alone is the policy's namespace", () => {
    const base = [
      namespace('other'),
      web(),
      pod('default', 'client', { app: 'client' }),
      pod('other', 'client', { app: 'client' }),
    ];
    const all = analysisOf([
      ...base,
      policy('default', 'all-ns', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: {} }] }],
      }),
    ]);
    expect(can(all, 'other/client', 'default/web', 8080)).toBe(true);
    const local = analysisOf([
      ...base,
      policy('default', 'local', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: {} }] }],
      }),
    ]);
    expect(can(local, 'default/client', 'default/web', 8080)).toBe(true);
    expect(can(local, 'other/client', 'default/web', 8080)).toBe(false);
  });

  test('the docs, "Targeting a Namespace by its name": every namespace carries kubernetes.io/metadata.name, also one only referenced', () => {
    // Namespace "ghost" is never defined: it exists with just its name label.
    const a = analysisOf([
      web(),
      pod('ghost', 'client', { app: 'client' }),
      policy('default', 'by-name', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ghost' } } }] }],
      }),
    ]);
    expect(can(a, 'ghost/client', 'default/web', 8080)).toBe(true);
    expect(a.inventory.namespaces.get('ghost')).toEqual({ 'kubernetes.io/metadata.name': 'ghost' });
  });

  test('labels: matchExpressions In, NotIn (also matches a missing key), Exists, DoesNotExist, ANDed with matchLabels', () => {
    const pods = [
      pod('default', 'p1', { tier: 'a', env: 'prod' }),
      pod('default', 'p2', { tier: 'b' }),
      pod('default', 'p3', { env: 'dev' }),
      web(),
    ];
    const selects = (podSelector: object) => {
      const a = analysisOf([
        ...pods,
        policy('default', 'p', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [{ from: [{ podSelector }] }],
        }),
      ]);
      return ['p1', 'p2', 'p3'].filter((p) => can(a, `default/${p}`, 'default/web', 8080));
    };
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] })).toEqual(['p1', 'p2']);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['a'] }] })).toEqual(['p2', 'p3']);
    expect(selects({ matchExpressions: [{ key: 'env', operator: 'Exists' }] })).toEqual(['p1', 'p3']);
    expect(selects({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] })).toEqual(['p2']);
    expect(selects({ matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] })).toEqual([
      'p1',
    ]);
  });

  test('the docs, "Default policies": deny all ingress, allow all ingress overrides it, deny all egress, allow all egress', () => {
    const pods = [web(), pod('default', 'client', { app: 'client' })];
    const denyIn = policy('default', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    const allowIn = policy('default', 'allow-all-ingress', {
      podSelector: {},
      ingress: [{}],
      policyTypes: ['Ingress'],
    });
    const denyOut = policy('default', 'default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    const allowOut = policy('default', 'allow-all-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] });
    expect(can(analysisOf([...pods, denyIn]), 'default/client', 'default/web', 8080)).toBe(false);
    expect(can(analysisOf([...pods, denyIn, allowIn]), 'default/client', 'default/web', 8080)).toBe(true);
    expect(can(analysisOf([...pods, denyOut]), 'default/client', 'default/web', 8080)).toBe(false);
    expect(can(analysisOf([...pods, denyOut, allowOut]), 'default/client', 'default/web', 8080)).toBe(true);
  });

  test('API NetworkPolicyPort: protocol defaults to TCP; no port means every port of the protocol; TCP, UDP, SCTP differ', () => {
    const a = analysisOf([
      web(),
      pod('default', 'client', { app: 'client' }),
      policy('default', 'p', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 8080 }, { protocol: 'UDP' }] }],
      }),
    ]);
    expect(can(a, 'default/client', 'default/web', 8080, 'TCP')).toBe(true);
    expect(can(a, 'default/client', 'default/web', 8080, 'SCTP')).toBe(false);
    expect(can(a, 'default/client', 'default/web', 5353, 'UDP')).toBe(true);
    expect(can(a, 'default/client', 'default/web', 5353, 'TCP')).toBe(false);
  });

  test('the docs, "Targeting a range of ports": port..endPort inclusive', () => {
    const a = analysisOf([
      web(),
      pod('default', 'db', { role: 'db' }),
      policy('default', 'multi-port-egress', {
        podSelector: { matchLabels: { role: 'db' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }],
      }),
    ]);
    expect([31999, 32000, 32768, 32769].map((p) => can(a, 'default/db', 'default/web', p))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  test("API NetworkPolicyPort.port: a named port resolves through the destination's container ports (ingress and egress)", () => {
    const other = pod('default', 'other', { app: 'other' }, [{ name: 'http', containerPort: 9000 }]);
    const a = analysisOf([
      web(),
      other,
      pod('default', 'client', { app: 'client' }),
      policy('default', 'in', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 'http' }] }],
      }),
      policy('default', 'out', {
        podSelector: { matchLabels: { app: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 'http' }] }],
      }),
    ]);
    expect(can(a, 'default/client', 'default/web', 8080)).toBe(true); // web's http is 8080
    expect(can(a, 'default/client', 'default/web', 9000)).toBe(false);
    expect(can(a, 'default/client', 'default/other', 9000)).toBe(true); // other's http is 9000
    expect(can(a, 'default/client', 'default/other', 8080)).toBe(false);
    expect(a.connections(a.findWorkload('default/client')!, a.findWorkload('default/web')!).toString()).toBe(
      'TCP 8080',
    );
  });

  test('the docs, "Behavior of ipBlock selectors" + netstrap\'s assumption: an ipBlock matches pods by their known IPs, except excluded', () => {
    const a = analysisOf(
      [
        web('default', { app: 'web' }, '10.244.1.10'),
        pod('default', 'unknown', { app: 'unknown' }),
        pod('default', 'client', { app: 'client' }),
        policy('default', 'cidr', {
          podSelector: { matchLabels: { app: 'client' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.2.0/24'] } }] }],
        }),
      ],
      { podCidr: '10.244.0.0/16' },
    );
    expect(can(a, 'default/client', 'default/web', 8080)).toBe(true);
    // No known IP: matched only by a block covering the whole pod CIDR (here it has an except inside it).
    expect(can(a, 'default/client', 'default/unknown', 8080)).toBe(false);
    const all = analysisOf([
      pod('default', 'unknown', { app: 'unknown' }),
      pod('default', 'client', { app: 'client' }),
      policy('default', 'cidr', {
        podSelector: { matchLabels: { app: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }],
      }),
    ]);
    expect(can(all, 'default/client', 'default/unknown', 8080)).toBe(true);
  });

  test('the docs (overview): a pod cannot block access to itself; replicas of a Deployment are subject to policies', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    };
    const a = analysisOf([web(), deployment, policy('default', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })]);
    expect(can(a, 'default/web', 'default/web', 8080)).toBe(true);
    expect(can(a, 'default/api', 'default/api', 8080)).toBe(false);
  });

  test('connection sets: intersection of egress and ingress, per protocol', () => {
    const a = analysisOf([
      web(),
      pod('default', 'client', { app: 'client' }),
      policy('default', 'out', {
        podSelector: { matchLabels: { app: 'client' } },
        policyTypes: ['Egress'],
        egress: [
          {
            ports: [
              { port: 8000, endPort: 9000 },
              { port: 53, protocol: 'UDP' },
            ],
          },
        ],
      }),
      policy('default', 'in', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 8080 }, { port: 9500 }, { protocol: 'UDP' }] }],
      }),
    ]);
    expect(a.connections(a.findWorkload('default/client')!, a.findWorkload('default/web')!).toString()).toBe(
      'TCP 8080;UDP 53',
    );
    expect(
      ConnectionSet.all()
        .minus(ConnectionSet.ports('TCP', 1, 79))
        .toString(),
    ).toBe('TCP 80-65535;UDP 1-65535;SCTP 1-65535');
  });
});

/**
 * TestValidateNetworkPolicy of kubernetes/kubernetes (pkg/apis/networking/validation/validation_test.go), every
 * case, translated into YAML-shaped objects: the upstream base policy (foo in bar, podSelector a=b) with each case's
 * tweaks applied. Upstream's success cases have no names: they are numbered here in upstream order, with what they
 * hold. Each case runs through the manifest reader (`netstrap netpol`) and the cluster file (`kubernetes.networkPolicies`),
 * and both must give the API server's verdict. Every case is expressible in the cluster file.
 */
import { clusterOutcome, manifestOutcome, UpstreamCase, Verdict } from './support';

type Spec = Record<string, unknown>;
const base = { podSelector: { matchLabels: { a: 'b' } } };
const policy = (spec: Spec): Spec => ({ ...base, ...spec });

const ipv4Block = { cidr: '192.168.0.0/16', except: ['192.168.3.0/24', '192.168.4.0/24'] };
const ipv6Block = { cidr: 'fd00:192:168::/48', except: ['fd00:192:168:3::/64', 'fd00:192:168:4::/64'] };
const nsCD = { namespaceSelector: { matchLabels: { c: 'd' } } };
const invalidSelector = { matchLabels: { 'NoUppercaseOrSpecialCharsLike=Equals': 'b' } };
const validPorts = [
  { port: 80 },
  { protocol: 'TCP' },
  { protocol: 'TCP', port: 443 },
  { protocol: 'UDP', port: 'dns' },
  { protocol: 'SCTP', port: 7777 },
];

const success = (n: number, what: string, spec: Spec): UpstreamCase<Spec> => ({
  name: `success case ${n}: ${what}`,
  object: policy(spec),
  apiServer: 'accept',
});
const failure = (name: string, spec: Spec): UpstreamCase<Spec> => ({ name, object: policy(spec), apiServer: 'refuse' });
const ingressFromBlock = (ipBlock: Spec) => ({ ingress: [{ from: [{ ipBlock }] }] });
const egressPorts = (...ports: Spec[]) => ({ egress: [{ to: [nsCD], ports }] });

const upstreamCases: UpstreamCase<Spec>[] = [
  success(0, 'one empty ingress rule', { ingress: [{}] }),
  success(1, 'an ingress rule with one empty port', { ingress: [{ ports: [{}] }] }),
  success(2, 'ingress ports: bare 80, TCP, TCP 443, UDP dns, SCTP 7777', { ingress: [{ ports: validPorts }] }),
  success(3, 'ingress from a podSelector', { ingress: [{ from: [{ podSelector: { matchLabels: { c: 'd' } } }] }] }),
  success(4, 'ingress from a namespaceSelector', { ingress: [{ from: [nsCD] }] }),
  success(5, 'ingress from podSelector AND namespaceSelector in one peer', {
    ingress: [{ from: [{ podSelector: { matchLabels: { e: 'f' } }, ...nsCD }] }],
  }),
  success(6, 'egress to a namespaceSelector, ingress from an IPv4 ipBlock', {
    egress: [{ to: [nsCD] }],
    ...ingressFromBlock(ipv4Block),
  }),
  success(7, 'ingress from an IPv4 ipBlock with excepts', ingressFromBlock(ipv4Block)),
  success(8, 'egress to an IPv4 ipBlock, policyTypes [Egress]', {
    egress: [{ to: [{ ipBlock: ipv4Block }] }],
    policyTypes: ['Egress'],
  }),
  success(9, 'egress to an IPv4 ipBlock, policyTypes [Ingress, Egress]', {
    egress: [{ to: [{ ipBlock: ipv4Block }] }],
    policyTypes: ['Ingress', 'Egress'],
  }),
  success(10, 'egress ports: bare 80, TCP, TCP 443, UDP dns, SCTP 7777', { egress: [{ ports: validPorts }] }),
  success(11, 'egress to a namespaceSelector, ingress from an IPv6 ipBlock', {
    egress: [{ to: [nsCD] }],
    ...ingressFromBlock(ipv6Block),
  }),
  success(12, 'ingress from an IPv6 ipBlock with excepts', ingressFromBlock(ipv6Block)),
  success(13, 'egress to an IPv6 ipBlock, policyTypes [Egress]', {
    egress: [{ to: [{ ipBlock: ipv6Block }] }],
    policyTypes: ['Egress'],
  }),
  success(14, 'egress to an IPv6 ipBlock, policyTypes [Ingress, Egress]', {
    egress: [{ to: [{ ipBlock: ipv6Block }] }],
    policyTypes: ['Ingress', 'Egress'],
  }),
  success(15, 'egress port range 32000-32768 and UDP dns', {
    egress: [
      {
        ports: [
          { port: 32000, endPort: 32768 },
          { protocol: 'UDP', port: 'dns' },
        ],
      },
    ],
  }),
  success(16, 'egress port ranges to a namespace, ingress TCP 32768-32768 from a podSelector', {
    egress: [
      {
        to: [nsCD],
        ports: [
          { port: 30000, endPort: 32768 },
          { port: 32000, endPort: 32768 },
        ],
      },
    ],
    ingress: [
      {
        from: [{ podSelector: { matchLabels: { e: 'f' } } }],
        ports: [{ protocol: 'TCP', port: 32768, endPort: 32768 }],
      },
    ],
  }),
  failure('namespaceSelector and ipBlock', { ingress: [{ from: [{ ...nsCD, ipBlock: ipv4Block }] }] }),
  failure('podSelector and ipBlock', {
    egress: [{ to: [{ podSelector: { matchLabels: { c: 'd' } }, ipBlock: ipv4Block }] }],
  }),
  failure('missing from and to type', { ingress: [{ from: [{}] }], egress: [{ to: [{}] }] }),
  { name: 'invalid spec.podSelector', object: { podSelector: invalidSelector }, apiServer: 'refuse' },
  failure('invalid ingress.ports.protocol', { ingress: [{ ports: [{ protocol: 'ICMP', port: 80 }] }] }),
  failure('invalid ingress.ports.port (int)', { ingress: [{ ports: [{ protocol: 'TCP', port: 123456789 }] }] }),
  failure('invalid ingress.ports.port (str)', { ingress: [{ ports: [{ protocol: 'TCP', port: '!@#$' }] }] }),
  failure('invalid ingress.from.podSelector', { ingress: [{ from: [{ podSelector: invalidSelector }] }] }),
  failure('invalid egress.to.podSelector', { egress: [{ to: [{ podSelector: invalidSelector }] }] }),
  failure('invalid egress.ports.protocol', { egress: [{ ports: [{ protocol: 'ICMP', port: 80 }] }] }),
  failure('invalid egress.ports.port (int)', { egress: [{ ports: [{ protocol: 'TCP', port: 123456789 }] }] }),
  failure('invalid egress.ports.port (str)', { egress: [{ ports: [{ protocol: 'TCP', port: '!@#$' }] }] }),
  failure('invalid ingress.from.namespaceSelector', { ingress: [{ from: [{ namespaceSelector: invalidSelector }] }] }),
  failure('missing cidr field', ingressFromBlock({ ...ipv4Block, cidr: '' })),
  failure('invalid cidr format', ingressFromBlock({ ...ipv4Block, cidr: '192.168.5.6' })),
  failure('invalid ipv6 cidr format', ingressFromBlock({ ...ipv6Block, cidr: 'fd00:192:168::' })),
  failure('except field is an empty string', ingressFromBlock({ ...ipv4Block, except: [''] })),
  failure('except field is an space string', ingressFromBlock({ ...ipv4Block, except: [' '] })),
  failure('except field is an invalid ip', ingressFromBlock({ ...ipv4Block, except: ['300.300.300.300'] })),
  failure(
    'except IP is outside of CIDR range',
    ingressFromBlock({ cidr: '192.168.8.0/24', except: ['192.168.9.1/32'] }),
  ),
  failure(
    'except IP is not strictly within CIDR range',
    ingressFromBlock({ cidr: '192.168.0.0/24', except: ['192.168.0.0/24'] }),
  ),
  failure(
    'except IPv6 is outside of CIDR range',
    ingressFromBlock({ cidr: 'fd00:192:168:1::/64', except: ['fd00:192:168:2::/64'] }),
  ),
  failure('invalid policyTypes', { egress: [{ to: [{ ipBlock: ipv4Block }] }], policyTypes: ['foo', 'bar'] }),
  failure('too many policyTypes', { egress: [{ to: [{ ipBlock: ipv4Block }] }], policyTypes: ['foo', 'bar', 'baz'] }),
  failure(
    'multiple ports defined, one port range is invalid',
    egressPorts({ protocol: 'UDP', port: 35000, endPort: 32768 }, { port: 32000, endPort: 32768 }),
  ),
  failure(
    'endPort defined with named/string port',
    egressPorts({ protocol: 'UDP', port: 'dns', endPort: 32768 }, { port: 32000, endPort: 32768 }),
  ),
  failure('endPort defined without port defined', egressPorts({ protocol: 'TCP', endPort: 32768 })),
  failure('port is greater than endPort', egressPorts({ protocol: 'SCTP', port: 35000, endPort: 32768 })),
  failure(
    'multiple invalid port ranges defined',
    egressPorts(
      { protocol: 'UDP', port: 35000, endPort: 32768 },
      { protocol: 'TCP', endPort: 32768 },
      { protocol: 'TCP', port: 'https', endPort: 32768 },
    ),
  ),
  failure('invalid endport range defined', egressPorts({ protocol: 'TCP', port: 30000, endPort: 65537 })),
];

/** Cases of issue 19 beyond the upstream table: what the API server accepts with a warning, or refuses. */
const issueCases: Array<UpstreamCase<Spec> & { readonly says?: RegExp }> = [
  {
    name: 'policyTypes [Egress] with ingress rules: stored, the rules ignored (named in the warning)',
    object: policy({ policyTypes: ['Egress'], ingress: [{}, { from: [nsCD] }], egress: [{}] }),
    apiServer: 'warn',
    says: /spec\.ingress: ingress\[0\], ingress\[1\] are ignored: policyTypes \["Egress"\] does not include "Ingress"/,
  },
  {
    name: 'policyTypes [Ingress] with egress rules (the mirror case)',
    object: policy({ policyTypes: ['Ingress'], egress: [{ to: [nsCD] }] }),
    apiServer: 'warn',
    says: /spec\.egress: egress\[0\] is ignored: policyTypes \["Ingress"\] does not include "Egress"/,
  },
  {
    name: 'ipBlock cidr with host bits: the network is used, with a warning',
    object: policy(ingressFromBlock({ cidr: '10.1.2.3/8' })),
    apiServer: 'warn',
    says: /ipBlock\.cidr: "10\.1\.2\.3\/8" has host bits set: the API server uses the network 10\.0\.0\.0\/8/,
  },
  {
    name: 'IPv6 ipBlock cidr with host bits',
    object: policy(ingressFromBlock({ cidr: 'fd00:1::5/64' })),
    apiServer: 'warn',
    says: /has host bits set: the API server uses the network fd00:1::\/64/,
  },
  {
    name: 'IPv6 ipBlock with no prefix length',
    object: policy(ingressFromBlock({ cidr: 'fd00::1' })),
    apiServer: 'refuse',
    says: /ipBlock\.cidr: invalid CIDR "fd00::1": expected address\/prefix/,
  },
  {
    name: 'IPv6 except in an IPv4 cidr',
    object: policy(ingressFromBlock({ cidr: '10.0.0.0/8', except: ['fd00::/8'] })),
    apiServer: 'refuse',
    says: /except "fd00::\/8" must be a strict subset of cidr "10\.0\.0\.0\/8", which is of the other IP family/,
  },
  {
    name: 'policyTypes [] with ingress and egress rules: defaulted from the rules, no warning',
    object: policy({ policyTypes: [], ingress: [{}], egress: [{}] }),
    apiServer: 'accept',
  },
  {
    name: 'policyTypes [Ingress, Ingress]: stored (only more than two types is refused), with a warning',
    object: policy({ policyTypes: ['Ingress', 'Ingress'] }),
    apiServer: 'warn',
    says: /spec\.policyTypes\[1\]: policy type "Ingress" is listed twice/,
  },
  {
    name: 'IPv6 ::/0 (a dual-stack cluster export)',
    object: policy({ egress: [{ to: [{ ipBlock: { cidr: '::/0', except: ['fd00::/8'] } }] }] }),
    apiServer: 'accept',
  },
];

/** The one deliberate deviation: upstream takes leading zeros only with its StrictIPCIDRValidation gate off. */
const deviation: UpstreamCase<Spec> = {
  name: 'IPv4 cidr with leading zeros (refused on purpose)',
  object: policy(ingressFromBlock({ cidr: '010.0.0.0/8' })),
  apiServer: 'refuse',
};

const asManifest = (spec: Spec) => ({ metadata: { name: 'foo', namespace: 'bar' }, spec });
const asClusterEntry = (spec: Spec) => ({ name: 'foo', namespace: 'bar', ...spec });

describe('TestValidateNetworkPolicy (kubernetes/kubernetes), every case', () => {
  test.each(upstreamCases.map((c) => [c.name, c.object, c.apiServer] as const))(
    '%s',
    (_name, spec, apiServer: Verdict) => {
      const manifest = manifestOutcome(asManifest(spec));
      const cluster = clusterOutcome('networkPolicies', asClusterEntry(spec));
      expect({ manifest: manifest.verdict, cluster: cluster.verdict }).toEqual({
        manifest: apiServer,
        cluster: apiServer,
      });
    },
  );

  test('the table is complete: 17 success cases and 30 error cases, as upstream', () => {
    expect(upstreamCases.filter((c) => c.apiServer === 'accept')).toHaveLength(17);
    expect(upstreamCases.filter((c) => c.apiServer === 'refuse')).toHaveLength(30);
  });
});

describe('issue 19: NetworkPolicy rules the API server accepts with a warning, or refuses', () => {
  test.each(issueCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const manifest = manifestOutcome(asManifest(c.object));
    const cluster = clusterOutcome('networkPolicies', asClusterEntry(c.object));
    expect({ manifest: manifest.verdict, cluster: cluster.verdict }).toEqual({
      manifest: c.apiServer,
      cluster: c.apiServer,
    });
    if (c.says) {
      expect(manifest.lines.join('\n')).toMatch(c.says);
      expect(cluster.lines.join('\n')).toMatch(new RegExp(c.says.source.replace(/^spec\\\./, '')));
    }
  });

  test('a warning names file, document, kind and field, after "warning: "', () => {
    const { lines } = manifestOutcome(asManifest(issueCases[2].object));
    expect(lines).toEqual([
      'warning: np.yaml (document 1, NetworkPolicy bar/foo): spec.ingress[0].from[0].ipBlock.cidr: "10.1.2.3/8" has host bits set: the API server uses the network 10.0.0.0/8; write that',
    ]);
    expect(clusterOutcome('networkPolicies', asClusterEntry(issueCases[2].object)).lines).toEqual([
      'warning: upstream.yaml: kubernetes.networkPolicies[0].ingress[0].from[0].ipBlock.cidr: "10.1.2.3/8" has host bits set: the API server uses the network 10.0.0.0/8; write that',
    ]);
  });

  test('the one deliberate deviation: IPv4 leading zeros stay refused', () => {
    expect(manifestOutcome(asManifest(deviation.object)).lines.join('\n')).toMatch(
      /invalid CIDR "010\.0\.0\.0\/8": 010 is not an IPv4 octet \(0-255, no leading zeros\)/,
    );
    expect(clusterOutcome('networkPolicies', asClusterEntry(deviation.object)).verdict).toBe('refuse');
  });
});

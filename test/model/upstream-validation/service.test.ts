/**
 * The network-relevant cases of TestValidateServiceCreate (kubernetes/kubernetes pkg/apis/core/validation/
 * validation_test.go): metadata, ports, clusterIP, NodePorts, externalName, load-balancer source ranges (field and
 * annotation) and externalTrafficPolicy, translated into `kubernetes.services` entries of a cluster file (netstrap's
 * one reader of Services; `netstrap netpol` reads none). The base is upstream's makeValidService (valid/valid,
 * selector key=val, sessionAffinity None, type ClusterIP, port p 8675/TCP). A Go zero value ("" or 0 that upstream
 * leaves out) is an absent field, as it is on the wire (omitempty). Each case keeps its upstream name and expects
 * the API server's verdict on create; where that is not the validation function's alone, `note` says why.
 */
import { clusterOutcome, Inexpressible, UpstreamCase } from './support';

type Svc = Record<string, any>;
const base: Svc = {
  name: 'valid',
  namespace: 'valid',
  labels: {},
  annotations: {},
  selector: { key: 'val' },
  sessionAffinity: 'None',
  type: 'ClusterIP',
  ports: [{ name: 'p', protocol: 'TCP', port: 8675, targetPort: 8675 }],
};
const RANGES = 'service.beta.kubernetes.io/load-balancer-source-ranges';
/** Outside the API server's default --service-node-port-range (30000-32767): its allocator refuses the create. */
const ALLOCATOR =
  'the table checks validation only; on create the NodePort allocator refuses a port outside 30000-32767';

function c(name: string, apiServer: 'accept' | 'refuse', change: (s: Svc) => void, note?: string): UpstreamCase<Svc> {
  const object = JSON.parse(JSON.stringify(base));
  change(object);
  return { name, object, apiServer, note };
}
const lb = (s: Svc) => {
  s.type = 'LoadBalancer';
  s.externalTrafficPolicy = 'Cluster';
};
const nodePort = (s: Svc) => {
  s.type = 'NodePort';
  s.externalTrafficPolicy = 'Cluster';
};
const port = (name: string | undefined, number: number, protocol: string, extra: Svc = {}) => ({
  ...(name === undefined ? {} : { name }),
  port: number,
  protocol,
  targetPort: number,
  ...extra,
});

const cases: UpstreamCase<Svc>[] = [
  c('missing namespace', 'refuse', (s) => (s.namespace = '')),
  c('invalid namespace', 'refuse', (s) => (s.namespace = '-123')),
  c('missing name', 'refuse', (s) => (s.name = '')),
  c('invalid name', 'refuse', (s) => (s.name = '-123')),
  c('too long name', 'refuse', (s) => (s.name = 'a'.repeat(64))),
  c('invalid label', 'refuse', (s) => (s.labels['NoUppercaseOrSpecialCharsLike=Equals'] = 'bar')),
  c('invalid annotation', 'refuse', (s) => (s.annotations['NoSpecialCharsLike=Equals'] = 'bar')),
  c('nil selector', 'accept', (s) => delete s.selector),
  c('invalid selector', 'refuse', (s) => (s.selector['NoSpecialCharsLike=Equals'] = 'bar')),
  c('missing session affinity', 'refuse', (s) => (s.sessionAffinity = '')),
  c('missing type', 'refuse', (s) => (s.type = '')),
  c('missing ports', 'refuse', (s) => delete s.ports),
  c('missing ports but headless', 'accept', (s) => {
    delete s.ports;
    s.clusterIP = 'None';
  }),
  c('empty port[0] name', 'accept', (s) => delete s.ports[0].name),
  c('empty port[1] name', 'refuse', (s) => s.ports.push(port(undefined, 12345, 'TCP'))),
  c('empty multi-port port[0] name', 'refuse', (s) => {
    delete s.ports[0].name;
    s.ports.push(port('p', 12345, 'TCP'));
  }),
  c('invalid port name', 'refuse', (s) => (s.ports[0].name = 'INVALID')),
  c('missing protocol', 'refuse', (s) => (s.ports[0].protocol = '')),
  c('invalid protocol', 'refuse', (s) => (s.ports[0].protocol = 'INVALID')),
  c('invalid cluster ip', 'refuse', (s) => (s.clusterIP = 'invalid')),
  c('missing port', 'refuse', (s) => delete s.ports[0].port),
  c('invalid port', 'refuse', (s) => (s.ports[0].port = 65536)),
  c('invalid TargetPort int', 'refuse', (s) => (s.ports[0].targetPort = 65536)),
  c('valid port headless', 'accept', (s) => {
    s.ports[0].port = 11722;
    s.ports[0].targetPort = 11722;
    s.clusterIP = 'None';
  }),
  c('invalid port headless 1', 'accept', (s) => {
    s.ports[0].port = 11722;
    s.ports[0].targetPort = 11721;
    s.clusterIP = 'None';
  }),
  c('invalid port headless 2', 'accept', (s) => {
    s.ports[0].port = 11722;
    s.ports[0].targetPort = 'target';
    s.clusterIP = 'None';
  }),
  c('dup port name', 'refuse', (s) => s.ports.push(port('p', 12345, 'TCP'))),
  c('valid load balancer protocol UDP 1', 'accept', (s) => {
    lb(s);
    s.ports[0].protocol = 'UDP';
  }),
  c('valid load balancer protocol UDP 2', 'accept', (s) => {
    lb(s);
    s.ports[0] = port('q', 12345, 'UDP');
  }),
  c('load balancer with mix protocol', 'accept', (s) => {
    lb(s);
    s.ports.push(port('q', 12345, 'UDP'));
  }),
  c('valid 1', 'accept', () => {}),
  c('valid 2', 'accept', (s) => {
    s.ports[0].protocol = 'UDP';
    s.ports[0].targetPort = 12345;
  }),
  c('valid 3', 'accept', (s) => (s.ports[0].targetPort = 'http')),
  c('valid cluster ip - none ', 'accept', (s) => (s.clusterIP = 'None')),
  c('valid cluster ip - empty', 'accept', (s) => (s.ports[0].targetPort = 'http')),
  c('valid type - clusterIP', 'accept', (s) => (s.type = 'ClusterIP')),
  c('valid type - loadbalancer', 'accept', lb),
  c('valid type loadbalancer 2 ports', 'accept', (s) => {
    lb(s);
    s.ports.push(port('q', 12345, 'TCP'));
  }),
  c('valid external load balancer 2 ports', 'accept', (s) => {
    lb(s);
    s.ports.push(port('q', 12345, 'TCP'));
  }),
  c('duplicate nodeports', 'refuse', (s) => {
    nodePort(s);
    s.ports.push(port('q', 1, 'TCP', { nodePort: 1 }), port('r', 2, 'TCP', { nodePort: 1 }));
  }),
  c(
    'duplicate nodeports (different protocols)',
    'refuse',
    (s) => {
      nodePort(s);
      s.ports.push(
        port('q', 1, 'TCP', { nodePort: 1 }),
        port('r', 2, 'UDP', { nodePort: 1 }),
        port('s', 3, 'SCTP', { nodePort: 1 }),
      );
    },
    ALLOCATOR,
  ),
  c('invalid duplicate ports (with same protocol)', 'refuse', (s) => {
    s.ports.push(port('q', 12345, 'TCP', { targetPort: 8080 }), port('r', 12345, 'TCP', { targetPort: 80 }));
  }),
  c('valid duplicate ports (with different protocols)', 'accept', (s) => {
    s.ports.push(
      port('q', 12345, 'TCP', { targetPort: 8080 }),
      port('r', 12345, 'UDP', { targetPort: 80 }),
      port('s', 12345, 'SCTP', { targetPort: 8088 }),
    );
  }),
  c('valid type - cluster', 'accept', (s) => (s.type = 'ClusterIP')),
  c('valid type - nodeport', 'accept', nodePort),
  c(
    'valid type - loadbalancer with allocateLoadBalancerNodePorts=true',
    'accept',
    lb,
    'allocateLoadBalancerNodePorts is not a cluster-file field; true is what the API server defaults it to',
  ),
  c(
    'valid type loadbalancer with NodePort',
    'refuse',
    (s) => {
      lb(s);
      s.ports.push(port('q', 12345, 'TCP', { nodePort: 12345 }));
    },
    ALLOCATOR,
  ),
  c(
    'valid type=NodePort service with NodePort',
    'refuse',
    (s) => {
      nodePort(s);
      s.ports.push(port('q', 12345, 'TCP', { nodePort: 12345 }));
    },
    ALLOCATOR,
  ),
  c('valid type=NodePort service without NodePort', 'accept', (s) => {
    nodePort(s);
    s.ports.push(port('q', 12345, 'TCP'));
  }),
  c('valid cluster service without NodePort', 'accept', (s) => s.ports.push(port('q', 12345, 'TCP'))),
  c('invalid cluster service with NodePort', 'refuse', (s) =>
    s.ports.push(port('q', 12345, 'TCP', { nodePort: 12345 })),
  ),
  c('invalid public service with duplicate NodePort', 'refuse', (s) => {
    nodePort(s);
    s.ports.push(port('p1', 1, 'TCP', { nodePort: 1 }), port('p2', 2, 'TCP', { nodePort: 1 }));
  }),
  c('valid type=LoadBalancer', 'accept', (s) => {
    lb(s);
    s.ports.push(port('q', 12345, 'TCP'));
  }),
  c('valid port type=LoadBalancer', 'accept', (s) => {
    lb(s);
    s.ports.push(port('kubelet', 10250, 'TCP', { targetPort: 12345 }));
  }),
  c('valid LoadBalancer source range annotation', 'accept', (s) => {
    lb(s);
    s.annotations[RANGES] = '1.2.3.0/24,  5.6.0.0/16';
  }),
  c('valid empty LoadBalancer source range annotation', 'accept', (s) => {
    lb(s);
    s.annotations[RANGES] = '';
  }),
  c('valid whitespace-only LoadBalancer source range annotation', 'accept', (s) => {
    lb(s);
    s.annotations[RANGES] = '  ';
  }),
  c('invalid LoadBalancer source range annotation (hostname)', 'refuse', (s) => {
    lb(s);
    s.annotations[RANGES] = 'foo.bar';
  }),
  c('invalid LoadBalancer source range annotation (invalid CIDR)', 'refuse', (s) => {
    lb(s);
    s.annotations[RANGES] = '1.2.3.4/33';
  }),
  c(
    'invalid LoadBalancer source range annotation for non LoadBalancer type service',
    'refuse',
    (s) => (s.annotations[RANGES] = '1.2.3.0/24'),
  ),
  c(
    'invalid empty-but-set LoadBalancer source range annotation for non LoadBalancer type service',
    'refuse',
    (s) => (s.annotations[RANGES] = ''),
  ),
  c('valid LoadBalancer source range', 'accept', (s) => {
    lb(s);
    s.loadBalancerSourceRanges = ['1.2.3.0/24', '5.6.0.0/16'];
  }),
  c('valid LoadBalancer source range with whitespace', 'accept', (s) => {
    lb(s);
    s.loadBalancerSourceRanges = ['1.2.3.0/24  ', ' 5.6.0.0/16'];
  }),
  c('invalid empty LoadBalancer source range', 'refuse', (s) => {
    lb(s);
    s.loadBalancerSourceRanges = ['   '];
  }),
  c('invalid LoadBalancer source range (hostname)', 'refuse', (s) => {
    lb(s);
    s.loadBalancerSourceRanges = ['foo.bar'];
  }),
  c('invalid LoadBalancer source range (invalid CIDR)', 'refuse', (s) => {
    lb(s);
    s.loadBalancerSourceRanges = ['1.2.3.4/33'];
  }),
  c(
    'invalid source range for non LoadBalancer type service',
    'refuse',
    (s) => (s.loadBalancerSourceRanges = ['1.2.3.0/24', '5.6.0.0/16']),
  ),
  c('invalid source range annotation ignored with valid source range field', 'accept', (s) => {
    lb(s);
    s.annotations[RANGES] = 'foo.bar';
    s.loadBalancerSourceRanges = ['1.2.3.0/24', '5.6.0.0/16'];
  }),
  c('valid ExternalName', 'accept', (s) => {
    s.type = 'ExternalName';
    s.externalName = 'foo.bar.example.com';
  }),
  c('valid ExternalName (trailing dot)', 'accept', (s) => {
    s.type = 'ExternalName';
    s.externalName = 'foo.bar.example.com.';
  }),
  c('invalid ExternalName clusterIP (valid IP)', 'refuse', (s) => {
    s.type = 'ExternalName';
    s.clusterIP = '1.2.3.4';
    s.externalName = 'foo.bar.example.com';
  }),
  c('invalid ExternalName clusterIP (None)', 'refuse', (s) => {
    s.type = 'ExternalName';
    s.clusterIP = 'None';
    s.externalName = 'foo.bar.example.com';
  }),
  c('invalid ExternalName (not a DNS name)', 'refuse', (s) => {
    s.type = 'ExternalName';
    s.externalName = '-123';
  }),
  c('LoadBalancer type cannot have None ClusterIP', 'refuse', (s) => {
    lb(s);
    s.clusterIP = 'None';
  }),
  c('invalid node port with clusterIP None', 'refuse', (s) => {
    nodePort(s);
    s.ports.push(port('q', 1, 'TCP', { nodePort: 1 }));
    s.clusterIP = 'None';
  }),
  c('invalid externalTraffic field', 'refuse', (s) => {
    lb(s);
    s.externalTrafficPolicy = 'invalid';
  }),
  c('valid. no field set', 'accept', () => {}),
  c('valid appProtocol', 'accept', (s) => (s.ports = [port(undefined, 12345, 'TCP', { appProtocol: 'HTTP' })])),
  c(
    'valid custom appProtocol',
    'accept',
    (s) => (s.ports = [port(undefined, 12345, 'TCP', { appProtocol: 'example.com/protocol' })]),
  ),
  c(
    'invalid appProtocol',
    'refuse',
    (s) =>
      (s.ports = [port(undefined, 12345, 'TCP', { appProtocol: 'example.com/protocol_with{invalid}[characters]' })]),
  ),
  c('topology annotations are mismatched', 'refuse', (s) => {
    s.annotations['service.kubernetes.io/topology-aware-hints'] = 'original';
    s.annotations['service.kubernetes.io/topology-mode'] = 'different';
  }),
];

/** TestValidateServiceExternalTrafficPolicy, the cases the cluster file can say. */
const externalTrafficPolicy: UpstreamCase<Svc>[] = [
  c('valid nodePort service with externalTrafficPolicy set', 'accept', (s) => {
    s.type = 'NodePort';
    s.externalTrafficPolicy = 'Local';
  }),
  c('valid clusterIP service with none of externalTrafficPolicy and healthCheckNodePort set', 'accept', () => {}),
  c('cannot set externalTrafficPolicy field on ExternalName service', 'refuse', (s) => {
    s.type = 'ExternalName';
    s.externalName = 'foo.bar.example.com';
    s.externalTrafficPolicy = 'Local';
  }),
];

/** Upstream cases of TestValidateServiceCreate the cluster file cannot say, with the field it lacks. */
/**
 * The dual-stack cases (issue 21), in a dual-stack cluster file whose service ranges hold upstream's addresses
 * (10.0.0.0/16 and 2001::/108). Upstream's Go zero value "" for clusterIP is an absent field, as everywhere here.
 */
const DUAL_NETWORK = { podCidr: ['10.244.0.0/16', 'fd00:10:244::/56'], serviceCidr: ['10.0.0.0/16', '2001::/108'] };
const ALLOC = 'validation passes it; the API server refuses it on create (allocation: SingleStack takes one family)';
const policy = (p: string, families?: string[]) => (s: Svc) => {
  s.ipFamilyPolicy = p;
  if (families) s.ipFamilies = families;
};
const ips = (p: string | undefined, clusterIP: string | undefined, clusterIPs: string[]) => (s: Svc) => {
  if (p !== undefined) s.ipFamilyPolicy = p;
  if (clusterIP !== undefined && clusterIP !== '') s.clusterIP = clusterIP;
  s.clusterIPs = clusterIPs;
};
const dualStack: UpstreamCase<Svc>[] = [
  c('invalid, service with invalid ipFamilies', 'refuse', (s) => (s.ipFamilies = ['not-a-valid-ip-family'])),
  c(
    'invalid, service with invalid ipFamilies (2nd)',
    'refuse',
    policy('RequireDualStack', ['IPv4', 'not-a-valid-ip-family']),
  ),
  c('IPFamilyPolicy(singleStack) is set for two families', 'refuse', policy('SingleStack', ['IPv4', 'IPv6']), ALLOC),
  c(
    'valid, IPFamilyPolicy(preferDualStack) is set for two families (note: alloc sets families)',
    'accept',
    policy('PreferDualStack', ['IPv4', 'IPv6']),
  ),
  c('invalid, service with 2+ ipFamilies', 'refuse', policy('RequireDualStack', ['IPv4', 'IPv6', 'IPv4'])),
  c('invalid, service with same ip families', 'refuse', policy('RequireDualStack', ['IPv6', 'IPv6'])),
  c('valid, nil service ipFamilies', 'accept', (s) => delete s.ipFamilies),
  c('valid, service with valid ipFamilies (v4)', 'accept', (s) => (s.ipFamilies = ['IPv4'])),
  c('valid, service with valid ipFamilies (v6)', 'accept', (s) => (s.ipFamilies = ['IPv6'])),
  c('valid, service with valid ipFamilies(v4,v6)', 'accept', policy('RequireDualStack', ['IPv4', 'IPv6'])),
  c('valid, service with valid ipFamilies(v6,v4)', 'accept', policy('RequireDualStack', ['IPv6', 'IPv4'])),
  c('valid, service preferred dual stack with single family', 'accept', policy('PreferDualStack', ['IPv6'])),
  c('invalid, garbage single ip', 'refuse', ips(undefined, 'garbage-ip', ['garbage-ip'])),
  c('invalid, garbage ips', 'refuse', ips('RequireDualStack', 'garbage-ip', ['garbage-ip', 'garbage-second-ip'])),
  c('invalid, garbage first ip', 'refuse', ips('RequireDualStack', 'garbage-ip', ['garbage-ip', '2001::1'])),
  c('invalid, garbage second ip', 'refuse', ips('RequireDualStack', '2001::1', ['2001::1', 'garbage-ip'])),
  c('invalid, NONE + IP', 'refuse', ips(undefined, 'None', ['None', '2001::1'])),
  c('invalid, IP + NONE', 'refuse', ips(undefined, '2001::1', ['2001::1', 'None'])),
  c('invalid, EMPTY STRING + IP', 'refuse', ips(undefined, '', ['', '2001::1'])),
  c('invalid, IP + EMPTY STRING', 'refuse', ips(undefined, '2001::1', ['2001::1', ''])),
  c('invalid, same ip family (v6)', 'refuse', ips('RequireDualStack', '2001::1', ['2001::1', '2001::4'])),
  c('invalid, same ip family (v4)', 'refuse', ips('RequireDualStack', '10.0.0.1', ['10.0.0.1', '10.0.0.10'])),
  c('invalid, more than two ips', 'refuse', ips('RequireDualStack', '10.0.0.1', ['10.0.0.1', '2001::1', '10.0.0.10'])),
  c(
    'invalid cluster ip != clusterIP in multi ip service',
    'refuse',
    ips('RequireDualStack', '10.0.0.10', ['10.0.0.1', '2001::1']),
  ),
  c('invalid cluster ip != clusterIP in single ip service', 'refuse', ips(undefined, '10.0.0.10', ['10.0.0.1'])),
];

const inexpressible: Inexpressible[] = [
  { name: 'invalid generateName', field: 'metadata.generateName' },
  { name: 'too long generateName', field: 'metadata.generateName' },
  ...['localhost', 'unspecified', 'loopback', 'host'].map((what) => ({
    name: `invalid publicIPs ${what}`,
    field: 'spec.externalIPs',
  })),
  { name: 'valid publicIPs', field: 'spec.externalIPs' },
  {
    name: 'valid type - loadbalancer with allocateLoadBalancerNodePorts=false',
    field: 'spec.allocateLoadBalancerNodePorts',
  },
  {
    name: 'invalid type - missing AllocateLoadBalancerNodePorts for loadbalancer type',
    field: 'spec.allocateLoadBalancerNodePorts',
  },
  ...[
    'nil internalTraffic field when feature gate is on',
    'internalTrafficPolicy field nil when type is ExternalName',
    'internalTrafficPolicy field is set when type is ExternalName',
    'invalid internalTraffic field',
    'internalTrafficPolicy field set to Cluster',
    'internalTrafficPolicy field set to Local',
  ].map((name) => ({ name, field: 'spec.internalTrafficPolicy' })),
  { name: 'negative healthCheckNodePort field', field: 'spec.healthCheckNodePort' },
  { name: 'invalid timeoutSeconds field', field: 'spec.sessionAffinityConfig' },
  { name: "sessionAffinityConfig can't be set when session affinity is None", field: 'spec.sessionAffinityConfig' },
  ...[
    ' multi ip, dualstack not set (request for downgrade)',
    'valid, headless-no-selector + multi family + gate off',
    'valid, multi ip, single ipfamilies preferDualStack',
  ].map((name) => ({
    name,
    field:
      'spec.clusterIPs: not translated yet (a downgrade is an update case; 10.0.0.1 is the kubernetes Service address in a cluster)',
  })),
  ...[
    'valid, multi ip, single ipfamilies (must match when provided) + requireDualStack',
    "invalid, families don't match (v4=>v6)",
    "invalid, families don't match (v6=>v4)",
    'valid, single ip',
    'valid, single family',
    'valid, single ip + single family',
    'valid, single ip + single family (dual stack requested)',
    'valid, single ip, multi ipfamilies',
    'valid, multi ips, multi ipfamilies (4,6)',
    'valid, ips, multi ipfamilies (6,4)',
    'valid, multi ips (6,4)',
    'valid, multi ipfamilies (6,4)',
    'valid, multi ips (4,6)',
    'valid,  multi ipfamilies (4,6)',
    'valid, dual stack',
  ].map((name) => ({
    name,
    field: 'spec.ipFamilyPolicy / spec.clusterIPs: not translated yet (expressible since issue 21)',
  })),
  {
    name: 'Use AllocateLoadBalancerNodePorts when type is not LoadBalancer',
    field: 'spec.allocateLoadBalancerNodePorts',
  },
  ...[
    'valid LoadBalancerClass when type is LoadBalancer',
    'invalid LoadBalancerClass',
    'invalid: set LoadBalancerClass when type is not LoadBalancer',
  ].map((name) => ({ name, field: 'spec.loadBalancerClass' })),
  ...['valid: trafficDistribution field set to PreferClose', 'invalid: trafficDistribution field set to Random'].map(
    (name) => ({ name, field: 'spec.trafficDistribution' }),
  ),
];

describe('TestValidateServiceCreate (kubernetes/kubernetes), network-relevant cases, through the cluster file', () => {
  test.each(cases.map((k) => [k.name, k] as const))('%s', (_name, k) => {
    expect(clusterOutcome('services', k.object).verdict).toBe(k.apiServer);
  });

  test('translated and inexpressible cases are counted', () => {
    expect(cases).toHaveLength(81);
    expect(dualStack).toHaveLength(25);
    expect(inexpressible).toHaveLength(42);
  });
});

describe('TestValidateServiceCreate (kubernetes/kubernetes), dual-stack cases, in a dual-stack cluster file', () => {
  test.each(dualStack.map((k) => [k.name, k] as const))('%s', (_name, k) => {
    expect(clusterOutcome('services', k.object, DUAL_NETWORK).verdict).toBe(k.apiServer);
  });
});

describe('TestValidateServiceExternalTrafficPolicy (kubernetes/kubernetes), through the cluster file', () => {
  // Left out: the healthCheckNodePort cases (no such field), and "externalTrafficPolicy is required on NodePort /
  // LoadBalancer service" and "... ClusterIP service with externalIPs", which the API server's defaulting fills
  // (Cluster) before validation; the cluster file leaves it absent the same way.
  test.each(externalTrafficPolicy.map((k) => [k.name, k] as const))('%s', (_name, k) => {
    expect(clusterOutcome('services', k.object).verdict).toBe(k.apiServer);
  });
});

describe('issue 19: Service rules', () => {
  const topology = (mode: string, hints: string) =>
    clusterOutcome('services', {
      ...base,
      annotations: { 'service.kubernetes.io/topology-mode': mode, 'service.kubernetes.io/topology-aware-hints': hints },
    });

  test('topology-mode and topology-aware-hints: equal is accepted, different is refused at topology-mode', () => {
    expect(topology('Auto', 'Auto').verdict).toBe('accept');
    expect(topology('Auto', 'Disabled').lines).toEqual([
      'upstream.yaml: kubernetes.services[2].annotations["service.kubernetes.io/topology-mode"]: "Auto" must match annotation service.kubernetes.io/topology-aware-hints "Disabled" when both are given (drop the deprecated one)',
    ]);
  });

  test('load-balancer source ranges: a host name, a bad CIDR, a non-LoadBalancer Service are refused; host bits warn', () => {
    const withRanges = (type: string, ranges: string) =>
      clusterOutcome('services', { ...base, type, annotations: { [RANGES]: ranges } });
    expect(withRanges('LoadBalancer', 'example.com').lines[0]).toMatch(/invalid CIDR "example\.com"/);
    expect(withRanges('LoadBalancer', '10.0.0.0/8, 1.2.3.0/33').verdict).toBe('refuse');
    expect(withRanges('NodePort', '10.0.0.0/8').lines[0]).toMatch(
      /annotations\["service\.beta\.kubernetes\.io\/load-balancer-source-ranges"\]: may only be used when type is "LoadBalancer" \(this Service is NodePort\)/,
    );
    expect(withRanges('LoadBalancer', '10.0.0.0/8, fd00::/8').verdict).toBe('accept');
    expect(withRanges('LoadBalancer', '10.1.2.3/8').lines).toEqual([
      'warning: upstream.yaml: kubernetes.services[2].annotations["service.beta.kubernetes.io/load-balancer-source-ranges"]: "10.1.2.3/8" has host bits set: the network 10.0.0.0/8 is used; write that',
    ]);
  });

  test('ExternalName with a trailing dot is accepted; upper case is not a DNS-1123 name', () => {
    const external = (externalName: string) =>
      clusterOutcome('services', { name: 'ext', type: 'ExternalName', externalName });
    expect(external('foo.bar.example.com.').verdict).toBe('accept');
    expect(external('Foo.example.com').verdict).toBe('refuse');
    expect(external('.').verdict).toBe('refuse');
  });
});

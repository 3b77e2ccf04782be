/**
 * The Kubernetes project's own NetworkPolicy e2e expectations (kubernetes/kubernetes test/e2e/network/netpol/
 * network_policy.go, model.go): namespaces x, y, z (labelled ns=<name>, plus kubernetes.io/metadata.name), pods
 * a, b, c (labelled pod=<name>), each serving 80 and 81 on TCP, UDP and SCTP with container ports named
 * serve-<port>-<protocol>. Each case builds the upstream policy, the upstream Reachability truth table (default
 * allowed, then the same Expect* calls) and compares it with netstrap's matrix on every pair but loopback (upstream
 * ignores loopback: ignoreLoopback = true). Upstream's SetSpecIngressRules/SetSpecEgressRules helpers also set
 * policyTypes to the direction they fill, so the egress cases here say `policyTypes: [Egress]` as upstream's objects do.
 */
import { NetpolAnalysis } from '../../../src/model/netpol/analyze';
import { analysisOf, K8sObject, namespace, pod, policy } from './support';

const NAMESPACES = ['x', 'y', 'z'];
const PODS = ['a', 'b', 'c'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
type Protocol = (typeof PROTOCOLS)[number];
const NS_LABEL = 'kubernetes.io/metadata.name';
const ipOf = (ns: string, p: string) => `10.244.${NAMESPACES.indexOf(ns)}.${10 + PODS.indexOf(p)}`;
const ipv6Of = (ns: string, p: string) =>
  `fd00:10:244:${NAMESPACES.indexOf(ns)}::${(10 + PODS.indexOf(p)).toString(16)}`;

/**
 * The pods' addresses: IPv4 (as upstream's default cluster), IPv6 (an IPv6-only cluster), or both with IPv4 or IPv6
 * first (a dual-stack cluster: status.podIP is the primary family's, status.podIPs both).
 */
type Stack = 'IPv4' | 'IPv6' | 'dual-stack IPv4 first' | 'dual-stack IPv6 first';
const STACKS: readonly Stack[] = ['IPv4', 'IPv6', 'dual-stack IPv4 first', 'dual-stack IPv6 first'];
function podStatus(stack: Stack, ns: string, p: string) {
  const v4 = ipOf(ns, p);
  const v6 = ipv6Of(ns, p);
  if (stack === 'IPv4') return { podIP: v4 };
  if (stack === 'IPv6') return { podIP: v6 };
  const ips = stack === 'dual-stack IPv4 first' ? [v4, v6] : [v6, v4];
  return { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) };
}
/** status.podIP: the address upstream's tests build their CIDRs from. */
const primaryIpOf = (stack: Stack, ns: string, p: string) => podStatus(stack, ns, p).podIP;

function model(stack: Stack = 'IPv4'): K8sObject[] {
  const objects: K8sObject[] = NAMESPACES.map((ns) => namespace(ns, { ns }));
  for (const ns of NAMESPACES)
    for (const p of PODS) {
      const ports = [80, 81].flatMap((port) =>
        PROTOCOLS.map((protocol) => ({
          name: `serve-${port}-${protocol.toLowerCase()}`,
          containerPort: port,
          protocol,
        })),
      );
      objects.push({ ...pod(ns, p, { pod: p }, ports), status: podStatus(stack, ns, p) });
    }
  return objects;
}

/** Upstream's Reachability: a from × to table of expectations, default `true`. */
class Reachability {
  readonly expected = new Map<string, boolean>();
  constructor() {
    for (const f of this.all()) for (const t of this.all()) this.expected.set(`${f} ${t}`, true);
  }
  all(): string[] {
    return NAMESPACES.flatMap((ns) => PODS.map((p) => `${ns}/${p}`));
  }
  expect(from: string, to: string, ok: boolean) {
    this.expected.set(`${from} ${to}`, ok);
  }
  /** ExpectPeer(&Peer{Namespace, Pod}, &Peer{...}): empty fields match everything. */
  expectPeer(from: { ns?: string; pod?: string }, to: { ns?: string; pod?: string }, ok: boolean) {
    const match = (key: string, peer: { ns?: string; pod?: string }) => {
      const [ns, p] = key.split('/');
      return (peer.ns === undefined || peer.ns === ns) && (peer.pod === undefined || peer.pod === p);
    };
    for (const f of this.all()) for (const t of this.all()) if (match(f, from) && match(t, to)) this.expect(f, t, ok);
  }
  expectAllIngress(to: string, ok: boolean) {
    for (const f of this.all()) this.expect(f, to, ok);
  }
  expectAllEgress(from: string, ok: boolean) {
    for (const t of this.all()) this.expect(from, t, ok);
  }
}

/** The pairs (loopback excluded) where netstrap's matrix differs from the expectation. */
function mismatches(analysis: NetpolAnalysis, reachability: Reachability, port: number, protocol: Protocol): string[] {
  const matrix = analysis.matrix(port, protocol);
  const keys = analysis.workloads.map((w) => w.key);
  const out: string[] = [];
  keys.forEach((from, s) =>
    keys.forEach((to, d) => {
      if (from === to) return;
      const want = reachability.expected.get(`${from} ${to}`);
      if (matrix[s][d] !== want)
        out.push(`${from} -> ${to} on ${protocol} ${port}: expected ${want}, got ${matrix[s][d]}`);
    }),
  );
  return out;
}

function check(
  policies: K8sObject[],
  port: number,
  protocol: Protocol,
  build: (r: Reachability) => void,
  stack: Stack = 'IPv4',
): void {
  const analysis = analysisOf([...model(stack), ...policies]);
  expect(analysis.workloads).toHaveLength(9);
  const reachability = new Reachability();
  build(reachability);
  expect(mismatches(analysis, reachability, port, protocol)).toEqual([]);
}

const ingressPolicy = (name: string, podLabels: Record<string, string>, ingress: unknown[]) =>
  policy('x', name, { podSelector: { matchLabels: podLabels }, ingress });

describe('upstream e2e truth tables (x/y/z × a/b/c, ports 80/81, TCP/UDP/SCTP)', () => {
  test.each(PROTOCOLS)("should support a 'default-deny-ingress' policy (%s 80)", (protocol) => {
    check([policy('x', 'deny-ingress', { podSelector: {}, ingress: [] })], 80, protocol, (r) =>
      r.expectPeer({}, { ns: 'x' }, false),
    );
  });

  test("should support a 'default-deny-all' policy", () => {
    check(
      [policy('x', 'deny-all', { podSelector: {}, ingress: [], egress: [], policyTypes: ['Ingress', 'Egress'] })],
      80,
      'TCP',
      (r) => {
        r.expectPeer({}, { ns: 'x' }, false);
        r.expectPeer({ ns: 'x' }, {}, false);
      },
    );
  });

  test('should enforce policy to allow traffic from pods within server namespace based on PodSelector', () => {
    check(
      [ingressPolicy('x-a-allows-x-b', { pod: 'a' }, [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }])],
      80,
      'TCP',
      (r) => {
        r.expectAllIngress('x/a', false);
        r.expect('x/b', 'x/a', true);
      },
    );
  });

  test('should enforce policy based on PodSelector or NamespaceSelector', () => {
    const from = [
      { namespaceSelector: { matchExpressions: [{ key: NS_LABEL, operator: 'NotIn', values: ['x'] }] } },
      { podSelector: { matchLabels: { pod: 'b' } } },
    ];
    check([ingressPolicy('allow-ns-y-match-selector', { pod: 'a' }, [{ from }])], 80, 'TCP', (r) => {
      r.expect('x/a', 'x/a', false);
      r.expect('x/c', 'x/a', false);
    });
  });

  test('should enforce policy based on PodSelector and NamespaceSelector', () => {
    const from = [
      {
        namespaceSelector: { matchExpressions: [{ key: NS_LABEL, operator: 'NotIn', values: ['x'] }] },
        podSelector: { matchLabels: { pod: 'b' } },
      },
    ];
    check([ingressPolicy('allow-ns-y-podselector-and-nsselector', { pod: 'a' }, [{ from }])], 80, 'TCP', (r) => {
      r.expectAllIngress('x/a', false);
      r.expect('y/b', 'x/a', true);
      r.expect('z/b', 'x/a', true);
    });
  });

  test.each(PROTOCOLS)('should enforce policy based on Ports (%s 81 from namespace y only)', (protocol) => {
    const rule = {
      from: [{ namespaceSelector: { matchLabels: { [NS_LABEL]: 'y' } } }],
      ports: [{ port: 81, protocol }],
    };
    check([ingressPolicy('allow-client-a-via-ns-selector', { pod: 'a' }, [rule])], 81, protocol, (r) => {
      r.expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false);
      r.expectPeer({ ns: 'y' }, { ns: 'x', pod: 'a' }, true);
      r.expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false);
    });
  });

  test('should allow ingress access on one named port (81 open, 80 closed)', () => {
    const policies = [policy('x', 'allow-all', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })];
    check(policies, 81, 'TCP', () => undefined);
    check(policies, 80, 'TCP', (r) => r.expectPeer({}, { ns: 'x' }, false));
  });

  test('should allow egress access on one named port', () => {
    const policies = [
      policy('x', 'allow-egress', {
        podSelector: {},
        egress: [{ ports: [{ port: 'serve-80-tcp' }] }],
        policyTypes: ['Egress'],
      }),
    ];
    check(policies, 80, 'TCP', () => undefined);
    check(policies, 81, 'TCP', (r) => r.expectPeer({ ns: 'x' }, {}, false));
  });

  test('should work with Ingress, Egress specified together', () => {
    const policies = [
      policy('x', 'allow-client-a-via-pod-selector', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
        egress: [{ ports: [{ port: 80 }] }],
        policyTypes: ['Egress', 'Ingress'],
      }),
    ];
    check(policies, 80, 'TCP', (r) => {
      r.expectAllIngress('x/a', false);
      r.expect('x/b', 'x/a', true);
    });
    check(policies, 81, 'TCP', (r) => {
      r.expectAllIngress('x/a', false);
      r.expectAllEgress('x/a', false);
      r.expect('x/b', 'x/a', true);
    });
  });

  test('should enforce ingress policy allowing any port traffic to a server on a specific protocol', () => {
    const policies = [ingressPolicy('allow-ingress-by-proto', { pod: 'a' }, [{ ports: [{ protocol: 'TCP' }] }])];
    check(policies, 80, 'TCP', () => undefined);
    check(policies, 80, 'UDP', (r) => r.expectPeer({}, { ns: 'x', pod: 'a' }, false));
  });

  test("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP'", () => {
    check(
      [
        policy('x', 'deny-ingress', { podSelector: {}, ingress: [] }),
        ingressPolicy('allow-only-sctp-ingress-on-port-81', { pod: 'a' }, [
          { ports: [{ port: 81, protocol: 'SCTP' }] },
        ]),
      ],
      81,
      'TCP',
      (r) => r.expectPeer({}, { ns: 'x' }, false),
    );
  });

  test("should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP", () => {
    check(
      [
        ingressPolicy('allow-only-sctp-ingress-on-port-80', { pod: 'a' }, [
          { ports: [{ port: 80, protocol: 'SCTP' }] },
        ]),
      ],
      81,
      'TCP',
      (r) => r.expectAllIngress('x/a', false),
    );
  });

  test('should not allow access by TCP when a policy specifies only UDP', () => {
    check(
      [ingressPolicy('allow-only-udp-ingress-on-port-81', { pod: 'a' }, [{ ports: [{ port: 81, protocol: 'UDP' }] }])],
      81,
      'TCP',
      (r) => r.expectAllIngress('x/a', false),
    );
  });

  test('should enforce multiple, stacked policies with overlapping podSelectors', () => {
    const fromY = [{ namespaceSelector: { matchLabels: { [NS_LABEL]: 'y' } } }];
    const allow81 = ingressPolicy('allow-client-a-via-ns-selector', { pod: 'a' }, [
      { from: fromY, ports: [{ port: 81, protocol: 'TCP' }] },
    ]);
    const allowOnly = (r: Reachability) => {
      r.expectPeer({ ns: 'x' }, { ns: 'x', pod: 'a' }, false);
      r.expectPeer({ ns: 'y' }, { ns: 'x', pod: 'a' }, true);
      r.expectPeer({ ns: 'z' }, { ns: 'x', pod: 'a' }, false);
    };
    check([allow81], 81, 'TCP', allowOnly);
    check([allow81], 80, 'TCP', (r) => r.expectAllIngress('x/a', false));
    const allow80 = ingressPolicy('allow-client-a-via-ns-selector-80', { pod: 'a' }, [
      { from: fromY, ports: [{ port: 80, protocol: 'TCP' }] },
    ]);
    check([allow81, allow80], 80, 'TCP', allowOnly);
  });

  test('should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)', () => {
    const toYA = [
      { namespaceSelector: { matchLabels: { [NS_LABEL]: 'y' } }, podSelector: { matchLabels: { pod: 'a' } } },
    ];
    const fromXA = [
      {
        from: [{ namespaceSelector: { matchLabels: { [NS_LABEL]: 'x' } }, podSelector: { matchLabels: { pod: 'a' } } }],
      },
    ];
    check(
      [
        policy('x', 'allow-to-ns-y-pod-a', {
          podSelector: { matchLabels: { pod: 'a' } },
          egress: [{ to: toYA }],
          policyTypes: ['Egress'],
        }),
        policy('y', 'allow-from-xa-on-ya-match-selector', {
          podSelector: { matchLabels: { pod: 'a' } },
          ingress: fromXA,
        }),
        policy('y', 'allow-from-xa-on-yb-match-selector', {
          podSelector: { matchLabels: { pod: 'b' } },
          ingress: fromXA,
        }),
      ],
      80,
      'TCP',
      (r) => {
        r.expectPeer({ ns: 'x', pod: 'a' }, {}, false);
        r.expectPeer({}, { ns: 'y', pod: 'a' }, false);
        r.expectPeer({ ns: 'x', pod: 'a' }, { ns: 'y', pod: 'a' }, true);
        r.expectPeer({}, { ns: 'y', pod: 'b' }, false);
      },
    );
  });

  test('should enforce multiple egress policies with egress allow-all policy taking precedence', () => {
    const only80 = policy('x', 'allow-egress-port-80', {
      podSelector: {},
      egress: [{ ports: [{ port: 80 }] }],
      policyTypes: ['Egress'],
    });
    check([only80], 81, 'TCP', (r) => r.expectPeer({ ns: 'x' }, {}, false));
    check(
      [only80, policy('x', 'allow-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] })],
      81,
      'TCP',
      () => undefined,
    );
  });

  test('should enforce policy based on NamespaceSelector with MatchExpressions using default ns label (egress NotIn y)', () => {
    check(
      [
        policy('x', 'allow-ns-y-match-selector-for-immutable-ns-label', {
          podSelector: { matchLabels: { pod: 'a' } },
          egress: [
            {
              to: [{ namespaceSelector: { matchExpressions: [{ key: NS_LABEL, operator: 'NotIn', values: ['y'] }] } }],
            },
          ],
          policyTypes: ['Egress'],
        }),
      ],
      80,
      'TCP',
      (r) => r.expectPeer({ ns: 'x', pod: 'a' }, { ns: 'y' }, false),
    );
  });
});

/**
 * Upstream's ipBlock cases are written for either family (`hostMask := 32; if utilnet.IsIPv6String(...) { hostMask
 * = 128 }`, makeLargeCIDRForIP: the /4 holding the pod IP, of its family) and run on IPv4, IPv6 and dual-stack
 * clusters, building the CIDRs from status.podIP. Here on each stack: an ipBlock of one family speaks only for
 * connections of that family, and a pair is allowed when one family allows it.
 */
describe.each(STACKS)('upstream e2e ipBlock cases, pods %s', (stack) => {
  const ip = (ns: string, p: string) => primaryIpOf(stack, ns, p);
  const hostCidr = (ns: string, p: string) => `${ip(ns, p)}/${ip(ns, p).includes(':') ? 128 : 32}`;
  /** makeLargeCIDRForIP: 10.244.0.10 → 0.0.0.0/4, fd00:10:244::a → f000::/4. */
  const largeCidr = (ns: string, p: string) => (ip(ns, p).includes(':') ? 'f000::/4' : '0.0.0.0/4');
  const egressOfA = (name: string, to: unknown[]) =>
    policy('x', name, { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to }], policyTypes: ['Egress'] });
  /** x/a's egress admits only the host CIDR of one pod: x/a reaches that pod and no other. */
  const onlyEgressTo = (ns: string, p: string) =>
    check(
      [egressOfA('allow-client-a-via-cidr-egress-rule', [{ ipBlock: { cidr: hostCidr(ns, p) } }])],
      80,
      'TCP',
      (r) => {
        r.expectAllEgress('x/a', false);
        r.expect('x/a', `${ns}/${p}`, true);
      },
      stack,
    );

  test('should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed (by a second rule)', () => {
    const excepted = { ipBlock: { cidr: largeCidr('x', 'a'), except: [hostCidr('x', 'b')] } };
    check(
      [egressOfA('allow-client-a-via-cidr-egress-rule', [excepted])],
      80,
      'TCP',
      (r) => r.expect('x/a', 'x/b', false),
      stack,
    );
    // Upstream then replaces the policy by one allowing only podB's host CIDR.
    onlyEgressTo('x', 'b');
  });

  test('should allow egress access to server in CIDR block', () => onlyEgressTo('y', 'b'));

  test('should enforce except clause while egress access to server in CIDR block', () => {
    const excepted = { ipBlock: { cidr: largeCidr('x', 'a'), except: [hostCidr('x', 'b')] } };
    check(
      [egressOfA('allow-client-a-via-cidr-egress-rule', [excepted])],
      80,
      'TCP',
      (r) => r.expect('x/a', 'x/b', false),
      stack,
    );
  });
});

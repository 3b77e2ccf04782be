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

function model(): K8sObject[] {
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
      objects.push(pod(ns, p, { pod: p }, ports, ipOf(ns, p)));
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

function check(policies: K8sObject[], port: number, protocol: Protocol, build: (r: Reachability) => void): void {
  const analysis = analysisOf([...model(), ...policies]);
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

  test('should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed (by a second rule)', () => {
    const podB = `${ipOf('x', 'b')}/32`;
    const excepted = { ipBlock: { cidr: '0.0.0.0/4', except: [podB] } };
    check(
      [
        policy('x', 'allow-client-a-via-cidr-egress-rule', {
          podSelector: { matchLabels: { pod: 'a' } },
          egress: [{ to: [excepted] }],
          policyTypes: ['Egress'],
        }),
      ],
      80,
      'TCP',
      (r) => r.expect('x/a', 'x/b', false),
    );
    // Upstream then replaces the policy by one allowing only podB's /32.
    check(
      [
        policy('x', 'allow-client-a-via-cidr-egress-rule', {
          podSelector: { matchLabels: { pod: 'a' } },
          egress: [{ to: [{ ipBlock: { cidr: podB } }] }],
          policyTypes: ['Egress'],
        }),
      ],
      80,
      'TCP',
      (r) => {
        r.expectAllEgress('x/a', false);
        r.expect('x/a', 'x/b', true);
      },
    );
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

  test('should allow egress access to server in CIDR block', () => {
    check(
      [
        policy('x', 'allow-client-a-via-cidr-egress-rule', {
          podSelector: { matchLabels: { pod: 'a' } },
          egress: [{ to: [{ ipBlock: { cidr: `${ipOf('y', 'b')}/32` } }] }],
          policyTypes: ['Egress'],
        }),
      ],
      80,
      'TCP',
      (r) => {
        r.expectAllEgress('x/a', false);
        r.expect('x/a', 'y/b', true);
      },
    );
  });

  test('should enforce except clause while egress access to server in CIDR block', () => {
    // makeLargeCIDRForIP: the pod IP masked to /4 (10.244.0.11 → 0.0.0.0/4).
    check(
      [
        policy('x', 'allow-client-a-via-cidr-egress-rule', {
          podSelector: { matchLabels: { pod: 'a' } },
          egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/4', except: [`${ipOf('x', 'b')}/32`] } }] }],
          policyTypes: ['Egress'],
        }),
      ],
      80,
      'TCP',
      (r) => r.expect('x/a', 'x/b', false),
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

/**
 * `netstrap netpol` through the real CLI (bin/netstrap): exit codes, --explain, the exact matrix JSON, list formats,
 * diff; and the round trip: a cluster file's matrix equals the matrix of its synthesized dist/ (real `netstrap
 * synth`) together with a manifest of the same workloads.
 */
import * as fs from 'fs';
import * as path from 'path';
import { dump, load } from 'js-yaml';
import { NetpolAnalysis } from '../../src/model/netpol/analyze';
import { readNetpolInputs } from '../../src/model/netpol/read';
import { synthesizedObjects } from '../../src/cli/netpol';
import { formatList } from '../../src/cli/netpol-output';
import { fixture, netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';

const CLUSTER = fixture('netpol-cluster.yaml');

/** The declared workloads as plain manifests: a Pod (with status.podIP) or a controller with a pod template. */
function workloadManifests(clusterFile: string): object[] {
  const cluster = load(fs.readFileSync(clusterFile, 'utf8')) as {
    kubernetes: { workloads: Array<Record<string, any>> };
  };
  return cluster.kubernetes.workloads.map((w) => {
    const podSpec = {
      containers: [
        {
          name: 'main',
          image: 'registry.local/app',
          ports: (w.ports ?? []).map((p: object) => ({ protocol: 'TCP', ...p })),
        },
      ],
    };
    const metadata = { name: w.name, namespace: w.namespace ?? 'default' };
    if (w.kind === 'Pod')
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...metadata, labels: w.podLabels },
        spec: podSpec,
        status: { podIP: w.podIPs[0], podIPs: w.podIPs.map((ip: string) => ({ ip })) },
      };
    const kind = w.kind ?? 'Deployment';
    return {
      apiVersion: 'apps/v1',
      kind,
      metadata,
      spec: { selector: { matchLabels: w.podLabels }, template: { metadata: { labels: w.podLabels }, spec: podSpec } },
    };
  });
}

describe('netstrap netpol', () => {
  const tempDir = tempDirs();

  test('round trip: the matrix of the cluster file = the matrix of its dist/ plus a manifest of its workloads', () => {
    const dir = tempDir('netpol-roundtrip-');
    const dist = path.join(dir, 'dist');
    const synth = netstrap(['synth', CLUSTER, '-o', dist]);
    expect(synth.status).toBe(0);
    const workloads = path.join(dir, 'workloads.yaml');
    fs.writeFileSync(
      workloads,
      workloadManifests(CLUSTER)
        .map((o) => `---\n${dump(o)}`)
        .join(''),
    );

    const fromCluster = new NetpolAnalysis(readNetpolInputs([CLUSTER], synthesizedObjects).inventory);
    const fromManifests = new NetpolAnalysis(readNetpolInputs([dist, workloads]).inventory);
    expect(fromManifests.workloads.map((w) => w.key)).toEqual(fromCluster.workloads.map((w) => w.key));
    expect(fromCluster.workloads.map((w) => w.key)).toEqual([
      'kube-system/coredns',
      'ops/debug',
      'ops/monitor',
      'shop/api',
      'shop/db',
      'shop/web',
    ]);
    for (const [port, protocol] of [
      [80, 'TCP'],
      [5432, 'TCP'],
      [9000, 'TCP'],
      [9001, 'TCP'],
      [53, 'UDP'],
      [8080, 'SCTP'],
    ] as const) {
      expect(fromManifests.matrix(port, protocol)).toEqual(fromCluster.matrix(port, protocol));
    }
    // And through the CLI, byte for byte but for the number of files read (`inputs.files`: one cluster file; dist/'s
    // manifest and the workloads).
    const a = netstrap(['netpol', 'matrix', CLUSTER, '--port', '5432', '--json']);
    const b = netstrap(['netpol', 'matrix', dist, workloads, '--port', '5432', '--json']);
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(b.stdout.replace('"inputs":{"files":2,', '"inputs":{"files":1,')).toBe(a.stdout);
    const json = JSON.parse(a.stdout);
    expect(json.inputs).toEqual({
      files: 1,
      workloads: 6,
      namespaces: 3,
      networkPolicies: 3,
      read: { DaemonSet: 1, Deployment: 4, Namespace: 2, NetworkPolicy: 3, Pod: 1, StatefulSet: 1 },
      analysed: { Deployment: 4, Namespace: 3, NetworkPolicy: 3, Pod: 1, StatefulSet: 1 },
      notAnalysed: {
        ServiceAccount: 2,
        ClusterRole: 2,
        ClusterRoleBinding: 2,
        Role: 1,
        RoleBinding: 1,
        'DaemonSet (hostNetwork: NetworkPolicies do not apply)': 1,
        ConfigMap: 1,
        Service: 1,
      },
    });
    // The same counts as the summary line on stderr.
    expect(a.stderr).toContain(
      'netpol: 6 workloads, 3 namespaces, 3 NetworkPolicies from 1 file; not analysed: ServiceAccount 2, ClusterRole 2,',
    );
    expect(Object.keys(json)).toEqual(['port', 'protocol', 'inputs', 'matrix']);
    expect([json.port, json.protocol]).toEqual([5432, 'TCP']);
    expect(json.matrix['ops/monitor']).toEqual({
      'kube-system/coredns': true,
      'ops/debug': true,
      'ops/monitor': true,
      'shop/api': false,
      'shop/db': true,
      'shop/web': false,
    });
    expect(json.matrix['shop/web']['shop/db']).toBe(false); // AND: front tier of team=ops only
  });

  test('can: exit 0 allowed, 1 denied, with --explain naming the rules or the isolating policies', () => {
    const allowed = netstrap([
      'netpol',
      'can',
      CLUSTER,
      '--from',
      'ops/debug',
      '--to',
      'shop/db',
      '--port',
      '5432',
      '--explain',
    ]);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toBe(
      [
        'allowed: ops/debug => shop/db on TCP 5432',
        '  egress of ops/debug: not isolated (no NetworkPolicy selects it with policyType Egress): allowed',
        '  ingress of shop/db: allowed by NetworkPolicy shop/db-from-api ingress[1].from[0]',
        '',
      ].join('\n'),
    );
    const denied = netstrap([
      'netpol',
      'can',
      CLUSTER,
      '--from',
      'shop/web',
      '--to',
      '10.244.7.7',
      '--port',
      '80',
      '--protocol',
      'UDP',
      '--explain',
    ]);
    expect(denied.status).toBe(0); // 10.244.7.7 is ops/debug: nothing isolates it
    expect(denied.stdout).toContain('note: 10.244.7.7 is a pod IP of ops/debug');
    const blocked = netstrap([
      'netpol',
      'can',
      CLUSTER,
      '--from',
      'shop/web',
      '--to',
      'shop/api',
      '--port',
      '9001',
      '--explain',
    ]);
    expect(blocked.status).toBe(1);
    expect(blocked.stdout).toContain(
      '  ingress of shop/api: isolated by NetworkPolicy shop/api-from-web, NetworkPolicy shop/default-deny; no rule of them admits shop/web on TCP 9001: denied',
    );
  });

  test('bad input: exit 2 with file, field and value; no stack trace', () => {
    const dir = tempDir('netpol-bad-');
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      dump({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'p' },
        spec: { podSelector: {}, ingress: [{ ports: [{ port: 80, protocol: 'tcp' }] }] },
      }),
    );
    const run = netstrap(['netpol', 'matrix', bad, '--port', '80']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:10 \\(document 1, NetworkPolicy default/p\\): spec\\.ingress\\[0\\]\\.ports\\[0\\]\\.protocol: .*\\(got "tcp"\\)`,
      ),
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const unknown = netstrap(['netpol', 'can', CLUSTER, '--from', 'shop/nope', '--to', 'shop/db', '--port', '1']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('netstrap netpol can: from: (--from) no workload "shop/nope"');
    expect(
      netstrap(['netpol', 'can', CLUSTER, '--from', 'shop/web', '--to', 'shop/db', '--port', '70000']).status,
    ).toBe(2);
  });

  test('typed lists (PodList, NamespaceList, NetworkPolicyList, DeploymentList in a List): the deny verdict, not "All Connections"', () => {
    const typed = fixture('netpol-typed-lists');
    const list = netstrap(['netpol', 'list', typed, '--format', 'json']);
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]); // bare array: nothing is allowed, not even to or from outside
    expect(list.stderr).toContain('netpol: 2 workloads, 1 namespaces, 1 NetworkPolicies from 4 files');
    expect(list.stderr).not.toMatch(/not analysed: .*List/);
    const can = netstrap([
      'netpol',
      'can',
      typed,
      '--from',
      'backend/catalog',
      '--to',
      'backend/checkout',
      '--port',
      '8080',
      '--explain',
    ]);
    expect(can.status).toBe(1);
    expect(can.stdout).toContain('denied: backend/catalog => backend/checkout on TCP 8080');
    expect(can.stdout).toContain('isolated by NetworkPolicy backend/default-deny-all');
    const matrix = netstrap(['netpol', 'matrix', typed, '--port', '8080', '--json']);
    expect(matrix.status).toBe(0);
    const json = JSON.parse(matrix.stdout);
    expect(json.inputs).toEqual({
      files: 4,
      workloads: 2,
      namespaces: 1,
      networkPolicies: 1,
      read: { Deployment: 2, Namespace: 1, NetworkPolicy: 1, Pod: 2, ReplicaSet: 2 },
      analysed: { Deployment: 2, Namespace: 1, NetworkPolicy: 1 },
      notAnalysed: { 'ReplicaSet (folded into its Deployment)': 2, 'Pod (folded into its Deployment)': 2 },
    });
    expect(json.matrix).toEqual({
      'backend/catalog': { 'backend/catalog': false, 'backend/checkout': false },
      'backend/checkout': { 'backend/catalog': false, 'backend/checkout': false },
    });
  });

  test('a Pod or NetworkPolicy that cannot be read: exit 2 naming file, document, object and field, no answer', () => {
    const dir = tempDir('netpol-unreadable-');
    const pods = path.join(dir, 'pods.yaml');
    fs.writeFileSync(
      pods,
      dump({
        apiVersion: 'v1',
        kind: 'PodList',
        items: [
          { metadata: { name: 'a', namespace: 'x' }, spec: { containers: [{ name: 'c' }] } },
          { metadata: { name: 'b', namespace: 'x' }, spec: { containers: 'c' } },
        ],
      }),
    );
    const policies = path.join(dir, 'policies.yaml');
    fs.writeFileSync(
      policies,
      dump({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicyList',
        items: [{ metadata: { name: 'deny', namespace: 'x' }, spec: { podSelector: 'all' } }],
      }),
    );
    for (const format of ['txt', 'json']) {
      const run = netstrap(['netpol', 'list', pods, policies, '--format', format]);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines[0]).toBe(`${pods}:14 (document 1, items[1], Pod x/b): spec.containers: must be a list (got "c")`);
      expect(lines[1]).toMatch(
        new RegExp(
          `^${policies.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:8 \\(document 1, items\\[0\\], NetworkPolicy x/deny\\): spec\\.podSelector: `,
        ),
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  test('null fields are read; warnings go to stderr only, and --json stdout stays pure JSON', () => {
    const dir = tempDir('netpol-null-');
    const file = path.join(dir, 'helm.yaml');
    fs.writeFileSync(
      file,
      `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: c, ports: null}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels:}
spec: {containers: [{name: c}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: x, labels: null}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: null
  ingress: [null]
  egress: null
`,
    );
    const warning =
      `warning: ${file}:17 (document 3, NetworkPolicy x/open): spec.ingress[0]: is null, which the API server reads as ` +
      'the empty rule {}: it allows every source on every port';
    const matrix = netstrap(['netpol', 'matrix', file, '--port', '80', '--json']);
    expect(matrix.status).toBe(0);
    expect(JSON.parse(matrix.stdout).matrix).toEqual({
      'x/a': { 'x/a': true, 'x/b': true },
      'x/b': { 'x/a': true, 'x/b': true },
    });
    expect(matrix.stdout).not.toContain('warning: ');
    expect(matrix.stderr.split('\n')).toContain(warning);
    const list = netstrap(['netpol', 'list', file, '--format', 'json']);
    expect(list.status).toBe(0);
    expect(Array.isArray(JSON.parse(list.stdout))).toBe(true);
    expect(list.stderr.split('\n')).toContain(warning);
  });

  test("a cluster file's warnings print on stderr as warning: file: path: message (validate, netpol)", () => {
    const dir = tempDir('netpol-cluster-warning-');
    const file = path.join(dir, 'c.yaml');
    fs.writeFileSync(
      file,
      `name: c
network: {podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12}
kubernetes:
  networkPolicies:
    - {name: open, namespace: x, podSelector: null, ingress: [null]}
`,
    );
    const warning = `warning: ${file}:5: kubernetes.networkPolicies[0].ingress[0]: is null, which the API server reads as the empty rule {}: it allows every source on every port`;
    const validate = netstrap(['validate', file]);
    expect(validate.status).toBe(0);
    expect(validate.stderr.split('\n')).toContain(warning);
    expect(validate.stdout).not.toContain('warning: ');
    const matrix = netstrap(['netpol', 'matrix', file, '--port', '80', '--json']);
    expect(matrix.status).toBe(0);
    expect(JSON.parse(matrix.stdout).inputs.networkPolicies).toBe(1);
    expect(matrix.stderr.split('\n')).toContain(warning);
    for (const args of [[], ['--netpol']]) {
      const graph = netstrap(['graph', file, '--format', 'dot', ...args]);
      expect(graph.status).toBe(0);
      expect(graph.stderr.split('\n').filter((line) => line === warning)).toHaveLength(1);
      expect(graph.stderr).not.toContain('warning: warning:');
    }
  });

  test('list (txt, dot) and diff (exit 1 on change, 0 when equal)', () => {
    const list = netstrap(['netpol', 'list', CLUSTER]);
    expect(list.status).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toContain('shop/api => shop/db : TCP 5432');
    expect(lines).toContain('ops/debug => shop/db : All Connections');
    expect(lines).toContain('shop/web => shop/api : TCP 9000');
    // db may send to api (its egress), but api's ingress admits only web and team=ops pods: no connection.
    expect(lines.some((l) => l.startsWith('shop/db => '))).toBe(false);
    // External addresses: everything outside the pod CIDR 10.244.0.0/16.
    expect(lines).toContain('ops/debug => 0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255 : All Connections');
    expect(lines).toContain('0.0.0.0-10.243.255.255,10.245.0.0-255.255.255.255 => ops/debug : All Connections');
    expect(lines.some((l) => l.includes('=> shop/web '))).toBe(false); // default-deny, nothing admits web
    const dot = netstrap(['netpol', 'list', CLUSTER, '--format', 'dot']);
    expect(dot.stdout).toMatch(/^digraph netpol \{/);
    expect(dot.stdout).toContain('"shop/api" -> "shop/db" [label="TCP 5432"];');

    const dir = tempDir('netpol-diff-');
    const changed = path.join(dir, 'changed.yaml');
    const cluster = load(fs.readFileSync(CLUSTER, 'utf8')) as any;
    cluster.kubernetes.networkPolicies[1].ingress[0].ports = [{ port: 'http' }, { port: 'grpc' }];
    fs.writeFileSync(changed, dump(cluster));
    const diff = netstrap(['netpol', 'diff', CLUSTER, changed]);
    expect(diff.status).toBe(1);
    expect(diff.stdout.trim().split('\n')).toEqual([
      '+ ops/debug => shop/api : TCP 9001',
      '+ ops/monitor => shop/api : TCP 9001',
      '+ shop/web => shop/api : TCP 9001',
    ]);
    const same = netstrap(['netpol', 'diff', CLUSTER, CLUSTER]);
    expect([same.status, same.stdout]).toEqual([0, 'no connection added or removed\n']);
  });

  test('validate shows the lints over the declared workloads (warnings on stderr, exit 0)', () => {
    const run = netstrap(['validate', CLUSTER]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('3 network policies, 5 workloads');
    expect(run.stderr.trim().split('\n')).toEqual([
      'warning: shop/db is isolated for egress and cannot reach cluster DNS (kube-dns in kube-system) on UDP 53 and TCP 53: name lookups will time out; allow egress to namespaceSelector kubernetes.io/metadata.name=kube-system + podSelector k8s-app=kube-dns on UDP and TCP 53',
      'warning: NetworkPolicy shop/db-from-api ingress[1].from[0]: ipBlock 10.244.7.7/32 covers the pod CIDR 10.244.0.0/16: whether pod traffic matches an ipBlock is implementation-defined; select pods with podSelector/namespaceSelector (netpol matches only pods with known IPs inside the block)',
    ]);
  });

  test('a dual-stack cluster (issue 21): can takes IPv6 addresses, list has IPv6 rows, the families are named', () => {
    const dual = fixture('netpol-dual-stack.yaml');
    const can = (from: string, to: string, port: string, ...more: string[]) =>
      netstrap(['netpol', 'can', dual, '--from', from, '--to', to, '--port', port, ...more]);
    // web's egress: 0.0.0.0/0 on 80, ::/0 except fd00::/8 on 443; an address in any spelling, printed canonical.
    const v6 = can('shop/web', '2001:DB8:0:0::1', '443');
    expect([v6.status, v6.stdout]).toEqual([0, 'allowed: shop/web => 2001:db8::1 on TCP 443\n']);
    expect(can('shop/web', '2001:db8::1', '80').status).toBe(1); // 0.0.0.0/0 admits no IPv6 address
    expect(can('shop/web', '8.8.8.8', '443').status).toBe(1); // ::/0 admits no IPv4 address
    expect(can('shop/web', 'fd00:99::1', '443').status).toBe(1); // except fd00::/8
    // db admits api's IPv4 address only: allowed over IPv4, denied over IPv6, and said so.
    const both = can('shop/api', 'shop/db', '5432', '--explain');
    expect(both.status).toBe(0);
    expect(both.stdout).toBe(
      [
        'allowed: shop/api => shop/db on TCP 5432 over IPv4 only (denied over IPv6)',
        '  over IPv4: allowed',
        '    egress of shop/api: not isolated (no NetworkPolicy selects it with policyType Egress): allowed',
        '    ingress of shop/db: allowed by NetworkPolicy shop/db-from-api ingress[0].from[0]',
        '  over IPv6: denied',
        '    egress of shop/api: not isolated (no NetworkPolicy selects it with policyType Egress): allowed',
        '    ingress of shop/db: isolated by NetworkPolicy shop/db-from-api; no rule of them admits shop/api on TCP 5432: denied',
        '',
      ].join('\n'),
    );
    // Named by its IPv6 pod IP (written FD00:10:244:1:0:0:0:11 in the file), api is denied.
    const byIp = can('fd00:10:244:1::11', 'shop/db', '5432', '--explain');
    expect(byIp.status).toBe(1);
    expect(byIp.stdout.split('\n').slice(0, 2)).toEqual([
      'denied: shop/api => shop/db on TCP 5432',
      '  note: fd00:10:244:1::11 is a pod IP of shop/api',
    ]);
    const zone = can('shop/web', 'fe80::1%eth0', '80');
    expect(zone.status).toBe(2);
    expect(zone.stderr).toContain('netstrap netpol can: to: (--to) invalid IPv6 address "fe80::1%eth0"');
    expect(zone.stderr).not.toMatch(/\n\s+at /);

    const list = netstrap(['netpol', 'list', dual, '--format', 'json']);
    expect(list.status).toBe(0);
    expect(list.stderr).toMatch(
      /^netpol: 4 workloads, 3 namespaces, 2 NetworkPolicies from 1 file over IPv4 and IPv6; /,
    );
    const rows = (JSON.parse(list.stdout) as Array<{ src: string; dst: string; connections: string }>)
      .filter((r) => r.src === 'shop/web' && r.dst.includes(':'))
      .map((r) => `${r.dst} : ${r.connections}`);
    expect(rows).toEqual(['::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff : TCP 443', 'fe00::/7 : TCP 443']);
    const matrix = netstrap(['netpol', 'matrix', dual, '--port', '5432']);
    expect(matrix.stdout).toContain(
      'rows: from; columns: to; . allowed, X denied; IPv4 and IPv6: allowed over either family (netstrap netpol can names it)',
    );
    const json = JSON.parse(netstrap(['netpol', 'matrix', dual, '--port', '5432', '--json']).stdout);
    expect(json.matrix['shop/api']['shop/db']).toBe(true);
    expect(json.matrix['shop/web']['shop/db']).toBe(false);
  });

  test('list formats md, csv, json', () => {
    const rows = [{ src: 'a/x', dst: 'b/y', connections: 'TCP 80;UDP 53', ports: { TCP: ['80'], UDP: ['53'] } }];
    expect(formatList(rows, 'md')).toBe(
      '| src | dst | connections |\n|-----|-----|-------------|\n| a/x | b/y | TCP 80;UDP 53 |\n',
    );
    expect(formatList(rows, 'csv')).toBe('src,dst,connections\na/x,b/y,TCP 80;UDP 53\n');
    expect(JSON.parse(formatList(rows, 'json'))).toEqual(rows);
  });
});

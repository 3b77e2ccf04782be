/**
 * The library's netpol questions (src/model/netpol/api.ts), from the package root as users import them: over a cdk8s
 * chart's objects, a loaded cluster file or a built analysis; they agree with `netstrap netpol`; bad questions throw
 * InputError naming the field and the value.
 */
import { Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import {
  InputError,
  loadClusterFile,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  netpolAnalysis,
  netpolCan,
  netpolList,
  netpolMatrix,
  traceCluster,
} from '../../../src/index';
import { fixture, netstrap } from '../../support/lab';

function shop(): unknown[] {
  const chart = Testing.chart();
  for (const app of ['web', 'api', 'db']) {
    new k8s.KubeDeployment(chart, app, {
      metadata: { name: app, namespace: 'shop' },
      spec: {
        selector: { matchLabels: { app } },
        template: { metadata: { labels: { app } }, spec: { containers: [{ name: app, image: `example/${app}:1` }] } },
      },
    });
  }
  new NetworkPolicy(chart, 'db-from-api', {
    namespace: 'shop',
    podSelector: { matchLabels: { app: 'db' } },
    ingress: [{ from: [NetworkPolicyPeer.pods({ app: 'api' })], ports: [NetworkPolicyPort.tcp(5432)] }],
  });
  return Testing.synth(chart);
}

test("a chart's objects: who reaches the database, on which port, and which policy decides", () => {
  const objects = shop();
  expect(netpolCan(objects, { from: 'shop/api', to: 'shop/db', port: 5432 }).allowed).toBe(true);
  const denied = netpolCan(objects, { from: 'shop/web', to: 'shop/db', port: 5432 });
  expect(denied).toMatchObject({ allowed: false, from: 'shop/web', to: 'shop/db', port: 5432, protocol: 'TCP' });
  expect(denied.ingress.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(['shop/db-from-api']);
  expect(netpolCan(objects, { from: 'shop/api', to: 'shop/db', port: 5432, protocol: 'UDP' }).allowed).toBe(false);
  expect(netpolMatrix(objects, 5432)).toEqual({
    'shop/api': { 'shop/api': true, 'shop/db': true, 'shop/web': true },
    'shop/db': { 'shop/api': true, 'shop/db': false, 'shop/web': true },
    'shop/web': { 'shop/api': true, 'shop/db': false, 'shop/web': true },
  });
  expect(netpolList(objects).filter((row) => row.dst === 'shop/db')).toEqual([
    { src: 'shop/api', dst: 'shop/db', connections: 'TCP 5432', ports: { TCP: ['5432'] } },
  ]);
});

test('a cluster file: the same answers as `netstrap netpol can|matrix --json|list --format json` on its declarations', () => {
  const file = fixture('netpol-cluster.yaml');
  const model = loadClusterFile(file);
  // The CLI reads the synthesized add-ons (CoreDNS) too; compare on the workloads the file declares.
  const analysis = netpolAnalysis(model);
  const declared = analysis.workloads.map((w) => w.key);
  for (const [from, to, port] of [
    ['shop/web', 'shop/api', 9000],
    ['shop/web', 'shop/api', 9001],
    ['ops/debug', 'shop/db', 5432],
    ['ops/monitor', 'shop/db', 5432],
  ] as const) {
    const cli = netstrap(['netpol', 'can', file, '--from', from, '--to', to, '--port', String(port)]);
    expect([from, to, port, netpolCan(analysis, { from, to, port }).allowed]).toEqual([
      from,
      to,
      port,
      cli.status === 0,
    ]);
  }
  const cliMatrix = JSON.parse(netstrap(['netpol', 'matrix', file, '--port', '5432', '--json']).stdout);
  const matrix = netpolMatrix(model, 5432);
  for (const from of declared) for (const to of declared) expect(matrix[from][to]).toBe(cliMatrix.matrix[from][to]);
  const cliList = JSON.parse(netstrap(['netpol', 'list', file, '--format', 'json']).stdout) as Array<{
    src: string;
    dst: string;
  }>;
  const between = (rows: ReadonlyArray<{ src: string; dst: string }>) =>
    rows.filter((r) => declared.includes(r.src) && declared.includes(r.dst)).map((r) => `${r.src} -> ${r.dst}`);
  expect(between(netpolList(model))).toEqual(between(cliList));
});

test('bad questions throw InputError naming the field and the value', () => {
  const objects = shop();
  const error = (fn: () => unknown): string[] => {
    try {
      fn();
    } catch (e) {
      if (e instanceof InputError) return e.lines();
      throw e;
    }
    throw new Error('no error');
  };
  expect(error(() => netpolCan(objects, { from: 'shop/nope', to: 'shop/db', port: 5432 }))).toEqual([
    'netpolCan: from: no workload "shop/nope" (expected NS/NAME, NS/KIND/NAME or an IPv4 or IPv6 address; known: shop/api, shop/db, shop/web)',
  ]);
  expect(error(() => netpolCan(objects, { from: 'shop/web', to: 'shop/db', port: 0 }))).toEqual([
    'netpolCan: port: must be a port number 1-65535 (got 0)',
  ]);
  expect(error(() => netpolCan(objects, { from: '10.0.0.1', to: '10.0.0.2', port: 80 }))).toEqual([
    'netpolCan: to: neither end is a pod: NetworkPolicies only apply to connections with a pod on one or both ends',
  ]);
  expect(error(() => netpolMatrix(objects, 70000))).toEqual([
    'netpolMatrix: port: must be a port number 1-65535 (got 70000)',
  ]);
  // A bad object is reported as the CLI reports a bad manifest document.
  expect(error(() => netpolList([{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }])).join('\n')).toMatch(
    /^objects \(document 1/,
  );
});

test('traceCluster: the path of `netstrap trace`, and InputError for an endpoint the file does not have', () => {
  const file = fixture('scenario-router.yaml');
  const model = loadClusterFile(file);
  const result = traceCluster(model, 'node01', '192.168.2.11');
  expect(result.verdict).toBe('delivered');
  const cli = netstrap(['trace', file, 'node01', '192.168.2.11', '--json']);
  expect(JSON.parse(cli.stdout)).toEqual(JSON.parse(JSON.stringify(result)));
  expect(() => traceCluster(model, 'node09', 'node02:99999')).toThrow(InputError);
  try {
    traceCluster(model, 'node09', 'node02:99999');
  } catch (e) {
    expect((e as InputError).lines()).toEqual([
      'netstrap trace: FROM: no node named "node09"; the nodes are node01, router, node02',
      'netstrap trace: TO: port 99999 is out of range 1-65535 (got "node02:99999")',
    ]);
  }
});

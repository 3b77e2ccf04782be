/**
 * netstrap as a user gets it from npm: `npm pack`, then in a fresh project install the tarball and its peers from
 * the registry, type-check and compile a small cdk8s app importing `netstrap`, `cdk8s synth` it, validate every
 * object against the Kubernetes OpenAPI schema, run `npx netstrap validate` / `synth` there, and run the README's
 * jest example (policy intent through netpolCan, netpolMatrix, netpolList from the package root).
 * Installs reuse npm's cache (`--prefer-offline`: the repository's own `npm ci` filled it with the same versions)
 * and leave optional dependencies out (ssh2's cpu-features compiles C++, cdk8s-plus-27's backport is a CLI).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { $ } from 'zx/core';
import { Manifest, validateManifest } from '../support/k8s';
import { repoRoot } from '../support/lab';
import { tempDirs } from '../support/temp';

jest.setTimeout(600000);
const tempDir = tempDirs();
const ourPackage = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
/**
 * The cdk8s-plus a new `cdk8s init typescript-app` installs (cdk8s-cli 2.207's template: cdk8s-plus-33): a user's app
 * builds its own constructs with it, beside netstrap's (which extend cdk8s-plus-27's L1 classes, its peer).
 */
const CDK8S_INIT_PLUS = 'cdk8s-plus-33@2.5.57';

/** Runs argv in `cwd` (zx quotes it); throws with the output when it fails. */
async function sh(cwd: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await $({
    cwd,
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', ...env },
    timeout: 300000,
    nothrow: true,
    quiet: true,
  })`exec ${argv}`;
  if (r.exitCode !== 0)
    throw new Error(`${argv.join(' ')} (in ${cwd}) exited ${r.exitCode ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const APP = `import { App, Chart } from 'cdk8s';
import { ClusterNetwork, CoreDns, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Service, WeaveNet } from 'netstrap';

const app = new App();
const chart = new Chart(app, 'consumer');
const network = new ClusterNetwork(chart, 'plan', { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' });
new WeaveNet(chart, 'weave', { mtu: 1376 });
new CoreDns(chart, 'dns', { upstreams: ['192.168.1.1'] });
const web: Service = new Service(chart, 'web', {
  namespace: 'shop', type: 'NodePort', selector: { app: 'web' },
  ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }],
});
const dnsName: string = web.dnsName;
if (dnsName !== network.serviceDnsName('web', 'shop')) throw new Error(dnsName);
new NetworkPolicy(chart, 'db', {
  namespace: 'shop',
  podSelector: { matchLabels: { role: 'db' } },
  ingress: [{ from: [NetworkPolicyPeer.pods({ role: 'web' })], ports: [NetworkPolicyPort.tcp(6379)] }],
});
app.synth();
`;

/** The packed tarball and what npm says it holds. */
interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

let packed: Packed;
let project: string;

beforeAll(async () => {
  // lib/ is fresh: the test command (and jest's global setup) built it; --ignore-scripts skips a second build.
  const dest = tempDir('netstrap-pack-');
  packed = JSON.parse(await sh(repoRoot, ['npm', 'pack', '--ignore-scripts', '--json', '--pack-destination', dest]))[0];
  project = tempDir('netstrap-consumer-');
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }),
  );
  const dev = ourPackage.devDependencies as Record<string, string>;
  await sh(project, [
    'npm',
    'install',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--omit=optional',
    path.join(dest, packed.filename),
    // jest and ts-jest run the README's policy test there, as a user's test suite would.
    ...[
      'cdk8s',
      'cdk8s-plus-27',
      'constructs',
      'cdk8s-cli',
      'typescript',
      '@types/node',
      'jest',
      'ts-jest',
      '@types/jest',
    ].map((name) => `${name}@${dev[name]}`),
    CDK8S_INIT_PLUS,
  ]);
});

test('the tarball holds lib/ (no compiled file without its source), bin/, README, LICENSE and the JSON Schema only', () => {
  const files = packed.files.map((f) => f.path);
  const outside = files.filter(
    (f) =>
      !/^(lib\/(src|constructs)\/.+\.(js|d\.ts)|bin\/netstrap|README\.md|LICENSE|package\.json|hosts\/cluster\.schema\.json)$/.test(
        f,
      ),
  );
  expect(outside).toEqual([]);
  const orphans = files.filter(
    (f) => f.startsWith('lib/') && !fs.existsSync(path.join(repoRoot, f.slice(4).replace(/(\.d)?\.ts$|\.js$/, '.ts'))),
  );
  expect(orphans).toEqual([]); // else: lib/ holds files of deleted sources; rm -rf lib && npm run build
  for (const must of [
    'lib/src/index.js',
    'lib/src/index.d.ts',
    'lib/src/cli/main.js',
    'bin/netstrap',
    'LICENSE',
    'hosts/cluster.schema.json',
  ]) {
    expect(files).toContain(must);
  }
  console.log(
    `${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB packed, ${(packed.unpackedSize / 1024).toFixed(0)} kB unpacked`,
  );
});

test("peers are the consumer's own: no nested copy of cdk8s, constructs or cdk8s-plus-27 inside netstrap; no tsx", () => {
  for (const peer of ['cdk8s', 'constructs', 'cdk8s-plus-27']) {
    expect(fs.existsSync(path.join(project, 'node_modules', 'netstrap', 'node_modules', peer))).toBe(false);
    expect(fs.existsSync(path.join(project, 'node_modules', peer, 'package.json'))).toBe(true);
  }
  expect(fs.existsSync(path.join(project, 'node_modules', 'tsx'))).toBe(false);
});

test('a TypeScript cdk8s app importing netstrap type-checks, compiles, and `cdk8s synth` gives valid objects', async () => {
  fs.writeFileSync(path.join(project, 'main.ts'), APP);
  // The compiler options of `cdk8s init typescript-app` (cdk8s-cli's template), without skipLibCheck: netstrap's
  // declarations are type-checked like the user's own code. esModuleInterop: zod 4's declarations need it.
  const template = path.join(repoRoot, 'node_modules', 'cdk8s-cli', 'templates', 'typescript-app', 'tsconfig.json');
  fs.writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...JSON.parse(fs.readFileSync(template, 'utf8')).compilerOptions,
        inlineSourceMap: false,
        inlineSources: false,
        esModuleInterop: true,
      },
      files: ['main.ts'],
    }),
  );
  // Also with node16 resolution, which reads package.json "exports" (its types condition).
  await sh(project, ['npx', 'tsc', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16']);
  fs.writeFileSync(path.join(project, 'cdk8s.yaml'), 'language: typescript\napp: node main.js\n');
  await sh(project, ['npx', 'tsc']);
  const out = await sh(project, ['npx', 'cdk8s', 'synth']);
  expect(out).toContain('dist/consumer.k8s.yaml');
  const objects = loadAll(fs.readFileSync(path.join(project, 'dist', 'consumer.k8s.yaml'), 'utf8'), undefined, {
    schema: CORE_SCHEMA,
  }) as Manifest[];
  objects.forEach(validateManifest);
  const names = objects.map((o) => `${o.kind} ${o.metadata.name}`);
  expect(names).toEqual(
    expect.arrayContaining([
      'DaemonSet weave-net',
      'Deployment coredns',
      'Service kube-dns',
      'Service web',
      'NetworkPolicy db',
    ]),
  );
});

test('`npx netstrap validate` and `npx netstrap synth` work in the consumer project', async () => {
  fs.copyFileSync(path.join(repoRoot, 'hosts', 'example.yaml'), path.join(project, 'cluster.yaml'));
  expect(await sh(project, ['npx', 'netstrap', 'validate', 'cluster.yaml'])).toMatch(
    /^cluster\.yaml: ok: cluster example: /,
  );
  await sh(project, ['npx', 'netstrap', 'synth', 'cluster.yaml', '-o', 'manifests']);
  const ours = path.join(tempDir('netstrap-synth-'), 'example.k8s.yaml');
  await sh(repoRoot, [path.join(repoRoot, 'bin', 'netstrap'), 'synth', 'hosts/example.yaml', '-o', path.dirname(ours)]);
  expect(fs.readFileSync(path.join(project, 'manifests', 'example.k8s.yaml'), 'utf8')).toBe(
    fs.readFileSync(ours, 'utf8'),
  );
});

/** Runs jest on one test file of the consumer project (ts-jest, type-checked); returns jest's --json summary. */
async function consumerJest(file: string): Promise<{ numPassedTests: number; numFailedTests: number }> {
  fs.writeFileSync(
    path.join(project, 'jest.config.js'),
    `module.exports = { testEnvironment: 'node', transform: { '^.+\\\\.ts$': ['ts-jest', { tsconfig: ${JSON.stringify({
      strict: true,
      esModuleInterop: true,
      module: 'commonjs',
      target: 'ES2022',
      types: ['jest', 'node'],
    })} }] } };\n`,
  );
  return JSON.parse(await sh(project, ['npx', 'jest', '--ci', '--json', file]));
}

test("the README's jest example tests policy intent against the installed package", async () => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const at = readme.indexOf('<!-- test/package/consumer.test.ts runs this file');
  const example = /```ts\n\/\/ policy\.test\.ts\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(at >= 0 && example !== null).toBe(true);
  fs.writeFileSync(path.join(project, 'policy.test.ts'), example![1]);
  expect(await consumerJest('policy.test.ts')).toMatchObject({ numPassedTests: 2, numFailedTests: 0 });
});

test('diagnoseCluster, traceCluster, planCluster and the netpol functions come from the package root, typed', async () => {
  fs.copyFileSync(path.join(repoRoot, 'hosts', 'example.yaml'), path.join(project, 'example.yaml'));
  fs.writeFileSync(
    path.join(project, 'root.test.ts'),
    `import {
  diagnoseCluster, loadClusterFile, netpolCan, netpolList, netpolMatrix, planCluster, topologyGraph, traceCluster,
  type DiagnoseReport, type NetpolVerdict, type TraceResult,
} from 'netstrap';

test('exports', async () => {
  for (const f of [diagnoseCluster, traceCluster, planCluster, netpolCan, netpolMatrix, netpolList]) expect(typeof f).toBe('function');
  const model = loadClusterFile('example.yaml');
  const trace: TraceResult = traceCluster(model, 'node01', '192.168.2.11');
  expect(trace.verdict).toBe('delivered');
  expect(topologyGraph(model.cluster).nodes.map((n) => n.kind)).toEqual(['node', 'router', 'node']);
  const report: Promise<DiagnoseReport> = diagnoseCluster(model, { only: ['nobody'] });
  await expect(report).rejects.toThrow(/nobody/);
  const verdict: NetpolVerdict | undefined = undefined;
  expect(verdict).toBeUndefined();
});
`,
  );
  expect(await consumerJest('root.test.ts')).toMatchObject({ numPassedTests: 1, numFailedTests: 0 });
});

test('an app on cdk8s-plus-33 (what `cdk8s init` installs today) mixes its Deployments with netstrap constructs', async () => {
  fs.writeFileSync(
    path.join(project, 'plus.test.ts'),
    `import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Service, netpolCan } from 'netstrap';

test('cdk8s-plus-33 workloads, netstrap Service and NetworkPolicy, one chart', () => {
  const chart = Testing.chart();
  for (const app of ['web', 'db', 'batch']) {
    const deployment = new kplus.Deployment(chart, app, {
      metadata: { name: app, namespace: 'shop' },
      containers: [{ image: \`example/\${app}:1\`, portNumber: 5432 }],
    });
    deployment.podMetadata.addLabel('app', app);
  }
  new Service(chart, 'db-svc', { namespace: 'shop', selector: { app: 'db' }, ports: [{ port: 5432 }] });
  new NetworkPolicy(chart, 'db-policy', {
    namespace: 'shop',
    podSelector: { matchLabels: { app: 'db' } },
    ingress: [{ from: [NetworkPolicyPeer.pods({ app: 'web' })], ports: [NetworkPolicyPort.tcp(5432)] }],
  });
  const objects = Testing.synth(chart);
  expect(objects.map((o) => o.kind).sort()).toEqual(['Deployment', 'Deployment', 'Deployment', 'NetworkPolicy', 'Service']);
  expect(netpolCan(objects, { from: 'shop/web', to: 'shop/db', port: 5432 }).allowed).toBe(true);
  expect(netpolCan(objects, { from: 'shop/batch', to: 'shop/db', port: 5432 }).allowed).toBe(false);
});
`,
  );
  expect(await consumerJest('plus.test.ts')).toMatchObject({ numPassedTests: 1, numFailedTests: 0 });
});

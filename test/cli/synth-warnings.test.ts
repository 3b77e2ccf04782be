/**
 * Issue 24: `cdk8s synth` gives the same warnings as `netstrap validate` (the constructs record them, the app prints
 * them), and a private key written into dist/ is said aloud; the same from a TypeScript app of the constructs.
 */
import { App, Chart, Testing } from 'cdk8s';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { $ } from 'zx/core';
import { ClusterNetwork, Flannel, Ingress, NetworkPolicy, Service, warningsOf } from '../../src/index';
import { netstrap, repoRoot } from '../support/lab';
import { tempDirs } from '../support/temp';

const tempDir = tempDirs();

const CLUSTER = [
  'name: warned',
  'network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }',
  'cni: { plugin: flannel }',
  'kubernetes:',
  '  services: [{ name: web, selector: { app: web }, ports: [{ port: 80 }] }]',
  '  ingresses:',
  '    - name: web',
  '      tls: [{ secretName: web-tls, certFile: tls.crt, keyFile: tls.key }]',
  '      rules: [{ paths: [{ backend: { service: web, port: 80 } }] }]',
  '  networkPolicies: [{ name: deny-all }]',
  'nodes:',
  '  - name: r1',
  '    role: host',
  '    ssh: { host: 10.250.211.11 }',
  '    sysctls: { net.ipv4.ip_forward: 1 }',
  '    interfaces: [{ name: eth0, addresses: [192.168.1.1/24] }]',
  '    nat: { portForwards: [{ protocol: tcp, port: 8080, to: 192.168.1.99:80 }] }',
  '',
].join('\n');

function clusterDir(): string {
  const dir = tempDir('netstrap-synth-warnings-');
  fs.writeFileSync(path.join(dir, 'cluster.yaml'), CLUSTER);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=web'].concat([
      '-keyout',
      path.join(dir, 'tls.key'),
      '-out',
      path.join(dir, 'tls.crt'),
    ]),
    { stdio: 'ignore' },
  );
  return dir;
}

const warnings = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('warning: '));

test('`cdk8s synth` prints the warnings `netstrap validate` prints, plus the private key it writes into dist/', async () => {
  const dir = clusterDir();
  const file = path.join(dir, 'cluster.yaml');
  const validate = netstrap(['validate', file]);
  expect(validate.status).toBe(0);
  const validated = warnings(validate.stderr);
  // Flannel + a NetworkPolicy, and a DNAT to an address nobody holds.
  expect(validated).toEqual([
    expect.stringContaining(`warning: ${file}:17: nodes[0].nat.portForwards[0].to: no node, bridge, namespace`),
    'warning: Flannel does not enforce NetworkPolicies: NetworkPolicy default/deny-all will be accepted by the API server but have no effect',
  ]);
  const out = path.join(dir, 'dist');
  const synth = await $({
    cwd: repoRoot,
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', NETSTRAP_CLUSTER: file },
    timeout: 90000,
    nothrow: true,
    quiet: true,
  })`exec ${[path.join(repoRoot, 'node_modules', '.bin', 'cdk8s'), 'synth', '--no-check-upgrade', '-o', out]}`;
  expect(synth.exitCode).toBe(0);
  const key = `warning: Ingress default/web: tls keyFile "tls.key" puts a private key into the synthesized manifest (Secret default/web-tls): keep the output directory (dist/) out of version control and readable only by you, or create the Secret by other means (kubectl create secret tls) and give only secretName`;
  expect(warnings(synth.stderr)).toEqual([...validated, key]);
  expect(fs.readFileSync(path.join(out, 'warned.k8s.yaml'), 'utf8')).toContain('tls.key: ');
  // `netstrap synth` prints the same.
  const again = netstrap(['synth', file, '-o', path.join(dir, 'again')]);
  expect(again.status).toBe(0);
  expect(warnings(again.stderr)).toEqual([...validated, key]);
});

test('a TypeScript app of the constructs: Flannel and a NetworkPolicy, in any order, give the warning', () => {
  const build = (policyFirst: boolean) => {
    const app = Testing.app();
    const chart = new Chart(app, 'addons');
    new ClusterNetwork(chart, 'network', { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' });
    const policy = () => new NetworkPolicy(chart, 'deny', { name: 'deny', namespace: 'shop' });
    if (policyFirst) policy();
    new Flannel(chart, 'flannel');
    if (!policyFirst) policy();
    return warningsOf(app);
  };
  const expected = [
    'Flannel does not enforce NetworkPolicies: NetworkPolicy shop/deny will be accepted by the API server but have no effect',
  ];
  expect(build(true)).toEqual(expected);
  expect(build(false)).toEqual(expected);
  // Without a policy, no warning.
  const app = new App({ outdir: tempDir('netstrap-app-') });
  new Flannel(new Chart(app, 'cni'), 'flannel');
  expect(warningsOf(app)).toEqual([]);
});

test('an Ingress construct with certFile/keyFile records the private-key warning', () => {
  const dir = clusterDir();
  const chart = new Chart(Testing.app(), 'web');
  new Service(chart, 'web-service', { name: 'web', selector: { app: 'web' }, ports: [{ port: 80 }] });
  new Ingress(chart, 'web', {
    baseDir: dir,
    tls: [{ secretName: 'web-tls', certFile: 'tls.crt', keyFile: 'tls.key' }],
    rules: [{ paths: [{ backend: { service: 'web', port: 80 } }] }],
  });
  expect(warningsOf(chart)).toEqual([expect.stringContaining('tls keyFile "tls.key" puts a private key into')]);
});

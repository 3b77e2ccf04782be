/**
 * Issue 24: `validate`, `synth` and `netpol` (given the cluster file) warn on stderr when a NetworkPolicy keeps
 * ingress-nginx from an Ingress's backend; the exit code stays 0 and stdout stays what it was.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCaptured } from '../../src/cli/main';
import { netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';

const tempDir = tempDirs();
const TEXT = `name: c
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
kubernetes:
  services:
    - { name: web, namespace: shop, selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
  ingresses:
    - name: web
      namespace: shop
      rules:
        - host: shop.example.com
          paths:
            - { path: /, pathType: Prefix, backend: { service: web, port: 80 } }
  networkPolicies:
    - name: only-frontend
      namespace: shop
      podSelector: { matchLabels: { app: web } }
      ingress:
        - from: [{ podSelector: { matchLabels: { role: frontend } } }]
`;

test('validate, synth and netpol print the warning with file, line, field, what and what to do', async () => {
  const dir = tempDir('netstrap-ingress-reach-');
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(file, TEXT);
  const expected =
    `warning: ${file}:12: kubernetes.ingresses[0].rules[0].paths[0].backend: NetworkPolicy shop/only-frontend denies ` +
    "ingress-nginx → shop/web:8080 (pods of Service shop/web, selector app=web): the Ingress's requests to this backend will time out; " +
    'allow it with an ingress rule in shop: from namespaceSelector kubernetes.io/metadata.name=ingress-nginx + podSelector app.kubernetes.io/name=ingress-nginx, ports TCP 8080';
  for (const args of [
    ['validate', file],
    ['synth', file, '-o', path.join(dir, 'dist')],
  ]) {
    const run = await runCaptured(args);
    expect([args[0], run.code]).toEqual([args[0], 0]);
    expect(run.stderr.split('\n').filter((line) => line.includes('ingress-nginx →'))).toEqual([expected]);
    expect(run.stdout).not.toContain('warning:');
  }
  // netpol prints through the process's stderr: the real binary.
  const netpol = netstrap(['netpol', 'list', file]);
  expect(netpol.status).toBe(0);
  expect(netpol.stderr.split('\n').filter((line) => line.includes('ingress-nginx →'))).toEqual([expected]);
  // netpol on the manifests synth wrote (Ingress, Service, the controller's Deployment, the policy): the same warning,
  // at the backend's line in the manifest file.
  const manifests = netstrap(['netpol', 'list', path.join(dir, 'dist')]);
  expect(manifests.status).toBe(0);
  const found = manifests.stderr.split('\n').filter((line) => line.includes('ingress-nginx →'));
  const dist = path.join(dir, 'dist', 'c.k8s.yaml');
  const at = new RegExp(
    `^warning: ${dist.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+) \\(document \\d+, Ingress shop/web\\): spec\\.rules\\[0\\]\\.http\\.paths\\[0\\]\\.backend: NetworkPolicy shop/only-frontend denies ingress-nginx → shop/web:8080 `,
  );
  expect(found).toEqual([expect.stringMatching(at)]);
  const line = Number(at.exec(found[0])![1]);
  expect(fs.readFileSync(dist, 'utf8').split('\n')[line - 1].trim()).toBe('- backend:');
  // Allowing the controller silences it.
  fs.writeFileSync(
    file,
    TEXT.replace(
      '        - from: [{ podSelector: { matchLabels: { role: frontend } } }]',
      '        - from: [{ podSelector: { matchLabels: { role: frontend } } }, { namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: ingress-nginx } } }]',
    ),
  );
  const run = await runCaptured(['validate', file]);
  expect([run.code, run.stderr]).toEqual([0, '']);
  expect(await runCaptured(['synth', file, '-o', path.join(dir, 'dist2')])).toMatchObject({ code: 0 });
  const allowed = netstrap(['netpol', 'list', path.join(dir, 'dist2')]);
  expect(allowed.stderr).not.toContain('ingress-nginx →');
});

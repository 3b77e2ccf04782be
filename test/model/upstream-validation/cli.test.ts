/**
 * The two levels of strictness as a user meets them, through bin/netstrap: a warning leaves the exit code 0 and goes
 * to stderr only (stdout under --format json stays pure JSON); what the API server refuses exits 2 with
 * `file (document N, Kind ns/name): path: message`. The analysis uses the network of a CIDR with host bits.
 */
import * as fs from 'fs';
import * as path from 'path';
import { dump } from 'js-yaml';
import { tempDirs } from '../../support/temp';
import { netstrap } from '../../support/lab';

const tempDir = tempDirs();
const objects = (policySpec: Record<string, unknown>) => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bar' } },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'bar', labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'x' }] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'foo', namespace: 'bar' },
    spec: policySpec,
  },
];
const write = (dir: string, docs: object[]) => {
  const file = path.join(dir, 'np.yaml');
  fs.writeFileSync(file, docs.map((d) => `---\n${dump(d)}`).join(''));
  return file;
};

test('netpol: host bits and ignored rules warn on stderr, exit 0, JSON stdout stays JSON, the network is used', () => {
  const file = write(
    tempDir('i19-cli-'),
    objects({
      podSelector: { matchLabels: { a: 'b' } },
      policyTypes: ['Egress'],
      ingress: [{}],
      egress: [
        { to: [{ ipBlock: { cidr: '10.1.2.3/8' } }, { ipBlock: { cidr: 'fd00::/8', except: ['fd00:1::/32'] } }] },
      ],
    }),
  );
  const run = netstrap(['netpol', 'list', file, '--format', 'json']);
  expect(run.status).toBe(0);
  const list = JSON.parse(run.stdout) as Array<{ src: string; dst: string }>;
  expect(JSON.stringify(list)).toContain('10.0.0.0/8');
  expect(run.stderr).toContain(
    `warning: ${file}:35 (document 3, NetworkPolicy bar/foo): spec.egress[0].to[0].ipBlock.cidr: "10.1.2.3/8" has host bits set: the API server uses the network 10.0.0.0/8; write that`,
  );
  expect(run.stderr).toContain(
    `warning: ${file}:30 (document 3, NetworkPolicy bar/foo): spec.ingress: ingress[0] is ignored: policyTypes ["Egress"] does not include "Ingress" (add it, or remove the rules)`,
  );
});

test('netpol: an IPv6 ipBlock without a prefix length is refused (exit 2, file, document, field, value)', () => {
  const file = write(
    tempDir('i19-cli-'),
    objects({ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: 'fd00:192:168::' } }] }] }),
  );
  const run = netstrap(['netpol', 'list', file]);
  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain(
    `${file}:29 (document 3, NetworkPolicy bar/foo): spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "fd00:192:168::": expected address/prefix such as 10.0.0.0/16 or fd00::/64`,
  );
  expect(run.stderr).not.toMatch(/\n\s+at /);
});

test('validate: a cluster file with an IPv6 ipBlock and TLS without secretName is accepted', () => {
  const dir = tempDir('i19-cli-');
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(
    file,
    dump({
      name: 'c',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      kubernetes: {
        services: [{ name: 'web', selector: { app: 'web' }, ports: [{ port: 80 }] }],
        ingresses: [
          {
            name: 'web',
            tls: [{ hosts: ['web.example.com'] }],
            rules: [{ host: 'web.example.com', paths: [{ backend: { service: 'web', port: 80 } }] }],
          },
        ],
        networkPolicies: [
          { name: 'v6', podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '::/0', except: ['fd00::/8'] } }] }] },
        ],
      },
    }),
  );
  const run = netstrap(['validate', file]);
  expect(run.stderr).not.toMatch(/error|invalid/i);
  expect(run.status).toBe(0);
});

test('netpol on a cluster file: its warnings print once (not again for the objects synthesized from it)', () => {
  const file = path.join(tempDir('i19-cli-'), 'c.yaml');
  fs.writeFileSync(
    file,
    dump({
      name: 'c',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      kubernetes: {
        networkPolicies: [
          {
            name: 'p',
            podSelector: {},
            policyTypes: ['Ingress'],
            egress: [{ to: [{ ipBlock: { cidr: '10.1.2.3/8' } }] }],
          },
        ],
      },
    }),
  );
  const run = netstrap(['netpol', 'list', file]);
  expect(run.status).toBe(0);
  const hostBits = run.stderr.split('\n').filter((line) => line.includes('has host bits set'));
  expect(hostBits).toEqual([
    `warning: ${file}:14: kubernetes.networkPolicies[0].egress[0].to[0].ipBlock.cidr: "10.1.2.3/8" has host bits set: the API server uses the network 10.0.0.0/8; write that`,
  ]);
});

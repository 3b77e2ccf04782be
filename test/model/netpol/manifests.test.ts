/** Reading manifests: kinds, kubectl List output, owner folding, keys, implicit namespaces, and bad input. */
import * as fs from 'fs';
import * as path from 'path';
import { dump } from 'js-yaml';
import { readNetpolInputs } from '../../../src/model/netpol/read';
import { InputError } from '../../../src/model/errors';
import { tempDirs } from '../../support/temp';
import { inventoryOf, namespace, pod, policy } from './support';

const template = (labels: Record<string, string>, extra: object = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
});
const deployment = (ns: string, name: string, labels: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns, uid: 'd1' },
  spec: { selector: { matchLabels: labels }, template: template(labels) },
});

describe('netpol manifest reader', () => {
  const tempDir = tempDirs();

  test('reads every workload kind (pod template labels and ports), Namespaces and NetworkPolicies; counts the rest', () => {
    const objects = [
      namespace('web', { team: 'a' }),
      deployment('web', 'front', { app: 'front' }),
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: 'web' },
        spec: { template: template({ app: 'db' }) },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: 'web' },
        spec: { template: template({ app: 'agent' }) },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'migrate', namespace: 'web' },
        spec: { template: template({ app: 'migrate' }) },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'report', namespace: 'web' },
        spec: { jobTemplate: { spec: { template: template({ app: 'report' }) } } },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'cni', namespace: 'kube-system' },
        spec: { template: template({ app: 'cni' }, { hostNetwork: true }) },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'web' }, spec: {} },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'web' } },
      policy('other', 'deny', { podSelector: {} }),
    ];
    const inv = inventoryOf(objects);
    expect(
      inv.workloads.map(
        (w) =>
          `${w.key} ${w.kind} ${JSON.stringify(w.labels)} ${w.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`)}`,
      ),
    ).toEqual([
      'web/agent DaemonSet {"app":"agent"} http:8080/TCP',
      'web/db StatefulSet {"app":"db"} http:8080/TCP',
      'web/front Deployment {"app":"front"} http:8080/TCP',
      'web/migrate Job {"app":"migrate"} http:8080/TCP',
      'web/report CronJob {"app":"report"} http:8080/TCP',
    ]);
    expect(Object.fromEntries(inv.skipped)).toEqual({
      Service: 1,
      ConfigMap: 1,
      'DaemonSet (hostNetwork: NetworkPolicies do not apply)': 1,
    });
    // "other" is only referenced (by the policy): it exists with its name label only.
    expect(inv.namespaces.get('other')).toEqual({ 'kubernetes.io/metadata.name': 'other' });
    expect(inv.namespaces.get('web')).toEqual({ team: 'a', 'kubernetes.io/metadata.name': 'web' });
  });

  test('kubectl get -o yaml (kind: List): owned Pods and ReplicaSets fold into their Deployment, carrying their IPs', () => {
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'front-5d4f',
        namespace: 'web',
        ownerReferences: [{ kind: 'Deployment', name: 'front', controller: true }],
      },
      spec: { template: template({ app: 'front' }) },
    };
    const owned = (name: string, ip: string) => ({
      ...pod('web', name, { app: 'front' }, [], ip),
      metadata: {
        name,
        namespace: 'web',
        labels: { app: 'front' },
        ownerReferences: [{ kind: 'ReplicaSet', name: 'front-5d4f', controller: true }],
      },
    });
    const orphan = pod('web', 'debug', { run: 'debug' }, [], '10.244.0.9');
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        deployment('web', 'front', { app: 'front' }),
        rs,
        owned('front-5d4f-a', '10.244.0.5'),
        owned('front-5d4f-b', '10.244.1.5'),
        orphan,
      ],
    };
    const inv = inventoryOf([list]);
    expect(inv.workloads.map((w) => [w.key, w.kind, w.ips])).toEqual([
      ['web/debug', 'Pod', ['10.244.0.9']],
      ['web/front', 'Deployment', ['10.244.0.5', '10.244.1.5']],
    ]);
    expect(Object.fromEntries(inv.skipped)).toEqual({
      'ReplicaSet (folded into its Deployment)': 1,
      'Pod (folded into its Deployment)': 2,
    });
  });

  test('an IPv6 ipBlock (dual stack) is kept and analysed (issue 21), not counted as not analysed', () => {
    const p = policy('x', 'egress', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '::/0' } }, { ipBlock: { cidr: 'fd00::/8', except: ['fd00:1::/32'] } }] }],
    });
    const inv = inventoryOf([pod('x', 'a', {}), p]);
    expect(inv.policies).toHaveLength(1);
    expect(Object.fromEntries(inv.skipped)).toEqual({});
  });

  test('IPv6 pod IPs (status.podIPs of a dual-stack pod, a single-stack IPv6 status.podIP) are read', () => {
    const dual = pod('x', 'a', {});
    dual.status = { podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }, { ip: 'fd00:10:244::5' }] };
    const inv = inventoryOf([dual, pod('x', 'b', {}, [], 'FD00:10:244:0::6')]);
    expect(inv.workloads.map((w) => [w.key, w.ips])).toEqual([
      ['x/a', ['10.244.0.5', 'fd00:10:244::5']],
      ['x/b', ['FD00:10:244:0::6']],
    ]);
  });

  test('two kinds sharing a name are keyed NS/KIND/NAME; the same object read twice counts once', () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'front', namespace: 'web' },
      spec: { template: template({ app: 'x' }) },
    };
    const inv = inventoryOf([
      deployment('web', 'front', { app: 'front' }),
      sts,
      deployment('web', 'front', { app: 'front' }),
    ]);
    expect(inv.workloads.map((w) => w.key)).toEqual(['web/Deployment/front', 'web/StatefulSet/front']);
  });

  test('files and directories (sorted, recursive), cluster files among them; bad input names file, document, field and value', () => {
    const dir = tempDir('netpol-read-');
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(
      path.join(dir, 'a.yaml'),
      [namespace('x'), pod('x', 'a', { pod: 'a' })].map((o) => `---\n${dump(o)}`).join(''),
    );
    fs.writeFileSync(path.join(dir, 'sub', 'b.json'), JSON.stringify(pod('x', 'b', { pod: 'b' })));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not read');
    const cluster = path.join(dir, 'cluster.yml');
    fs.writeFileSync(
      cluster,
      dump({
        name: 'c',
        network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
        kubernetes: { workloads: [{ name: 'c', namespace: 'x', podLabels: { pod: 'c' } }] },
      }),
    );
    const input = readNetpolInputs([dir]);
    expect(input.files.map((f) => path.relative(dir, f))).toEqual(['a.yaml', 'cluster.yml', 'sub/b.json']);
    expect(input.inventory.workloads.map((w) => w.key)).toEqual(['x/a', 'x/b', 'x/c']);
    expect(input.inventory.podCidr).toBe('10.244.0.0/16');

    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      [
        pod('x', 'ok', {}),
        policy('x', 'p', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: 'fd00::1' } }] }] }),
        { ...pod('x', 'q', { 'bad key!': 'v' }) },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'r' },
          spec: { containers: [{ name: 'c', ports: [{ containerPort: 99999 }] }] },
        },
      ]
        .map((o) => `---\n${dump(o)}`)
        .join(''),
    );
    let error: unknown;
    try {
      readNetpolInputs([bad, path.join(dir, 'missing.yaml')]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).lines()).toEqual([
      `${path.join(dir, 'missing.yaml')}: (root): cannot read: no such file or directory`,
      `${bad}:24 (document 2, NetworkPolicy x/p): spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "fd00::1": expected address/prefix such as 10.0.0.0/16 or fd00::/64`,
      `${bad}:32 (document 3, Pod x/q): metadata.labels["bad key!"]: key "bad key!" is invalid: the name part must be 1-63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`,
      `${bad}:47 (document 4, Pod default/r): spec.containers[0].ports[0].containerPort: must be a port number 1-65535 (got 99999)`,
    ]);
  });
});

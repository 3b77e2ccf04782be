/**
 * Issue 24: errors and warnings carry the line of their field in the file part, `file:LINE: path: message` (the
 * field path still right after `: `). Which line: the key's (or the list item's); a key the file lacks takes the
 * nearest parent it has; a node's key taken from nodeDefaults takes the default's line; a value reached through an
 * alias takes the anchor's lines.
 */
import * as fs from 'fs';
import * as path from 'path';
import { dump } from 'js-yaml';
import { parseClusterText } from '../../src/model/load';
import { warningLines } from '../../src/model/errors';
import { SourceLines } from '../../src/model/source-lines';
import { issueLines } from '../support/errors';
import { netstrap } from '../support/lab';
import { lineOfPath } from '../support/lines';
import { tempDirs } from '../support/temp';

const tempDir = tempDirs();
const errors = (text: string) => issueLines(() => parseClusterText(text, 'c.yaml'));
const HEAD = 'name: c\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\n';

describe('file:LINE: path: message', () => {
  test('a bad value deep in a node, in a list item of a block list', () => {
    const text = `${HEAD}nodes:
  - name: a
    ssh: { host: 10.0.0.1 }
    interfaces:
      - name: eth0
        addresses:
          - 192.168.1.11/24
          - 192.168.1.999/24
`;
    expect(errors(text)).toEqual([
      expect.stringMatching(/^c\.yaml:10: nodes\[0\]\.interfaces\[0\]\.addresses\[1\]: .*"192\.168\.1\.999\/24"/),
    ]);
  });

  test('an item of a flow sequence, on a line of its own or not', () => {
    const oneLine = `${HEAD}nodes:\n  - { name: a, ssh: { host: 10.0.0.1 }, interfaces: [{ name: eth0, addresses: [192.168.1.11/24, 10.0.0.5/33] }] }\n`;
    expect(errors(oneLine)).toEqual([
      expect.stringMatching(/^c\.yaml:4: nodes\[0\]\.interfaces\[0\]\.addresses\[1\]: /),
    ]);
    const spread = `${HEAD}nodes:\n  - { name: a, ssh: { host: 10.0.0.1 }, interfaces: [{ name: eth0, addresses: [\n      192.168.1.11/24,\n      10.0.0.5/33\n    ] }] }\n`;
    expect(errors(spread)).toEqual([
      expect.stringMatching(/^c\.yaml:6: nodes\[0\]\.interfaces\[0\]\.addresses\[1\]: /),
    ]);
  });

  test('a multi-line string: the line of its key (a Corefile error also names its line inside the string)', () => {
    const text = `${HEAD}dns:
  provider: coredns
  corefile: |
    .:53 {
        forward . 8.8.8.8
`;
    expect(errors(text)).toEqual([expect.stringMatching(/^c\.yaml:5: dns\.corefile: line 1: unbalanced braces/)]);
    const folded = `${HEAD}nodes:\n  - name: a\n    ssh:\n      host: >-\n        10.0.0.1\n        and more\n`;
    expect(errors(folded)).toEqual([expect.stringMatching(/^c\.yaml:6: nodes\[0\]\.ssh\.host: /)]);
  });

  test('a key the file lacks (required or defaulted) takes the line of the nearest parent the file has', () => {
    const text = `${HEAD}kubernetes:\n  services:\n    - name: db\n      type: ExternalName\n`;
    expect(errors(text)).toEqual([
      'c.yaml:5: kubernetes.services[0].externalName: is required for a Service of type "ExternalName" (the DNS name it aliases)',
    ]);
    // An issue of the whole file stays without a line.
    expect(errors(`${HEAD}\n---\n${HEAD}`)).toEqual([
      'c.yaml: (root): expected exactly one YAML document (one cluster), found 2',
    ]);
  });

  test('nodeDefaults: a value a node takes from nodeDefaults is reported at the default, where it is written', () => {
    const text = `${HEAD}nodeDefaults:
  role: host
  routes:
    - { to: 10.9.0.0/16, via: 192.168.1.999 }
nodes:
  - name: a
    ssh: { host: 10.0.0.1 }
  - name: b
    ssh: { host: 10.0.0.2 }
    routes:
      - { to: 10.9.0.0/16, via: 192.168.1.998 }
`;
    // nodes[0] takes the default (line 6); nodes[1] sets its own (line 13).
    expect(errors(text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^c\.yaml:6: nodes\[0\]\.routes\[0\]\.via: .*"192\.168\.1\.999"/),
        expect.stringMatching(/^c\.yaml:13: nodes\[1\]\.routes\[0\]\.via: .*"192\.168\.1\.998"/),
      ]),
    );
  });

  test('anchors and aliases: a value reached through an alias is reported where the anchor writes it', () => {
    const text = `${HEAD}nodes:
  - name: a
    ssh: { host: 10.0.0.1 }
    routes: &r
      - to: 10.9.0.0/16
        via: 192.168.1.999
  - name: b
    ssh: { host: 10.0.0.2 }
    routes: *r
`;
    expect(errors(text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^c\.yaml:8: nodes\[0\]\.routes\[0\]\.via: /),
        expect.stringMatching(/^c\.yaml:8: nodes\[1\]\.routes\[0\]\.via: /),
      ]),
    );
  });

  test('a JSON cluster file', () => {
    const cluster = {
      name: 'c',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      kubernetes: { services: [{ name: 'web', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 99999 }] }] },
    };
    const text = JSON.stringify(cluster, null, 2);
    const lines = issueLines(() => parseClusterText(text, 'c.json'));
    const at = lineOfPath(text, ['kubernetes', 'services', 0, 'ports', 0, 'nodePort']);
    expect(at).toBeGreaterThan(10);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^c\\.json:${at}: kubernetes\\.services\\[0\\]\\.ports\\[0\\]\\.nodePort: `)),
      ]),
    );
  });

  test('warnings carry the line too', () => {
    const text = `${HEAD}kubernetes:\n  networkPolicies:\n    - name: p\n      podSelector: {}\n      ingress: [null]\n`;
    const model = parseClusterText(text, 'c.yaml');
    expect(warningLines(model.file, model.warnings)).toEqual([
      'warning: c.yaml:7: kubernetes.networkPolicies[0].ingress[0]: is null, which the API server reads as the empty rule {}: it allows every source on every port',
    ]);
  });

  test('every path of a generated file gets the line the yaml package gives it', () => {
    const cluster = {
      name: 'c',
      nodes: Array.from({ length: 30 }, (_, i) => ({
        name: `n${i}`,
        ssh: { host: `10.0.0.${i + 1}`, port: 22 },
        interfaces: [{ name: 'eth0', addresses: [`192.168.1.${i + 1}/24`] }],
        routes: i % 2 === 0 ? [{ to: 'default', via: '192.168.1.254' }] : [],
      })),
    };
    for (const text of [dump(cluster), dump(cluster, { flowLevel: 3 }), JSON.stringify(cluster, null, 1)]) {
      const lines = new SourceLines(text).document(0);
      for (const p of [
        ['name'],
        ['nodes', 7],
        ['nodes', 7, 'ssh', 'port'],
        ['nodes', 12, 'interfaces', 0, 'addresses', 0],
        ['nodes', 28, 'routes', 0, 'via'],
        ['nodes', 29, 'routes'],
      ])
        expect([p, lines(p)]).toEqual([p, lineOfPath(text, p)]);
    }
  });
});

test('the CLI prints file:LINE: path: message and exits 2', () => {
  const file = path.join(tempDir('netstrap-lines-'), 'c.yaml');
  fs.writeFileSync(
    file,
    `${HEAD}kubernetes:\n  services:\n    - name: web\n      ports:\n        - { port: 80, nodePort: 99999 }\n`,
  );
  const run = netstrap(['validate', file]);
  expect([run.status, run.stdout, run.stderr]).toEqual([
    2,
    '',
    `${file}:7: kubernetes.services[0].ports[0].nodePort: nodePort 99999 is only allowed for NodePort and LoadBalancer Services (this one is ClusterIP)\n`,
  ]);
});

/**
 * Issue 24: `nodeDefaults:` gives every node the keys it does not set itself; a node's own value replaces the
 * default whole (a list or a map is not merged), and a bad default is refused at its own path.
 */
import { parseClusterText } from '../../src/model/load';
import { issueLines } from '../support/errors';

const HEAD = 'name: nd\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\n';
const NODES = [
  'nodes:',
  '  - name: a',
  '    ssh: { host: 10.250.215.11 }',
  '    interfaces: [{ name: eth0, addresses: [192.168.1.11/24] }]',
  '  - name: b',
  '    role: worker',
  '    ssh: { host: 10.250.215.12 }',
  '    interfaces: [{ name: eth0, addresses: [192.168.1.12/24] }]',
  '    sysctls: { net.ipv4.conf.all.rp_filter: 2 }',
  '    routes: []',
  '',
].join('\n');

test('every node takes the defaults it does not set; its own value replaces a default whole', () => {
  const defaults = [
    'nodeDefaults:',
    '  role: host',
    '  sysctls: { net.ipv4.ip_forward: 1 }',
    '  routes: [{ to: default, via: 192.168.1.1 }]',
    '',
  ].join('\n');
  const { cluster } = parseClusterText(HEAD + defaults + NODES, 'nd.yaml');
  const [a, b] = cluster.nodes;
  expect([a.role, a.sysctls, a.routes]).toEqual([
    'host',
    { 'net.ipv4.ip_forward': 1 },
    [{ to: 'default', via: '192.168.1.1' }],
  ]);
  // b's role, sysctls (a map: not merged with the default's) and routes (a list: [] clears it) are its own.
  expect([b.role, b.sysctls, b.routes]).toEqual(['worker', { 'net.ipv4.conf.all.rp_filter': 2 }, []]);
  // Without nodeDefaults, the schema's defaults.
  const plain = parseClusterText(HEAD + NODES, 'nd.yaml').cluster.nodes[0];
  expect([plain.role, plain.sysctls, plain.routes]).toEqual(['worker', {}, []]);
});

test('a bad default is refused at nodeDefaults; name and ssh cannot be defaults', () => {
  const lines = issueLines(() =>
    parseClusterText(`${HEAD}nodeDefaults: { role: router, ssh: { host: 10.250.215.1 } }\n${NODES}`, 'nd.yaml'),
  );
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^nd\.yaml:3: nodeDefaults\.role: /),
      expect.stringMatching(/^nd\.yaml:3: nodeDefaults: unknown field "ssh"/),
    ]),
  );
});

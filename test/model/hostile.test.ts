/**
 * Hostile input, one test per class of issue 10: each bad cluster file is rejected by `netstrap synth` (in-process,
 * the function the CLI runs, and a few through bin/netstrap) with exit 2 and the expected `file: path: message`
 * line; each bad library call throws an InputError naming the prop. Nothing is written for a rejected file.
 */
import { Chart, Testing } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { ClusterNetwork } from '../../constructs/cluster-network';
import { CniConfig } from '../../constructs/cni-config';
import { CoreDns } from '../../constructs/core-dns';
import { Ingress } from '../../constructs/ingress';
import { IngressNginx } from '../../constructs/ingress-nginx';
import { KubeProxy } from '../../constructs/kube-proxy';
import { NetworkPolicy } from '../../constructs/network-policy';
import { Service } from '../../constructs/service';
import { WeaveNet } from '../../constructs/weave-net';
import { runCaptured } from '../../src/cli/main';
import { checkCluster, loadClusterFile } from '../../src/model/load';
import { issueLines } from '../support/errors';
import { checkManifests, checkRejection } from '../support/fuzz';
import { netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';

const example = fs.readFileSync(path.join(__dirname, '../../hosts/example.yaml'), 'utf8');
const tempDir = tempDirs();
const dir = tempDir('netstrap-hostile-');

const base = 'name: hostile\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\n';
const node = (fields: string) => `${base}nodes:\n  - name: n1\n    ssh: { host: 10.0.0.1 }\n${fields}`;

/** Runs `netstrap synth` in-process on `content`; returns what it printed and whether it wrote anything. */
async function synth(name: string, content: string | Buffer) {
  const file = path.join(dir, `${name}.yaml`);
  const out = path.join(dir, `out-${name}`);
  fs.writeFileSync(file, content);
  const started = Date.now();
  const run = await runCaptured(['synth', file, '-o', out]);
  return { ...run, file, ms: Date.now() - started, wrote: fs.existsSync(out) };
}

/** A node with an IPv6 LAN address, for the IPv6 cases (issue 21): `fields` adds to it. */
const node6 = (fields: string) =>
  `${base}nodes:\n  - name: n1\n    ssh: { host: 10.0.0.1 }\n    sysctls: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1 }\n    interfaces: [{ name: eth0, addresses: [10.0.0.1/24, "fd00:1::1/64"] }]\n${fields}`;

const ipv6Cases: Array<{ what: string; content: string | Buffer; line: string }> = [
  {
    what: 'IPv6: a zone id on an interface address',
    content: node6('    bridges: [{ name: br0, addresses: ["fe80::1%eth0/64"] }]\n'),
    line: 'nodes[0].bridges[0].addresses[0]: invalid interface address "fe80::1%eth0/64": a zone id (%name) is accepted only on a link-local nameserver',
  },
  {
    what: 'IPv6: an IPv4-mapped gateway',
    content: node6('    routes: [{ to: default, via: "::ffff:10.0.0.254" }]\n'),
    line: 'nodes[0].routes[0].via: invalid IPv6 address "::ffff:10.0.0.254": IPv4-mapped or embedded forms',
  },
  {
    what: 'IPv6: an IPv4-mapped address in hex',
    content: node6('    hosts: [{ ip: "::FFFF:a00:1", names: [x] }]\n'),
    line: 'nodes[0].hosts[0].ip: invalid IPv6 address "::FFFF:a00:1": an IPv4-mapped address (::ffff:0:0/96) is not accepted',
  },
  {
    what: 'IPv6: a /129',
    content: node6('    nat: { masquerade: [{ source: "fd00:10::/129" }] }\n'),
    line: 'nodes[0].nat.masquerade[0].source: invalid IPv6 CIDR "fd00:10::/129": prefix length 129 is out of range 0-128',
  },
  {
    what: 'IPv6: a leading-zero prefix length',
    content: node6('    routes: [{ to: "fd00:2::/064", via: "fd00:1::2" }]\n'),
    line: 'nodes[0].routes[0].to: invalid IPv6 CIDR "fd00:2::/064": prefix length 064 has a leading zero',
  },
  {
    what: 'IPv6: a five-digit group (leading zeros past four digits)',
    content: node6('    hosts: [{ ip: "fd00:00001::1", names: [x] }]\n'),
    line: 'nodes[0].hosts[0].ip: invalid IPv6 address "fd00:00001::1": expected an IPv6 address such as fd00::1',
  },
  {
    what: 'IPv6: two "::"',
    content: node6('    routes: [{ to: default, via: "fd00::1::2" }]\n'),
    line: 'nodes[0].routes[0].via: invalid IPv6 address "fd00::1::2"',
  },
  {
    what: 'IPv6: host bits in a route destination (uppercase)',
    content: node6('    routes: [{ to: "FD00:2::1/64", via: "fd00:1::2" }]\n'),
    line: 'nodes[0].routes[0].to: invalid IPv6 CIDR "FD00:2::1/64": host bits are set; the network is fd00:2::/64',
  },
  {
    what: 'IPv6: an unbracketed DNAT target with a port',
    content: node6('    nat: { portForwards: [{ protocol: tcp, port: 80, to: "fd00:1::3:80" }] }\n'),
    line: 'nodes[0].nat.portForwards[0].to: must be ip:port with an IPv4 address, or [ip]:port with an IPv6 address',
  },
  {
    what: 'IPv6: a zone id on a nameserver that is not link-local',
    content: node6('    resolv: { nameservers: ["fd00::53%eth0"] }\n'),
    line: 'nodes[0].resolv.nameservers[0]: invalid nameserver "fd00::53%eth0": a zone id (%eth0) belongs only to a link-local IPv6 address',
  },
  {
    what: 'IPv6: a zone id with shell metacharacters on a link-local nameserver',
    content: node6('    resolv: { nameservers: ["fe80::1%eth0;reboot"] }\n'),
    line: 'nodes[0].resolv.nameservers[0]: invalid nameserver "fe80::1%eth0;reboot": zone id "eth0;reboot" must be an interface name',
  },
  {
    what: 'IPv6: ssh.host with a zone id',
    content: `${base}nodes: [{ name: n1, ssh: { host: "fe80::1%eth0" } }]\n`,
    line: 'nodes[0].ssh.host: invalid IPv6 address "fe80::1%eth0": a zone id (%name) is accepted only on a link-local nameserver',
  },
  {
    what: 'IPv6: a jump host with a mapped address',
    content: `${base}nodes: [{ name: n1, ssh: { host: 10.0.0.1, jumpHost: "admin@[::ffff:a00:1]:22" } }]\n`,
    line: 'nodes[0].ssh.jumpHost: host invalid IPv6 address "::ffff:a00:1": an IPv4-mapped address (::ffff:0:0/96) is not accepted',
  },
  {
    what: 'IPv6: a verify tcp target without brackets',
    content: `${node6('')}verify: [{ from: n1, tcp: "fd00:1::1:80" }]\n`,
    line: 'verify[0].tcp: must be [ADDRESS]:port with an IPv6 address in brackets and a port 1-65535, e.g. [fd00::2]:80 (got "fd00:1::1:80")',
  },
];

const cases: Array<{ what: string; content: string | Buffer; line: string }> = [
  ...ipv6Cases,
  {
    what: '__proto__ as a label key (the syntax forbids it)',
    content: example.replace('selector: { app: myapp, type: back-end }', 'selector: { __proto__: back-end }'),
    line: 'kubernetes.services[0].selector.__proto__: key "__proto__" is invalid',
  },
  {
    what: '__proto__ in matchLabels (was read as {} = every pod)',
    content: `${base}kubernetes:\n  networkPolicies:\n    - name: p\n      ingress: [{ from: [{ podSelector: { matchLabels: { __proto__: frontend } } }] }]\n`,
    line: 'kubernetes.networkPolicies[0].ingress[0].from[0].podSelector.matchLabels.__proto__: key "__proto__" is invalid',
  },
  {
    what: '__proto__ as a sysctl key',
    content: node('    sysctls: { __proto__: 1 }\n'),
    line: 'nodes[0].sysctls.__proto__: must be a sysctl key',
  },
  {
    what: 'an alias bomb',
    content: `${Array.from(
      { length: 9 },
      (_, i) =>
        `x${i}: &a${i} [${
          i === 0
            ? '"lol"'
            : Array(9)
                .fill(`*a${i - 1}`)
                .join(', ')
        }]`,
    ).join('\n')}\n${base}`,
    line: '(root): YAML: aliases expand the document to',
  },
  {
    what: 'an alias that contains itself',
    content: `${base}lab: &l { managementCidr: *l }\n`,
    line: 'lab.managementCidr: YAML: an alias refers to a node that contains it',
  },
  {
    what: '3,000 nested YAML levels',
    content: `${base}cni: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
    line: ': YAML: nesting is too deep (at most 100 levels)',
  },
  {
    what: '6,000 nested Corefile blocks',
    content: `${base}dns:\n  corefile: "${'a {\\n'.repeat(6000)}${'}\\n'.repeat(6000)}"\n`,
    line: 'dns.corefile: line 21: blocks nest deeper than 20 levels',
  },
  {
    what: 'certFile /dev/zero',
    content: `${base}kubernetes:\n  services: [{ name: s, ports: [{ port: 80 }] }]\n  ingresses:\n    - name: i\n      tls: [{ hosts: [a.example.com], secretName: t, certFile: /dev/zero, keyFile: /dev/zero }]\n      defaultBackend: { service: s, port: 80 }\n`,
    line: 'kubernetes.ingresses[0].tls[0].certFile: certFile "/dev/zero" (/dev/zero) is not a regular file',
  },
  {
    what: 'a leading zero in a prefix (iproute2 reads 024 as octal)',
    content: node('    interfaces: [{ name: eth0, addresses: [192.168.1.11/024] }]\n'),
    line: 'nodes[0].interfaces[0].addresses[0]: invalid interface address "192.168.1.11/024": prefix length 024 has a leading zero',
  },
  {
    what: 'an IPv4-mapped IPv6 range',
    content: `${base}cni:\n  plugin: conflist\n  conflist:\n    name: n\n    plugins: [{ type: bridge, ipam: { type: host-local, ranges: [[{ subnet: "::ffff:10.244.1.0/120" }]] } }]\n`,
    line: 'IPv4-mapped or embedded forms such as ::ffff:10.0.0.1 are not accepted',
  },
  {
    what: 'ssh.host 010.0.0.1 (the resolver reads 8.0.0.1)',
    content: `${base}nodes: [{ name: n1, ssh: { host: 010.0.0.1 } }]\n`,
    line: 'nodes[0].ssh.host: looks like an IPv4 address but is not one in canonical form',
  },
  {
    what: 'ssh.host 0x0a.0.0.1 (inet_aton reads hex: 10.0.0.1)',
    content: `${base}nodes: [{ name: n1, ssh: { host: 0x0a.0.0.1 } }]\n`,
    line: 'nodes[0].ssh.host: looks like an IPv4 address but is not one in canonical form',
  },
  {
    what: 'ssh.host "10.1" (inet_aton reads 10.0.0.1)',
    content: `${base}nodes: [{ name: n1, ssh: { host: "10.1" } }]\n`,
    line: 'nodes[0].ssh.host: looks like an IPv4 address but is not one in canonical form',
  },
  {
    what: 'ssh.jumpHost admin@0X0A.0.0.1:22',
    content: `${base}nodes: [{ name: n1, ssh: { host: 10.0.0.5, jumpHost: "admin@0X0A.0.0.1:22" } }]\n`,
    line: 'nodes[0].ssh.jumpHost: host looks like an IPv4 address but is not one in canonical form',
  },
  {
    what: 'ssh.host with a newline',
    content: `${base}nodes: [{ name: n1, ssh: { host: "a\\nb" } }]\n`,
    line: 'nodes[0].ssh.host: must be an IPv4 address or a host name',
  },
  {
    what: 'ssh.host empty',
    content: `${base}nodes: [{ name: n1, ssh: { host: "" } }]\n`,
    line: 'nodes[0].ssh.host: must be an IPv4 address or a host name',
  },
  {
    what: 'ssh.port 99999',
    content: `${base}nodes: [{ name: n1, ssh: { host: 10.0.0.1, port: 99999 } }]\n`,
    line: 'nodes[0].ssh.port: must be a port number 1-65535 (got 99999)',
  },
  {
    what: 'jumpHost with two @',
    content: `${base}nodes: [{ name: n1, ssh: { host: 10.0.0.1, jumpHost: "a@b@c" } }]\n`,
    line: 'nodes[0].ssh.jumpHost: must be [user@]host[:port]',
  },
  {
    what: 'an upstream with a newline',
    content: `${base}dns: { upstreams: ["1.1.1.1\\nx"] }\n`,
    line: 'dns.upstreams[0]: must be one token',
  },
  {
    what: 'a relative resolv.conf upstream',
    content: `${base}dns: { upstreams: ["/etc/../resolv.conf"] }\n`,
    line: 'dns.upstreams[0]: invalid upstream "/etc/../resolv.conf"',
  },
  {
    what: 'controlPlaneEndpoint port 99999',
    content: `${base}kubeProxy: { controlPlaneEndpoint: "https://10.0.0.1:99999" }\n`,
    line: 'kubeProxy.controlPlaneEndpoint: "https://10.0.0.1:99999" has port 99999',
  },
  {
    what: 'controlPlaneEndpoint [:::::]',
    content: `${base}kubeProxy: { controlPlaneEndpoint: "https://[:::::]:6443" }\n`,
    line: 'has an invalid IPv6 address "[:::::]"',
  },
  {
    what: 'controlPlaneEndpoint 999.999.999.999',
    content: `${base}kubeProxy: { controlPlaneEndpoint: "https://999.999.999.999" }\n`,
    line: 'has an invalid IPv4 address',
  },
  {
    what: 'an image tag with a newline',
    content: `${base}dns: { version: "v1\\nx" }\n`,
    line: 'dns.version: must be an image tag',
  },
  {
    what: 'dnsServiceIp on the network address',
    content: base.replace('12 }', '12, dnsServiceIp: 10.96.0.0 }'),
    line: 'network.dnsServiceIp: "10.96.0.0" is the network address of serviceCidr',
  },
  {
    what: 'a clusterIP of the kubernetes Service',
    content: `${base}kubernetes: { services: [{ name: s, clusterIP: 10.96.0.1, ports: [{ port: 80 }] }] }\n`,
    line: 'kubernetes.services[0].clusterIP: clusterIP "10.96.0.1" is the first address of serviceCidr 10.96.0.0/12',
  },
  {
    what: 'a clusterIP on the broadcast address',
    content: `${base}kubernetes: { services: [{ name: s, clusterIP: 10.111.255.255, ports: [{ port: 80 }] }] }\n`,
    line: 'is the broadcast address of serviceCidr',
  },
  {
    what: 'appProtocol syntax',
    content: `${base}kubernetes: { services: [{ name: s, ports: [{ port: 80, appProtocol: "h t t p" }] }] }\n`,
    line: 'kubernetes.services[0].ports[0].appProtocol: appProtocol "h t t p" is invalid',
  },
  {
    what: 'annotations over 256 KiB',
    content: `${base}kubernetes: { services: [{ name: s, annotations: { a: "${'x'.repeat(300 * 1024)}" }, ports: [{ port: 80 }] }] }\n`,
    line: 'kubernetes.services[0].annotations: total 307201 bytes; the API server allows at most 262144',
  },
  {
    what: 'bytes that are not UTF-8',
    content: Buffer.concat([Buffer.from(base), Buffer.from([0x23, 0xc3, 0x28])]),
    line: '(root): is not UTF-8 text: invalid byte 0x28 at byte offset 79',
  },
  {
    what: '.inf and .nan',
    content: 'name: x\nnetwork: { podCidr: .inf, serviceCidr: .nan }\n',
    // Issue 21: podCidr takes one range or a dual-stack list, and the refusal names both forms.
    line: 'network.podCidr: must be a CIDR string, or a list of one IPv4 and one IPv6 CIDR (got .inf)',
  },
  {
    what: 'a missing required key',
    content: 'name: x\nnetwork: { podCidr: 10.244.0.0/16 }\n',
    line: 'network.serviceCidr: is required',
  },
  {
    what: 'a union field',
    content: `${base}kubernetes: { services: [{ name: s, ports: [{ port: 80, targetPort: [1] }] }] }\n`,
    line: 'targetPort: must be a port number 1-65535 or a port name (DNS-1123 label such as http) (got [1])',
  },
  {
    what: 'a long value is cut to 100 characters',
    content: `name: ${'n'.repeat(5000)}\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\n`,
    line: `name: must be at most 63 characters (DNS-1123 label) (got "${'n'.repeat(100)}…" (5000 characters))`,
  },
];

describe('hostile cluster files: exit 2, file: path: message, nothing written', () => {
  test.each(cases)('$what', async ({ content, line }) => {
    const run = await synth(`case-${cases.findIndex((c) => c.line === line)}`, content);
    expect({ code: run.code, stdout: run.stdout, wrote: run.wrote }).toEqual({ code: 2, stdout: '', wrote: false });
    expect(checkRejection(run.file, run.stderr)).toBeUndefined();
    expect(run.stderr).toContain(line);
    expect(run.ms).toBeLessThan(2000);
  });

  test('__proto__ and constructor are kept as data where the syntax allows them (env, ConfigMap keys, CNI options)', async () => {
    const content = example
      .replace('cni:\n  plugin: weave\n', 'cni:\n  plugin: weave\n  weave: { env: { __proto__: a, constructor: b } }\n')
      .replace('  flavor: baremetal\n', '  flavor: baremetal\n  config: { __proto__: "1", constructor: "2" }\n')
      .replace('selector: { app: wear }', 'selector: { app: wear, constructor: x }');
    const run = await synth('proto-data', content);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'out-proto-data', 'example.k8s.yaml'), 'utf8');
    expect(text).toMatch(/- name: __proto__\n\s+value: a\n/);
    expect(text).toMatch(/- name: constructor\n\s+value: b\n/);
    expect(text).toMatch(/__proto__: "1"\n\s+allow-snippet-annotations: "true"\n\s+constructor: "2"\n/);
    expect(text).toMatch(/selector:\n\s+app: wear\n\s+constructor: x\n/);
    expect(checkManifests(path.join(dir, 'out-proto-data', 'example.k8s.yaml'))).toBeGreaterThan(20);
  });

  test('a __proto__ key in a CNI plugin is kept (the plugin keeps its ipam)', () => {
    const model = checkCluster(
      {
        name: 'p',
        network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
        cni: {
          plugin: 'conflist',
          conflist: {
            name: 'n',
            plugins: [
              JSON.parse(
                '{"type":"bridge","__proto__":{"x":1},"ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.1.0/24"}]]}}',
              ),
            ],
          },
        },
      },
      'p.yaml',
    );
    const plugin = model.cluster.cni.conflist!.plugins[0];
    expect(Object.keys(plugin)).toEqual(['type', '__proto__', 'ipam']);
    expect(JSON.stringify(plugin)).toBe(
      '{"type":"bridge","__proto__":{"x":1},"ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.1.0/24"}]]}}',
    );
  });

  test('hosts get the canonical form our parsers produce, never the text as written', () => {
    const model = checkCluster(
      {
        name: 'c',
        network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
        nodes: [
          {
            name: 'n1',
            ssh: { host: '10.0.0.1' },
            sysctls: { 'net.ipv4.ip_forward': 1 },
            interfaces: [{ name: 'eth0', addresses: ['10.10.0.1/24'] }],
            nat: { portForwards: [{ protocol: 'tcp', port: 80, to: '10.10.0.3:0080' }] },
          },
        ],
      },
      'c.yaml',
    );
    expect(model.cluster.nodes[0].nat.portForwards[0].to).toBe('10.10.0.3:80');
  });

  test('a document over 64 MiB is refused before it is read', () => {
    const file = path.join(dir, 'huge.yaml');
    fs.writeFileSync(file, base);
    fs.truncateSync(file, 64 * 1024 * 1024 + 1);
    expect(issueLines(() => loadClusterFile(file))).toEqual([
      `${file}: (root): is ${64 * 1024 * 1024 + 1} bytes; a cluster file may hold at most 67108864 bytes (64 MiB)`,
    ]);
  });

  test('a cluster file that is not a regular file is refused (no read of /dev/zero)', () => {
    expect(issueLines(() => loadClusterFile('/dev/zero'))).toEqual(['/dev/zero: (root): is not a regular file']);
  });

  test('thousands of issues print 50 lines and a count, under 16 KB', async () => {
    const services = Array.from({ length: 3000 }, (_, i) => `    - { name: S${i}, ports: [{ port: 80 }] }`).join('\n');
    const run = await synth('many', `${base}kubernetes:\n  services:\n${services}\n`);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(51);
    expect(run.stderr).toContain('(root): 2950 more issues not shown; fix the ones above first');
    expect(Buffer.byteLength(run.stderr)).toBeLessThan(16 * 1024);
  });

  test('synth -o refuses an existing file and a special path, exit 2, before writing', async () => {
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, 'keep me');
    const onFile = await runCaptured(['synth', 'hosts/example.yaml', '-o', file]);
    expect(onFile).toEqual({
      code: 2,
      stdout: '',
      stderr: `netstrap: output: (-o) ${JSON.stringify(file)} exists and is not a directory\n`,
    });
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
    const special = await runCaptured(['synth', 'hosts/example.yaml', '-o', '/proc/self']);
    expect(special).toEqual({
      code: 2,
      stdout: '',
      stderr: 'netstrap: output: (-o) "/proc/self" is under /proc, which holds no regular files\n',
    });
  });

  test('the real CLI gives the same lines and exit 2 (a sample)', () => {
    for (const [i, c] of [cases[0], cases[3], cases[8], cases[26]].entries()) {
      const file = path.join(dir, `cli-${i}.yaml`);
      fs.writeFileSync(file, c.content);
      const run = netstrap(['synth', file, '-o', path.join(dir, `cli-out-${i}`)]);
      expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 2, stdout: '' });
      expect(checkRejection(file, run.stderr)).toBeUndefined();
      expect(run.stderr).toContain(c.line);
    }
    const onFile = netstrap(['synth', 'hosts/example.yaml', '-o', 'package.json']);
    expect({ status: onFile.status, stderr: onFile.stderr }).toEqual({
      status: 2,
      stderr: 'netstrap: output: (-o) "package.json" exists and is not a directory\n',
    });
  });
});

describe('library API from plain JavaScript: wrong types throw an InputError naming the prop', () => {
  const chart = () => {
    const c = new Chart(Testing.app(), 'lib');
    new ClusterNetwork(c, 'network', { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' });
    return c;
  };
  const js = (value: unknown) => value as never;

  test.each([
    [
      'Service ports: null',
      () => new Service(chart(), 's', js({ ports: null })),
      'Service "s": ports: Invalid input: expected array, received null (got null)',
    ],
    [
      'Service selector: "app"',
      () => new Service(chart(), 's', js({ selector: 'app', ports: [{ port: 80 }] })),
      'Service "s": selector: Invalid input: expected record, received string (got "app")',
    ],
    [
      'Service unknown prop',
      () => new Service(chart(), 's', js({ prots: [] })),
      'Service "s": (root): unknown field "prots"',
    ],
    [
      'NetworkPolicy ingress: true',
      () => new NetworkPolicy(chart(), 'p', js({ ingress: true })),
      'NetworkPolicy "p": ingress: Invalid input: expected array, received boolean (got true)',
    ],
    [
      'Ingress rules[0].paths: "/"',
      () => new Ingress(chart(), 'i', js({ rules: [{ paths: '/' }] })),
      'Ingress "i": rules[0].paths: Invalid input: expected array, received string (got "/")',
    ],
    [
      'WeaveNet npcArgs: 1',
      () => new WeaveNet(chart(), 'w', js({ npcArgs: 1 })),
      'WeaveNet "lib/w": npcArgs: Invalid input: expected array, received number (got 1)',
    ],
    [
      'CoreDns hosts: {}',
      () => new CoreDns(chart(), 'd', js({ hosts: {} })),
      'CoreDns "lib/d": hosts: Invalid input: expected array, received object (got {})',
    ],
    [
      'CoreDns clusterDomain with a newline',
      () => new CoreDns(new Chart(Testing.app(), 'x'), 'd', js({ clusterDomain: 'a\nb', dnsServiceIp: '10.96.0.10' })),
      'CoreDns "x/d": clusterDomain: must be a DNS-1123 subdomain',
    ],
    [
      'IngressNginx nodePorts: 80',
      () => new IngressNginx(chart(), 'n', js({ nodePorts: 80 })),
      'IngressNginx "lib/n": nodePorts: Invalid input: expected object, received number (got 80)',
    ],
    [
      'KubeProxy without controlPlaneEndpoint',
      () => new KubeProxy(chart(), 'k', js({})),
      'KubeProxy "lib/k": controlPlaneEndpoint: is required',
    ],
    [
      'ClusterNetwork props: undefined',
      () => new ClusterNetwork(new Chart(Testing.app(), 'x'), 'n', js(undefined)),
      'ClusterNetwork "x/n": (root): props must be an object (got undefined)',
    ],
    [
      'ClusterNetwork clusterDomain with a newline',
      () =>
        new ClusterNetwork(
          new Chart(Testing.app(), 'x'),
          'n',
          js({ podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', clusterDomain: 'a\nb' }),
        ),
      'ClusterNetwork "x/n": clusterDomain: must be a DNS-1123 subdomain',
    ],
    [
      'CniConfig plugins: "bridge"',
      () => new CniConfig(js({ name: 'n', plugins: 'bridge' })),
      'CniConfig "n": plugins: Invalid input: expected array, received string (got "bridge")',
    ],
    [
      'CniConfig.fromJson with an IPv4-mapped range',
      () =>
        CniConfig.fromJson(
          '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge","ipam":{"type":"host-local","ranges":[[{"subnet":"::ffff:10.244.1.0/120"}]]}}]}',
        ),
      'IPv4-mapped or embedded forms such as ::ffff:10.0.0.1 are not accepted',
    ],
  ])('%s', (_what, build, line) => {
    const lines = issueLines(build);
    expect(lines.join('\n')).toContain(line);
  });

  test('constructor is an ordinary label key through the library too', () => {
    const c = chart();
    new Service(c, 's', {
      labels: { constructor: 'x' },
      selector: { app: 'a', constructor: 'y' },
      ports: [{ port: 80 }],
    });
    const service = Testing.synth(c).find((o) => o.kind === 'Service')!;
    expect(service.metadata.labels).toEqual({ constructor: 'x' });
    expect(service.spec.selector).toEqual({ app: 'a', constructor: 'y' });
  });
});

import * as fs from 'fs';
import { Corefile, kubeadmCorefile } from '../../../src/model/corefile/model';
import { parseCorefile } from '../../../src/model/corefile/parse';
import { corefileTextIssues, validateCorefile } from '../../../src/model/corefile/validate';
import { formatPath } from '../../../src/model/errors';
import { reference } from '../../support/k8s';

const layout = { clusterDomain: 'cluster.local' };
/** Issues as `path: message` lines, the way the CLI shows them. */
const shown = (corefile: Corefile, context = layout) =>
  validateCorefile(corefile, context).map((i) => `${formatPath(i.path)}: ${i.message}`);
const textIssues = (text: string, context = layout) => corefileTextIssues(text, context).issues.map((i) => i.message);

describe('validateCorefile', () => {
  test('the reference Corefiles and the default model have no issues', () => {
    for (const file of [
      'kubeadm-k8s-1.27-1.30.Corefile',
      'kubeadm-newest-stored.Corefile',
      'kubernetes-addons-k8s-1.27-1.28.Corefile',
    ]) {
      expect(textIssues(fs.readFileSync(reference('coredns', file), 'utf8'))).toEqual([]);
    }
    expect(
      shown(
        kubeadmCorefile({
          hosts: [{ ip: '192.168.1.11', names: ['node01'] }],
          stubDomains: { 'consul.local': ['10.150.0.1'] },
        }),
      ),
    ).toEqual([]);
  });

  test('an unknown plugin is named, with its line and a suggestion', () => {
    const text = '.:53 {\n    errors\n    kubernets cluster.local\n    forwardd . 8.8.8.8\n    frobnicate\n}\n';
    expect(textIssues(text)).toEqual([
      'line 3: unknown plugin "kubernets"; did you mean "kubernetes"?',
      'line 4: unknown plugin "forwardd"; did you mean "forward"?',
      'line 5: unknown plugin "frobnicate"',
    ]);
    const model: Corefile = {
      servers: [{ zones: ['.'], plugins: [{ plugin: 'generic', name: 'kubernets', args: [] }] }],
    };
    expect(shown(model)).toEqual([
      'servers[0].plugins[0].name: unknown plugin "kubernets"; did you mean "kubernetes"?',
    ]);
  });

  test('the same zone and port in two server blocks is refused; other ports are fine', () => {
    const text =
      '.:53 {\n    errors\n}\nexample.org {\n    errors\n}\nExample.org.:53 {\n    errors\n}\n.:5353 {\n    errors\n}\n';
    expect(textIssues(text)).toEqual([
      'line 7: zone "Example.org." on port 53 is already served by server block 2 (example.org): CoreDNS refuses to start',
    ]);
  });

  test('a stub domain that repeats the main zone is refused', () => {
    expect(shown(kubeadmCorefile({ stubDomains: { '.': ['10.0.0.1'] } }))).toEqual([
      'servers[1].zones: zone "." on port 53 is already served by server block 1 (.:53): CoreDNS refuses to start',
    ]);
  });

  test('forward without an upstream, and upstreams that are not addresses', () => {
    const model: Corefile = {
      servers: [
        { zones: ['.'], port: 53, plugins: [{ plugin: 'forward', from: '.', to: [] }] },
        {
          zones: ['example.org'],
          plugins: [
            {
              plugin: 'forward',
              from: '.',
              to: [
                '8.8.8.8',
                'tls://1.1.1.1',
                '10.0.0.1:5353',
                '/etc/resolv.conf',
                '999.0.0.1',
                'dns.google',
                '10.0.0.1:70000',
              ],
            },
          ],
        },
      ],
    };
    expect(shown(model)).toEqual([
      'servers[0].plugins[0].to: forward "." has no upstream: give at least one address or /etc/resolv.conf',
      'servers[1].plugins[0].to[4]: invalid upstream "999.0.0.1": invalid IPv4 address "999.0.0.1": 999 is not an IPv4 octet (0-255, no leading zeros)',
      'servers[1].plugins[0].to[5]: invalid upstream "dns.google": invalid IPv4 address "dns.google": expected an IPv4 address such as 10.0.0.1',
      'servers[1].plugins[0].to[6]: invalid upstream "10.0.0.1:70000": port 70000 is outside 1-65535',
    ]);
    expect(textIssues('.:53 {\n    forward .\n}\n')).toEqual([
      'line 2: forward "." has no upstream: give at least one address or /etc/resolv.conf',
    ]);
  });

  test('a kubernetes zone must be the cluster domain or a reverse zone', () => {
    const text = (zones: string) => `.:53 {\n    kubernetes ${zones}\n}\n`;
    expect(textIssues(text('cluster.local in-addr.arpa ip6.arpa 10.0.0.0/8 Cluster.Local.'))).toEqual([]);
    expect(textIssues(text('cluster.lcoal in-addr.arpa'))).toEqual([
      'line 2: kubernetes zone "cluster.lcoal" is not the cluster domain "cluster.local" nor a reverse zone (in-addr.arpa, ip6.arpa): Service names would not resolve',
    ]);
    expect(textIssues(text('k8s.example'), { clusterDomain: 'k8s.example' })).toEqual([]);
    // Without zones the plugin takes the server block's: "." is not the cluster domain.
    expect(shown({ servers: [{ zones: ['.'], plugins: [{ plugin: 'kubernetes', zones: [] }] }] })).toEqual([
      'servers[0].zones[0]: kubernetes zone "." is not the cluster domain "cluster.local" nor a reverse zone (in-addr.arpa, ip6.arpa): Service names would not resolve',
    ]);
  });

  test('hosts entries need IPv4 addresses and host names', () => {
    const text =
      '.:53 {\n    hosts {\n       192.168.1.11 node01\n       192.168.1.300 node02\n       node03 192.168.1.13\n       10.0.0.1 bad_name!\n       fallthrough\n    }\n}\n';
    expect(textIssues(text)).toEqual([
      'line 2: hosts entry: invalid IPv4 address "192.168.1.300": 300 is not an IPv4 octet (0-255, no leading zeros)',
      'line 2: hosts entry: invalid IPv4 address "node03": expected an IPv4 address such as 10.0.0.1',
      'line 2: hosts entry "10.0.0.1": invalid host name "bad_name!"',
    ]);
    const { corefile, lines } = parseCorefile(text);
    expect(validateCorefile(corefile, layout, lines).map((i) => formatPath(i.path))).toEqual([
      'servers[0].plugins[0].entries[1].ip',
      'servers[0].plugins[0].entries[2].ip',
      'servers[0].plugins[0].entries[3].names[0]',
    ]);
  });

  test('plugins CoreDNS allows once per server block are refused twice; log and rewrite may repeat', () => {
    const text =
      '.:53 {\n    cache 30\n    log\n    log\n    rewrite name a.example b.example\n    rewrite name c.example d.example\n    cache 60\n    forward . 8.8.8.8\n    forward . 1.1.1.1\n}\n';
    expect(textIssues(text)).toEqual([
      'line 7: plugin "cache" is used twice in server block 1 (.:53): CoreDNS allows it once per server block',
      'line 9: plugin "forward" is used twice in server block 1 (.:53): CoreDNS allows it once per server block',
    ]);
  });

  test('zones, ports and schemes of server blocks', () => {
    const model: Corefile = {
      servers: [
        { zones: [], plugins: [] },
        { zones: ['exa mple.org', '10.0.0.0/8'], port: 70000, scheme: 'ftp', plugins: [] },
      ],
    };
    expect(shown(model)).toEqual([
      'servers[0].zones: missing zone: a server block needs at least one zone, e.g. "."',
      'servers[1].zones[0]: invalid zone "exa mple.org": expected "." or a domain such as example.org',
      'servers[1].port: port 70000 is outside 1-65535',
      'servers[1].scheme: unknown scheme "ftp": expected one of dns, tls, grpc, https, quic',
    ]);
    expect(shown({ servers: [] })).toEqual(['servers: the Corefile has no server block']);
  });

  test('options a Corefile line cannot express are refused instead of being dropped', () => {
    const model: Corefile = {
      servers: [
        {
          zones: ['.'],
          plugins: [
            { plugin: 'cache', success: { capacity: 10, minTtl: 5 } },
            { plugin: 'reload', jitter: '5s' },
            { plugin: 'hosts', zones: ['example.org'], entries: [] },
          ],
        },
      ],
    };
    expect(shown(model)).toEqual([
      'servers[0].plugins[0].success.minTtl: cache success: minTtl 5 needs a ttl before it',
      'servers[0].plugins[1].jitter: reload: jitter "5s" needs an interval before it',
      'servers[0].plugins[2].zones: hosts: zones need a file before them ("hosts /etc/hosts example.org")',
    ]);
  });

  test('text with parse errors reports only those, each with its line', () => {
    expect(textIssues('.:53 {\n    kubernets cluster.local {\n       ttl 30\n')).toEqual([
      'line 1: unbalanced braces: the "{" on line 1 is never closed',
      'line 2: unbalanced braces: the "{" on line 2 is never closed',
    ]);
  });
});

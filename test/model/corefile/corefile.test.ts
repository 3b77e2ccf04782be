import * as fs from 'fs';
import { Corefile, kubeadmCorefile } from '../../../src/model/corefile/model';
import { parseCorefile } from '../../../src/model/corefile/parse';
import { ADDONS_STYLE, KUBEADM_STYLE, renderCorefile } from '../../../src/model/corefile/render';
import { readYamlDocuments, reference } from '../../support/k8s';

const coredns = (file: string) => reference('coredns', file);
const read = (file: string) => fs.readFileSync(coredns(file), 'utf8');

/** The Corefile inside the ConfigMap of a reference YAML, with its template placeholders filled in. */
function configMapCorefile(file: string, substitutions: Record<string, string>): string {
  const configMap = readYamlDocuments(coredns(file)).find((o) => o.kind === 'ConfigMap');
  let text: string = configMap!.data.Corefile;
  for (const [placeholder, value] of Object.entries(substitutions)) text = text.split(placeholder).join(value);
  return text;
}

/** Every Corefile in ../shared/reference/coredns, with the nested indentation it uses. */
const references: Array<{ name: string; text: string; nestedIndent: number }> = [
  { name: 'kubeadm-k8s-1.27-1.30.Corefile', text: read('kubeadm-k8s-1.27-1.30.Corefile'), nestedIndent: 3 },
  { name: 'kubeadm-newest-stored.Corefile', text: read('kubeadm-newest-stored.Corefile'), nestedIndent: 3 },
  {
    name: 'kubernetes-addons-k8s-1.27-1.28.Corefile',
    text: read('kubernetes-addons-k8s-1.27-1.28.Corefile'),
    nestedIndent: 4,
  },
  {
    name: 'kubernetes-addons .base ConfigMap',
    text: configMapCorefile('kubernetes-addons.coredns.yaml.base.k8s-1.27-1.28.yaml', {
      __DNS__DOMAIN__: 'cluster.local',
    }),
    nestedIndent: 4,
  },
  {
    name: 'kubernetes-addons .sed ConfigMap',
    text: configMapCorefile('kubernetes-addons.coredns.yaml.sed.k8s-1.27-1.28.yaml', { $DNS_DOMAIN: 'cluster.local' }),
    nestedIndent: 4,
  },
  {
    // The defaults coredns/deployment's deploy.sh fills in when no kube-dns ConfigMap is migrated.
    name: 'coredns/deployment coredns.yaml.sed ConfigMap',
    text: configMapCorefile('coredns-deployment.coredns.yaml.sed', {
      CLUSTER_DOMAIN: 'cluster.local',
      REVERSE_CIDRS: 'in-addr.arpa ip6.arpa',
      UPSTREAMNAMESERVER: '/etc/resolv.conf',
      STUBDOMAINS: '',
    }),
    nestedIndent: 2,
  },
];

/** A Corefile that uses every typed plugin, generic plugins with nested blocks, quoting and stub domains. */
const everything = `.:53 {
    errors
    health :8080 {
       lameduck 5s
    }
    ready :8181
    hosts /etc/coredns/extra.hosts example.org {
       192.168.1.11 node01 node01.lan
       192.168.2.11 node02
       ttl 60
       no_reverse
       reload 10s
       fallthrough
    }
    rewrite name exact foo.example.org foo.default.svc.cluster.local
    rewrite stop {
       name regex (.*)\\.example\\.org {1}.default.svc.cluster.local
       answer name (.*)\\.default\\.svc\\.cluster\\.local {1}.example.org
    }
    log . {combined} {
       class denial error
    }
    template IN A example.net {
       match ^(?P<a>[0-9]*)[.]example[.]net[.]$
       answer "{{ .Name }} 60 IN A 10.0.0.{{ .Group.a }}"
       rcode NOERROR
       fallthrough
    }
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods verified
       fallthrough in-addr.arpa ip6.arpa
       ttl 5
       namespaces default kube-system
       endpoint https://10.0.0.1:6443
    }
    k8s_external example.com
    prometheus 0.0.0.0:9153
    forward . 8.8.8.8 tls://1.1.1.1 {
       except example.com internal.example.org
       policy sequential
       max_concurrent 500
       tls_servername cloudflare-dns.com
       health_check 5s
    }
    cache 300 example.org {
       success 9984 30 5
       denial 9984 5
       disable success cluster.local
       disable denial cluster.local
       prefetch 10 1m 10%
    }
    loop
    reload 30s 5s
    loadbalance weighted /etc/coredns/weights {
       reload 10s
    }
    acl {
       allow net 10.0.0.0/8
       block
    }
}
consul.local:53 {
    errors
    cache 30
    forward . 10.150.0.1
}
tls://example.org:853 {
    tls /etc/tls/cert.pem /etc/tls/key.pem
    view internal {
       expr incidr(client_ip(), '10.0.0.0/8')
    }
    whoami
}
`;

describe('Corefile render', () => {
  test('the default model for a plan renders byte-equal to the kubeadm v1.27-v1.30 Corefile', () => {
    expect(renderCorefile(kubeadmCorefile({ clusterDomain: 'cluster.local' }))).toBe(
      read('kubeadm-k8s-1.27-1.30.Corefile'),
    );
    expect(renderCorefile(kubeadmCorefile(), KUBEADM_STYLE)).toBe(read('kubeadm-k8s-1.27-1.30.Corefile'));
  });

  test('the indent option gives the cluster/addons 4-space layout', () => {
    expect(renderCorefile(kubeadmCorefile(), ADDONS_STYLE)).toBe(read('kubernetes-addons-k8s-1.27-1.28.Corefile'));
  });

  test('the cluster domain, upstreams, hosts entries and stub domains reach the text', () => {
    const text = renderCorefile(
      kubeadmCorefile({
        clusterDomain: 'k8s.example',
        upstreams: ['1.1.1.1', '8.8.8.8'],
        hosts: [{ ip: '192.168.1.11', names: ['node01', 'node01.lan'] }],
        stubDomains: { 'consul.local': ['10.150.0.1'] },
      }),
    );
    expect(text).toContain('    kubernetes k8s.example in-addr.arpa ip6.arpa {\n');
    expect(text).toContain('    forward . 1.1.1.1 8.8.8.8 {\n');
    expect(text).toContain(
      '    ready\n    hosts {\n       192.168.1.11 node01 node01.lan\n       fallthrough\n    }\n    kubernetes',
    );
    expect(text.endsWith('}\nconsul.local:53 {\n    errors\n    cache 30\n    forward . 10.150.0.1\n}\n')).toBe(true);
  });

  test('a model built in code with every typed field survives render then parse', () => {
    const corefile: Corefile = {
      servers: [
        {
          zones: ['example.org', 'example.net'],
          port: 1053,
          scheme: 'dns',
          plugins: [
            { plugin: 'errors', extra: [{ name: 'consolidate', args: ['5m', '.* i/o timeout$'] }] },
            { plugin: 'health', addr: ':8080', lameduck: '10s' },
            { plugin: 'ready', addr: ':8181' },
            {
              plugin: 'hosts',
              file: '/etc/hosts',
              zones: ['example.org'],
              entries: [{ ip: '10.0.0.1', names: ['a', 'b'] }],
              ttl: 10,
              noReverse: true,
              reload: '0',
              fallthrough: ['example.org'],
            },
            { plugin: 'kubernetes', zones: ['cluster.local'], pods: 'disabled', fallthrough: [], ttl: 0 },
            { plugin: 'prometheus', addr: ':9253' },
            {
              plugin: 'forward',
              from: '.',
              to: ['10.0.0.53:5353'],
              except: ['corp.example'],
              policy: 'random',
              maxConcurrent: 10,
            },
            {
              plugin: 'cache',
              ttl: 10,
              zones: ['example.org'],
              success: { capacity: 100, ttl: 20, minTtl: 1 },
              denial: { capacity: 50 },
              disable: [{ type: 'denial', zones: [] }],
            },
            { plugin: 'loop' },
            { plugin: 'reload', interval: '10s', jitter: '2s' },
            { plugin: 'loadbalance', policy: 'round_robin' },
            { plugin: 'rewrite', rule: ['stop', 'type', 'ANY', 'HINFO'] },
            { plugin: 'log', args: ['.', '{common}'], classes: ['all'] },
            {
              plugin: 'template',
              class: 'ANY',
              type: 'ANY',
              zones: ['invalid'],
              match: ['.*'],
              answer: ['x'],
              additional: ['y'],
              authority: ['z'],
              rcode: 'NXDOMAIN',
              fallthrough: ['a.invalid'],
            },
            {
              plugin: 'generic',
              name: 'file',
              args: ['/etc/coredns/db.example.org'],
              block: [{ name: 'reload', args: ['0'] }],
            },
          ],
        },
      ],
    };
    expect(parseCorefile(renderCorefile(corefile)).corefile).toEqual(corefile);
  });

  test('tokens that would be misread are quoted', () => {
    const corefile: Corefile = {
      servers: [
        {
          zones: ['.'],
          plugins: [
            { plugin: 'template', class: 'IN', type: 'TXT', answer: ['{{ .Name }} 60 IN TXT "hi"'] },
            { plugin: 'generic', name: 'whoami', args: ['#x', ''] },
          ],
        },
      ],
    };
    const text = renderCorefile(corefile);
    expect(text).toBe(
      '. {\n    template IN TXT {\n       answer "{{ .Name }} 60 IN TXT \\"hi\\""\n    }\n    whoami "#x" ""\n}\n',
    );
    expect(parseCorefile(text).corefile).toEqual(corefile);
  });
});

describe('Corefile parse', () => {
  test.each(references)(
    '$name: parse then render gives the same text, and parse(render(model)) equals the model',
    ({ text, nestedIndent }) => {
      const parsed = parseCorefile(text);
      expect(parsed.errors).toEqual([]);
      expect(parsed.style).toEqual({ indent: 4, nestedIndent });
      const rendered = renderCorefile(parsed.corefile, { nestedIndent });
      expect(rendered).toBe(text);
      expect(parseCorefile(rendered).corefile).toEqual(parsed.corefile);
    },
  );

  test('the reference Corefiles are read into typed plugins, not generic ones', () => {
    const { corefile } = parseCorefile(read('kubeadm-newest-stored.Corefile'));
    const [server] = corefile.servers;
    expect(server).toMatchObject({ zones: ['.'], port: 53 });
    expect(server.plugins.map((p) => p.plugin)).toEqual([
      'errors',
      'health',
      'ready',
      'kubernetes',
      'prometheus',
      'forward',
      'cache',
      'loop',
      'reload',
      'loadbalance',
    ]);
    expect(server.plugins[3]).toEqual({
      plugin: 'kubernetes',
      zones: ['cluster.local', 'in-addr.arpa', 'ip6.arpa'],
      pods: 'insecure',
      fallthrough: ['in-addr.arpa', 'ip6.arpa'],
      ttl: 30,
    });
    expect(server.plugins[6]).toEqual({
      plugin: 'cache',
      ttl: 30,
      disable: [
        { type: 'success', zones: ['cluster.local'] },
        { type: 'denial', zones: ['cluster.local'] },
      ],
    });
  });

  test('the kubeadm reference parses to exactly the default model', () => {
    expect(parseCorefile(read('kubeadm-k8s-1.27-1.30.Corefile')).corefile).toEqual(kubeadmCorefile());
  });

  test('a Corefile with every typed plugin, generic nested blocks, quoting and stub domains round-trips', () => {
    const parsed = parseCorefile(everything);
    expect(parsed.errors).toEqual([]);
    expect(renderCorefile(parsed.corefile)).toBe(everything);
    expect(parseCorefile(renderCorefile(parsed.corefile)).corefile).toEqual(parsed.corefile);
    const plugins = parsed.corefile.servers[0].plugins;
    expect(plugins.find((p) => p.plugin === 'hosts')).toEqual({
      plugin: 'hosts',
      file: '/etc/coredns/extra.hosts',
      zones: ['example.org'],
      entries: [
        { ip: '192.168.1.11', names: ['node01', 'node01.lan'] },
        { ip: '192.168.2.11', names: ['node02'] },
      ],
      ttl: 60,
      noReverse: true,
      reload: '10s',
      fallthrough: [],
    });
    expect(plugins.find((p) => p.plugin === 'forward')).toMatchObject({
      from: '.',
      to: ['8.8.8.8', 'tls://1.1.1.1'],
      except: ['example.com', 'internal.example.org'],
      policy: 'sequential',
      maxConcurrent: 500,
      extra: [
        { name: 'tls_servername', args: ['cloudflare-dns.com'] },
        { name: 'health_check', args: ['5s'] },
      ],
    });
    expect(plugins.find((p) => p.plugin === 'template')).toMatchObject({
      class: 'IN',
      type: 'A',
      zones: ['example.net'],
      answer: ['{{ .Name }} 60 IN A 10.0.0.{{ .Group.a }}'],
      rcode: 'NOERROR',
    });
    expect(plugins.find((p) => p.plugin === 'loadbalance')).toEqual({
      plugin: 'loadbalance',
      policy: 'weighted',
      policyArgs: ['/etc/coredns/weights'],
      extra: [{ name: 'reload', args: ['10s'] }],
    });
    expect(plugins.find((p) => p.plugin === 'generic' && p.name === 'acl')).toEqual({
      plugin: 'generic',
      name: 'acl',
      args: [],
      block: [
        { name: 'allow', args: ['net', '10.0.0.0/8'] },
        { name: 'block', args: [] },
      ],
    });
    expect(parsed.corefile.servers.map((s) => [s.scheme, s.zones, s.port])).toEqual([
      [undefined, ['.'], 53],
      [undefined, ['consul.local'], 53],
      ['tls', ['example.org'], 853],
    ]);
  });

  test('comments and blank lines are skipped; typed options are written back in a fixed order', () => {
    const text =
      '# cluster DNS\n\n.:53 {   # main\n  kubernetes cluster.local {\n    ttl 30   # short\n    pods insecure\n  }\n}\n';
    const parsed = parseCorefile(text);
    expect(parsed.errors).toEqual([]);
    expect(renderCorefile(parsed.corefile, parsed.style)).toBe(
      '.:53 {\n  kubernetes cluster.local {\n    pods insecure\n    ttl 30\n  }\n}\n',
    );
  });

  const errorCases: Array<[string, string, number, RegExp]> = [
    [
      'an unclosed block',
      '.:53 {\n    errors\n    health {\n       lameduck 5s\n}\n',
      1,
      /unbalanced braces: the "\{" on line 1 is never closed/,
    ],
    ['a "}" that closes nothing', '.:53 {\n    errors\n}\n}\n', 4, /unbalanced braces: this "\}" closes no block/],
    ['a block without a zone', '{\n    errors\n}\n', 1, /missing zone/],
    ['a key without a zone', ':53 {\n    errors\n}\n', 1, /invalid server key ":53"/],
    ['a plugin outside any block', 'errors\n', 1, /expected a server block such as "\.:53 \{", got "errors"/],
    [
      'a brace in the middle of a line',
      '.:53 {\n    cache { 30\n    }\n}\n',
      2,
      /unexpected "\{" in the middle of a line/,
    ],
    [
      'a non-numeric ttl',
      '.:53 {\n    kubernetes cluster.local {\n       ttl thirty\n    }\n}\n',
      3,
      /ttl: seconds must be a whole number, got "thirty"/,
    ],
    [
      'a bad pods mode',
      '.:53 {\n    kubernetes cluster.local {\n       pods open\n    }\n}\n',
      3,
      /pods must be disabled, insecure or verified, got "open"/,
    ],
    [
      'an unterminated quote',
      '.:53 {\n    template IN A {\n       answer "x 60 IN A 1.2.3.4\n    }\n}\n',
      3,
      /unterminated quoted string/,
    ],
    ['keys with different ports', 'a.org:53 b.org:54 {\n    errors\n}\n', 1, /mix schemes or ports/],
    ['arguments to errors', '.:53 {\n    errors stdout\n}\n', 2, /errors takes no arguments, got "stdout"/],
    ['forward without arguments', '.:53 {\n    forward\n}\n', 2, /forward needs a zone/],
  ];
  test.each(errorCases)('%s is an error with its line number', (_name, text, line, message) => {
    const { errors } = parseCorefile(text);
    expect(errors).toEqual(expect.arrayContaining([{ line, message: expect.stringMatching(message) }]));
  });

  test('an empty Corefile is an error', () => {
    expect(parseCorefile('# nothing\n').errors).toEqual([{ line: 1, message: 'the Corefile has no server block' }]);
  });
});

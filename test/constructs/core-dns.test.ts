import { Chart, Testing } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { ClusterChart } from '../../constructs/cluster-chart';
import { ClusterNetwork } from '../../constructs/cluster-network';
import { CoreDns, CoreDnsProps } from '../../constructs/core-dns';
import { kubeadmCorefile } from '../../src/model/corefile/model';
import { parseCorefile } from '../../src/model/corefile/parse';
import { ADDONS_STYLE } from '../../src/model/corefile/render';
import { checkCluster } from '../../src/model/load';
import { issueLines, thrown } from '../support/errors';
import { Allowance, expectFidelity } from '../support/fidelity';
import { tempDirs } from '../support/temp';
import { findObject, Manifest, reference, synthValid } from '../support/k8s';
import { netstrap } from '../support/lab';

const LAYOUT = { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' };
const KUBEADM_COREFILE = fs.readFileSync(reference('coredns', 'kubeadm-k8s-1.27-1.30.Corefile'), 'utf8');

/** cluster/addons/dns/coredns/coredns.yaml.sed with the values kube-up and kubeadm use filled in. */
function addonsManifest(): Manifest[] {
  const text = fs
    .readFileSync(reference('coredns', 'kubernetes-addons.coredns.yaml.sed.k8s-1.27-1.28.yaml'), 'utf8')
    .split('$DNS_DOMAIN')
    .join('cluster.local')
    .split('$DNS_SERVER_IP')
    .join('10.96.0.10')
    .split('$DNS_MEMORY_LIMIT')
    .join('170Mi');
  return (loadAll(text, undefined, { schema: CORE_SCHEMA }) as Manifest[]).filter((o) => o !== null);
}

const SA = 'ServiceAccount kube-system/coredns';
const CR = 'ClusterRole system:coredns';
const CRB = 'ClusterRoleBinding system:coredns';
const CM = 'ConfigMap kube-system/coredns';
const DEPLOY = 'Deployment kube-system/coredns';
const SVC = 'Service kube-system/kube-dns';
const NO_ADDON_LABELS =
  'kubeadm puts no addon-manager, bootstrapping or cluster-service labels on this object (manifests.go)';

/**
 * Where the kubeadm objects (what CoreDns reproduces) differ from the cluster/addons manifest; the reasons come from
 * reference/coredns/kubeadm-coredns-objects.md. Each difference's actual value is pinned in the test below.
 */
const ALLOW: Allowance[] = [
  { object: SA, path: 'metadata.labels', reason: NO_ADDON_LABELS },
  { object: CR, path: 'metadata.labels', reason: NO_ADDON_LABELS },
  { object: CRB, path: 'metadata.labels', reason: NO_ADDON_LABELS },
  { object: CRB, path: 'metadata.annotations', reason: 'kubeadm sets no rbac autoupdate annotation on the binding' },
  { object: CM, path: 'metadata.labels', reason: NO_ADDON_LABELS },
  {
    object: CM,
    path: 'data.Corefile',
    reason: 'kubeadm indents nested Corefile blocks by 3 spaces, addons by 4; the same model (checked below)',
  },
  { object: DEPLOY, path: 'metadata.labels', reason: 'kubeadm labels the Deployment with k8s-app: kube-dns only' },
  {
    object: DEPLOY,
    path: 'spec.replicas',
    reason: 'kubeadm sets replicas (2 on init); addons leave them to the DNS autoscaler',
  },
  {
    object: DEPLOY,
    path: 'spec.template.spec.securityContext',
    reason: 'the RuntimeDefault seccomp profile is in the addons manifest only',
  },
  {
    object: DEPLOY,
    path: 'spec.template.spec.tolerations[1]',
    reason: 'kubeadm also tolerates the control-plane taint, so DNS runs before workers join',
  },
  { object: SVC, path: 'metadata.labels["addonmanager.kubernetes.io/mode"]', reason: 'kubeadm has no addon manager' },
  {
    object: SVC,
    path: 'spec.ports',
    reason: 'kubeadm writes targetPort (53, 53, 9153), equal to the ports; addons leave it to default to port',
  },
];

/** Synthesizes a CoreDns under a ClusterNetwork with `layout`, or with none when `layout` is null. */
function synth(props: CoreDnsProps = {}, layout: object | null = LAYOUT): Manifest[] {
  const chart = new Chart(Testing.app(), 'test');
  if (layout) new ClusterNetwork(chart, 'network', layout as typeof LAYOUT);
  new CoreDns(chart, 'dns', props);
  return synthValid(chart);
}

const corefileOf = (objects: Manifest[]) => findObject(objects, 'ConfigMap', 'coredns').data.Corefile as string;

describe('CoreDns', () => {
  test('default output equals the cluster/addons manifest up to the kubeadm differences (allow-list)', () => {
    const objects = synth();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/coredns',
      'ClusterRole/system:coredns',
      'ClusterRoleBinding/system:coredns',
      'ConfigMap/coredns',
      'Deployment/coredns',
      'Service/kube-dns',
    ]);
    const report = expectFidelity(objects, addonsManifest(), ALLOW);
    // What each allowed difference is on our side: exactly the kubeadm v1.27-v1.30 values, nothing else.
    const ours = Object.fromEntries(report.allowed.map((d) => [`${d.object} ${d.path}`, d.actual]));
    expect(ours).toEqual({
      [`${SA} metadata.labels`]: undefined,
      [`${CR} metadata.labels`]: undefined,
      [`${CRB} metadata.labels`]: undefined,
      [`${CRB} metadata.annotations`]: undefined,
      [`${CM} metadata.labels`]: undefined,
      [`${CM} data.Corefile`]: KUBEADM_COREFILE,
      [`${DEPLOY} metadata.labels["addonmanager.kubernetes.io/mode"]`]: undefined,
      [`${DEPLOY} metadata.labels["kubernetes.io/cluster-service"]`]: undefined,
      [`${DEPLOY} metadata.labels["kubernetes.io/name"]`]: undefined,
      [`${DEPLOY} spec.replicas`]: 2,
      [`${DEPLOY} spec.template.spec.securityContext`]: undefined,
      [`${DEPLOY} spec.template.spec.tolerations[1]`]: {
        key: 'node-role.kubernetes.io/control-plane',
        effect: 'NoSchedule',
      },
      [`${SVC} metadata.labels["addonmanager.kubernetes.io/mode"]`]: undefined,
      [`${SVC} spec.ports[0].targetPort`]: 53,
      [`${SVC} spec.ports[1].targetPort`]: 53,
      [`${SVC} spec.ports[2].targetPort`]: 9153,
    });
    expect(findObject(objects, 'Deployment', 'coredns').metadata).toEqual({
      name: 'coredns',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns' },
    });
  });

  test("the Corefile is byte-equal to kubeadm's, and the same model as the addons one", () => {
    const objects = synth();
    expect(corefileOf(objects)).toBe(KUBEADM_COREFILE);
    const addons = findObject(addonsManifest(), 'ConfigMap', 'coredns').data.Corefile;
    expect(parseCorefile(addons).corefile).toEqual(parseCorefile(corefileOf(objects)).corefile);
    expect(corefileOf(synth({ corefileStyle: ADDONS_STYLE }))).toBe(addons);
  });

  test('the comparison is sharp: another image and replica count are reported field by field', () => {
    expect(() => expectFidelity(synth({ version: 'v1.11.1' }), addonsManifest(), ALLOW)).toThrow(
      /containers\[0\]\.image: expected "registry\.k8s\.io\/coredns\/coredns:v1\.10\.1", got "registry\.k8s\.io\/coredns\/coredns:v1\.11\.1"/,
    );
    const objects = synth({ replicas: 3, image: 'example.org/coredns:1.11.3' });
    const deployment = findObject(objects, 'Deployment', 'coredns');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0].image).toBe('example.org/coredns:1.11.3');
  });

  test("kube-dns takes the ClusterNetwork's DNS address and the Corefile its cluster domain", () => {
    const objects = synth({}, { podCidr: '10.32.0.0/12', serviceCidr: '172.20.0.0/16', clusterDomain: 'k8s.example' });
    expect(findObject(objects, 'Service', 'kube-dns').spec.clusterIP).toBe('172.20.0.10');
    expect(corefileOf(objects)).toContain('    kubernetes k8s.example in-addr.arpa ip6.arpa {\n');
    const pinned = synth({}, { ...LAYOUT, dnsServiceIp: '10.96.0.53' });
    expect(findObject(pinned, 'Service', 'kube-dns').spec.clusterIP).toBe('10.96.0.53');
  });

  test('without a ClusterNetwork, dnsServiceIp and clusterDomain come from the props', () => {
    const objects = synth({ dnsServiceIp: '10.0.0.10', clusterDomain: 'corp.internal' }, null);
    expect(findObject(objects, 'Service', 'kube-dns').spec.clusterIP).toBe('10.0.0.10');
    expect(corefileOf(objects)).toContain('kubernetes corp.internal in-addr.arpa');
    expect(thrown(() => synth({}, null)).message).toBe(
      'CoreDns "test/dns": dnsServiceIp: is required when there is no ClusterNetwork in scope',
    );
  });

  test('upstreams, hosts entries and stub domains reach the Corefile', () => {
    const objects = synth({
      upstreams: ['1.1.1.1', 'tls://9.9.9.9'],
      hosts: [
        { ip: '192.168.1.11', names: ['node01'] },
        { ip: '192.168.2.11', names: ['node02', 'node02.lan'] },
      ],
      stubDomains: { 'consul.local': ['10.150.0.1'] },
    });
    const parsed = parseCorefile(corefileOf(objects));
    expect(parsed.errors).toEqual([]);
    expect(parsed.corefile).toEqual(
      kubeadmCorefile({
        upstreams: ['1.1.1.1', 'tls://9.9.9.9'],
        hosts: [
          { ip: '192.168.1.11', names: ['node01'] },
          { ip: '192.168.2.11', names: ['node02', 'node02.lan'] },
        ],
        stubDomains: { 'consul.local': ['10.150.0.1'] },
      }),
    );
    expect(corefileOf(objects)).toContain(
      '    hosts {\n       192.168.1.11 node01\n       192.168.2.11 node02 node02.lan\n       fallthrough\n    }\n',
    );
    expect(corefileOf(objects)).toContain('consul.local:53 {\n    errors\n    cache 30\n    forward . 10.150.0.1\n}\n');
  });

  test('a Corefile given as text is validated and shipped as written (comments kept)', () => {
    const text = `# our DNS\n${KUBEADM_COREFILE.replace('    cache 30\n', '    cache 30 # short\n    log\n')}`;
    expect(corefileOf(synth({ corefile: text }))).toBe(text);
    const model = kubeadmCorefile({ upstreams: ['8.8.8.8'] });
    expect(corefileOf(synth({ corefile: model }))).toContain('    forward . 8.8.8.8 {\n');
  });

  test('an unknown plugin or broken Corefile text is an error naming the line and value', () => {
    const unknown = KUBEADM_COREFILE.replace('    loop\n', '    loop\n    kubernets cluster.local\n');
    expect(thrown(() => synth({ corefile: unknown })).message).toBe(
      'CoreDns "test/dns": corefile: line 18: unknown plugin "kubernets"; did you mean "kubernetes"?',
    );
    const broken = KUBEADM_COREFILE.replace('    }\n    ready\n', '    ready\n');
    expect(thrown(() => synth({ corefile: broken })).message).toBe(
      'CoreDns "test/dns": corefile: line 1: unbalanced braces: the "{" on line 1 is never closed (probably the "{" on line 3 is missing its "}": the "}" on line 19 is indented for an outer block)',
    );
    const model = kubeadmCorefile({ clusterDomain: 'cluster.lcoal' });
    expect(thrown(() => synth({ corefile: model })).lines()).toEqual([
      'CoreDns "test/dns": corefile.servers[0].plugins[3].zones[0]: kubernetes zone "cluster.lcoal" is not the cluster domain "cluster.local" nor a reverse zone (in-addr.arpa, ip6.arpa): Service names would not resolve',
    ]);
  });

  test('a Corefile the Deployment cannot run is refused: port 53, health :8080 and ready :8181 are what the probes use', () => {
    const text = '.:5353 {\n    health :8081\n    forward . 8.8.8.8\n}\n';
    expect(thrown(() => synth({ corefile: text })).lines()).toEqual([
      'CoreDns "test/dns": corefile: no server block listens on port 53 (found 5353): the kube-dns Service sends queries to port 53',
      'CoreDns "test/dns": corefile: health listens on port 8081, but the liveness probe asks :8080/health',
      'CoreDns "test/dns": corefile: has no ready plugin: the readiness probe (GET :8181/ready) would fail',
    ]);
    const model = kubeadmCorefile();
    const withoutHealth = {
      servers: [{ ...model.servers[0], plugins: model.servers[0].plugins.filter((p) => p.plugin !== 'health') }],
    };
    expect(thrown(() => synth({ corefile: withoutHealth })).message).toBe(
      'CoreDns "test/dns": corefile: has no health plugin: the liveness probe (GET :8080/health) would fail',
    );
  });

  test('bad props are errors naming field and value', () => {
    const error = thrown(() =>
      synth({
        version: 'v1.10.1; rm -rf /',
        replicas: 0,
        upstreams: ['8.8.8.888'],
        hosts: [
          { ip: '192.168.1.300', names: ['node01'] },
          { ip: '10.0.0.1', names: ['bad name'] },
        ],
        stubDomains: { 'cluster.local': ['10.0.0.53'], 'consul.local': ['consul'] },
      }),
    );
    expect(error.lines()).toEqual([
      'CoreDns "test/dns": version: version "v1.10.1; rm -rf /" is not an image tag',
      'CoreDns "test/dns": replicas: replicas 0 must be a whole number of at least 1',
      'CoreDns "test/dns": upstreams[0]: invalid upstream "8.8.8.888": invalid IPv4 address "8.8.8.888": 888 is not an IPv4 octet (0-255, no leading zeros)',
      'CoreDns "test/dns": hosts[0].ip: invalid IPv4 address "192.168.1.300": 300 is not an IPv4 octet (0-255, no leading zeros)',
      'CoreDns "test/dns": hosts[1].names[0]: invalid host name "bad name"',
      'CoreDns "test/dns": stubDomains["cluster.local"]: stub domain "cluster.local" is the cluster domain: Service names would no longer resolve',
      'CoreDns "test/dns": stubDomains["consul.local"][0]: invalid upstream "consul": invalid IPv4 address "consul": expected an IPv4 address such as 10.0.0.1',
    ]);
    expect(thrown(() => synth({ corefile: KUBEADM_COREFILE, upstreams: ['8.8.8.8'] })).message).toBe(
      'CoreDns "test/dns": upstreams: cannot be combined with corefile: write it into the Corefile (forward)',
    );
  });

  test("a DNS address outside serviceCidr, or other than the plan's, is refused", () => {
    expect(() => synth({}, { ...LAYOUT, dnsServiceIp: '10.244.0.10' })).toThrow(
      'ClusterNetwork "test/network": dnsServiceIp: "10.244.0.10" is outside serviceCidr 10.96.0.0/12: the DNS Service needs a cluster IP from that range',
    );
    expect(thrown(() => synth({ dnsServiceIp: '10.96.0.11' })).message).toBe(
      'CoreDns "test/dns": dnsServiceIp: dnsServiceIp "10.96.0.11" differs from the ClusterNetwork\'s 10.96.0.10: kubelets send pods\' queries to that address',
    );
    expect(thrown(() => synth({ clusterDomain: 'other.local' })).message).toBe(
      'CoreDns "test/dns": clusterDomain: clusterDomain "other.local" differs from the ClusterNetwork\'s "cluster.local"',
    );
  });
});

describe('cluster file dns', () => {
  const tempDir = tempDirs();
  const base = { name: 'c', network: { ...LAYOUT } };
  const check = (dns: object, network: object = LAYOUT) => checkCluster({ ...base, network, dns }, 'c.yaml');
  const problems = (dns: object, network: object = LAYOUT) => issueLines(() => check(dns, network));

  test('dns options reach the synthesized CoreDNS objects', () => {
    const model = check({
      version: 'v1.11.1',
      replicas: 3,
      upstreams: ['10.0.0.53'],
      hosts: [{ ip: '192.168.1.11', names: ['node01'] }],
    });
    const chart = new ClusterChart(Testing.app(), 'c', { model });
    const objects = synthValid(chart);
    const deployment = findObject(objects, 'Deployment', 'coredns');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0].image).toBe('registry.k8s.io/coredns/coredns:v1.11.1');
    expect(corefileOf(objects)).toContain('forward . 10.0.0.53 {');
    expect(corefileOf(objects)).toContain('192.168.1.11 node01');
    expect(findObject(objects, 'Service', 'kube-dns').spec.clusterIP).toBe('10.96.0.10');
  });

  test('provider none synthesizes no CoreDNS', () => {
    const objects = synthValid(new ClusterChart(Testing.app(), 'c', { model: check({ provider: 'none' }) }));
    expect(
      objects.filter((o) => o.metadata.namespace === 'kube-system' && /coredns|kube-dns/.test(o.metadata.name)),
    ).toEqual([]);
  });

  test('Corefile text problems are reported under dns.corefile with their line', () => {
    expect(problems({ corefile: '.:53 {\n    errors\n    kubernets cluster.local\n    forward .\n}\n' })).toEqual([
      'c.yaml: dns.corefile: line 3: unknown plugin "kubernets"; did you mean "kubernetes"?',
      'c.yaml: dns.corefile: line 4: forward "." has no upstream: give at least one address or /etc/resolv.conf',
      'c.yaml: dns.corefile: has no health plugin: the liveness probe (GET :8080/health) would fail',
      'c.yaml: dns.corefile: has no ready plugin: the readiness probe (GET :8181/ready) would fail',
    ]);
    expect(problems({ corefile: '.:53 {\n    errors\n' })).toEqual([
      'c.yaml: dns.corefile: line 1: unbalanced braces: the "{" on line 1 is never closed',
    ]);
    expect(
      problems(
        { corefile: '.:53 {\n    health\n    ready\n    kubernetes cluster.local\n}\n' },
        { ...LAYOUT, clusterDomain: 'corp.internal' },
      ),
    ).toEqual([
      'c.yaml: dns.corefile: line 4: kubernetes zone "cluster.local" is not the cluster domain "corp.internal" nor a reverse zone (in-addr.arpa, ip6.arpa): Service names would not resolve',
    ]);
  });

  test('invalid hosts IPs, upstreams and stub domains name the field and value', () => {
    expect(
      problems({
        hosts: [{ ip: '10.0.0.256', names: ['a'] }],
        upstreams: ['dns.google'],
        stubDomains: { 'a..b': ['10.0.0.1'] },
      }),
    ).toEqual([
      'c.yaml: dns.upstreams[0]: invalid upstream "dns.google": invalid IPv4 address "dns.google": expected an IPv4 address such as 10.0.0.1',
      'c.yaml: dns.hosts[0].ip: invalid IPv4 address "10.0.0.256": 256 is not an IPv4 octet (0-255, no leading zeros)',
      'c.yaml: dns.stubDomains["a..b"]: invalid zone "a..b": expected "." or a domain such as example.org',
    ]);
  });

  test('netstrap synth of a cluster file with a broken Corefile exits 2, names file, field and line, writes nothing', () => {
    const dir = tempDir('netstrap-dns-');
    const file = path.join(dir, 'dns.yaml');
    fs.writeFileSync(
      file,
      [
        'name: dns',
        'network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }',
        'dns:',
        '  corefile: |',
        '    .:53 {',
        '        errors',
        '        cache thirty',
        '        forward . 8.8.8.8 {',
        '    }',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'out');
    const run = netstrap(['synth', file, '-o', out]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `${file}:4: dns.corefile: line 1: unbalanced braces: the "{" on line 1 is never closed (probably the "{" on line 4 is missing its "}": the "}" on line 5 is indented for an outer block)\n`,
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a DNS address outside serviceCidr is refused in the cluster file', () => {
    expect(problems({}, { ...LAYOUT, dnsServiceIp: '192.168.0.10' })).toEqual([
      'c.yaml: network.dnsServiceIp: "192.168.0.10" is outside serviceCidr 10.96.0.0/12: the DNS Service needs a cluster IP from that range',
    ]);
  });
});

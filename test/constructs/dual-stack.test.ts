/**
 * A dual-stack cluster on the Kubernetes side (issue 21): Flannel's net-conf.json (EnableIPv6, IPv6Network), the
 * kube-dns Service (RequireDualStack, both families), kube-proxy's clusterCIDR (both ranges), the bridge conflist
 * (one host-local range set per family, a default route for each), Weave refused; every object passes the OpenAPI
 * schema (test/support/k8s.ts).
 */
import { Testing } from 'cdk8s';
import { load as parseYaml } from 'js-yaml';
import { ClusterChart } from '../../constructs/cluster-chart';
import { parseClusterText } from '../../src/model/load';
import { thrown } from '../support/errors';
import { type Manifest, synthValid } from '../support/k8s';

const NETWORK =
  'network: { podCidr: [10.244.0.0/16, fd00:10:244::/56], serviceCidr: [10.96.0.0/12, fd00:10:96::/108] }\n';
const KUBE_PROXY = 'kubeProxy: { mode: iptables, controlPlaneEndpoint: "https://192.168.1.11:6443" }\n';
const synth = (text: string): Manifest[] => {
  const model = parseClusterText(text, 'c.yaml');
  return synthValid(new ClusterChart(Testing.app(), 'c', { model, quiet: true }));
};
const find = (objects: Manifest[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name)!;

describe('a dual-stack cluster synthesizes', () => {
  test('Flannel with EnableIPv6 and IPv6Network; CoreDNS on both families; kube-proxy with both ranges', () => {
    const objects = synth(`name: c\n${NETWORK}cni: { plugin: flannel }\n${KUBE_PROXY}`);
    const netConf = JSON.parse(find(objects, 'ConfigMap', 'kube-flannel-cfg').data['net-conf.json']);
    expect(netConf).toEqual({
      Network: '10.244.0.0/16',
      EnableIPv6: true,
      IPv6Network: 'fd00:10:244::/56',
      EnableNFTables: false,
      Backend: { Type: 'vxlan' },
    });
    const dns = find(objects, 'Service', 'kube-dns');
    expect(dns.spec).toMatchObject({
      clusterIP: '10.96.0.10',
      ipFamilyPolicy: 'RequireDualStack',
      ipFamilies: ['IPv4', 'IPv6'],
    });
    const proxy = parseYaml(find(objects, 'ConfigMap', 'kube-proxy').data['config.conf']) as Record<string, unknown>;
    expect(proxy.clusterCIDR).toBe('10.244.0.0/16,fd00:10:244::/56');
  });

  test('an IPv4-only cluster: no IPv6 keys anywhere (net-conf.json, kube-dns, clusterCIDR as before)', () => {
    const objects = synth(
      `name: c\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\ncni: { plugin: flannel }\n${KUBE_PROXY}`,
    );
    const netConf = JSON.parse(find(objects, 'ConfigMap', 'kube-flannel-cfg').data['net-conf.json']);
    expect(Object.keys(netConf)).toEqual(['Network', 'EnableNFTables', 'Backend']);
    expect(find(objects, 'Service', 'kube-dns').spec.ipFamilyPolicy).toBeUndefined();
    const proxy = parseYaml(find(objects, 'ConfigMap', 'kube-proxy').data['config.conf']) as Record<string, unknown>;
    expect(proxy.clusterCIDR).toBe('10.244.0.0/16');
  });

  test('the bridge conflist: host-local with one range set per family, and a default route for each', () => {
    const objects = synth(
      `name: c\n${NETWORK}cni: { plugin: bridge, installer: true }\n` +
        'nodes:\n  - { name: n1, ssh: { host: 10.250.0.1 } }\n  - { name: n2, ssh: { host: 10.250.0.2 } }\n',
    );
    const conflists = objects
      .filter((o) => o.kind === 'ConfigMap')
      .flatMap((o) => Object.values(o.data ?? {}) as string[])
      .filter((text) => text.includes('host-local'))
      .map((text) => JSON.parse(text));
    expect(conflists.length).toBeGreaterThan(0);
    const ipams = conflists.map((list) => list.plugins[0].ipam);
    expect(ipams).toEqual(
      expect.arrayContaining([
        {
          type: 'host-local',
          ranges: [[{ subnet: '10.244.0.0/24' }], [{ subnet: 'fd00:10:244::/64' }]],
          routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
        },
        {
          type: 'host-local',
          ranges: [[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00:10:244:1::/64' }]],
          routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
        },
      ]),
    );
  });

  test('Weave Net with a dual-stack podCidr is an error saying Weave has no IPv6', () => {
    expect(thrown(() => parseClusterText(`name: c\n${NETWORK}cni: { plugin: weave }\n`, 'c.yaml')).lines()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^c\.yaml:3: cni\.weave: Weave Net has no IPv6, but network\.podCidr is dual-stack/),
      ]),
    );
  });
});

describe('Services: ipFamilyPolicy, ipFamilies, clusterIPs', () => {
  const svc = (fields: string) => `  - { name: web, selector: { app: web }, ports: [{ port: 80 }], ${fields} }\n`;
  const dualFile = (fields: string) =>
    `name: c\n${NETWORK}cni: { plugin: flannel }\nkubernetes:\n  services:\n${svc(fields)}`;
  const v4File = (fields: string) =>
    `name: c\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\ncni: { plugin: flannel }\nkubernetes:\n  services:\n${svc(fields)}`;
  const refusals = (text: string) => thrown(() => parseClusterText(text, 'c.yaml')).lines();

  test('a dual-stack Service synthesizes its policy, families and both cluster IPs, and passes the OpenAPI schema', () => {
    const objects = synth(
      dualFile(
        'ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv4, IPv6], clusterIP: 10.96.0.20, clusterIPs: [10.96.0.20, "fd00:10:96::20"]',
      ),
    );
    expect(find(objects, 'Service', 'web').spec).toMatchObject({
      clusterIP: '10.96.0.20',
      clusterIPs: ['10.96.0.20', 'fd00:10:96::20'],
      ipFamilyPolicy: 'RequireDualStack',
      ipFamilies: ['IPv4', 'IPv6'],
    });
  });

  test('an IPv6-only Service in a dual-stack cluster: its cluster IP is checked against the IPv6 range', () => {
    expect(() => synth(dualFile('ipFamilies: [IPv6], clusterIP: "fd00:10:96::30"'))).not.toThrow();
    expect(refusals(dualFile('ipFamilies: [IPv6], clusterIP: "fd00:10:97::30"'))).toEqual([
      'c.yaml:6: kubernetes.services[0].clusterIP: clusterIP "fd00:10:97::30" is outside serviceCidr fd00:10:96::/108',
    ]);
  });

  test.each([
    [
      'two clusterIPs without a dual-stack policy',
      'clusterIPs: [10.96.0.20, "fd00:10:96::20"]',
      /services\[0\]\.ipFamilyPolicy: is unset \(SingleStack\) but clusterIPs holds two entries/,
    ],
    [
      'SingleStack with two families',
      'ipFamilyPolicy: SingleStack, ipFamilies: [IPv4, IPv6]',
      /services\[0\]\.ipFamilyPolicy: is "SingleStack" but ipFamilies holds two entries/,
    ],
    [
      'the same family twice',
      'ipFamilyPolicy: PreferDualStack, ipFamilies: [IPv4, IPv4]',
      /services\[0\]\.ipFamilies\[1\]: "IPv4" is listed twice/,
    ],
    [
      'two addresses of one family',
      'ipFamilyPolicy: RequireDualStack, clusterIPs: [10.96.0.20, 10.96.0.21]',
      /services\[0\]\.clusterIPs\[1\]: "10\.96\.0\.21" is of the same family/,
    ],
    [
      'clusterIPs[0] other than clusterIP',
      'clusterIP: 10.96.0.20, clusterIPs: [10.96.0.21]',
      /services\[0\]\.clusterIPs\[0\]: "10\.96\.0\.21" must equal clusterIP "10\.96\.0\.20"/,
    ],
    [
      'an address of the other family than ipFamilies says',
      'ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv6, IPv4], clusterIPs: [10.96.0.20, "fd00:10:96::20"]',
      /services\[0\]\.clusterIPs\[0\]: "10\.96\.0\.20" is IPv4 but ipFamilies\[0\] is "IPv6"/,
    ],
    [
      '"None" with an address',
      'ipFamilyPolicy: RequireDualStack, clusterIPs: [None, 10.96.0.20]',
      /"None" \(headless\) must be the only entry/,
    ],
  ])('refuses %s', (_what, fields, message) => {
    expect(refusals(dualFile(fields))).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test('an IPv4-only cluster refuses RequireDualStack and IPv6, takes PreferDualStack (the API server drops IPv6)', () => {
    expect(refusals(v4File('ipFamilyPolicy: RequireDualStack'))).toEqual([
      'c.yaml:6: kubernetes.services[0].ipFamilyPolicy: RequireDualStack needs a dual-stack serviceCidr, and network.serviceCidr is 10.96.0.0/12 only',
    ]);
    expect(refusals(v4File('ipFamilies: [IPv6]'))).toEqual([
      'c.yaml:6: kubernetes.services[0].ipFamilies[0]: "IPv6": network.serviceCidr has no IPv6 range',
    ]);
    expect(() => synth(v4File('ipFamilyPolicy: PreferDualStack, ipFamilies: [IPv4, IPv6]'))).not.toThrow();
  });
});

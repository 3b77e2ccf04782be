import { spawnSync } from 'child_process';
import { Chart, Testing } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { ClusterChart } from '../../constructs/cluster-chart';
import { CniConfig, CniIpam, CniPlugin } from '../../constructs/cni-config';
import { CniInstaller } from '../../constructs/cni-installer';
import {
  clusterCniFiles,
  networkPolicyWarnings,
  nodeCniList,
  renderCniJson,
  renderConflist,
} from '../../src/model/cni';
import { printChartWarnings } from '../../src/app';
import { parseClusterText } from '../../src/model/load';
import { fieldIssues, thrown } from '../support/errors';
import { findObject, Manifest, reference, synthValid } from '../support/k8s';
import { tempDirs } from '../support/temp';

function referenceText(file: string): string {
  return fs.readFileSync(reference('cni', file), 'utf8');
}

/** Same values AND same key order as the reference, and the rendered text is its 2-space re-serialisation. */
function expectReproduces(rendered: string, file: string): void {
  const upstream = JSON.parse(referenceText(file));
  expect(JSON.parse(rendered)).toEqual(upstream);
  expect(JSON.stringify(JSON.parse(rendered), null, 2)).toBe(JSON.stringify(upstream, null, 2));
  expect(rendered).toBe(`${JSON.stringify(upstream, null, 2)}\n`);
}

/** Every strict JSON reference, built with the typed API. */
const TYPED: Record<string, () => string> = {
  'cni-spec-v1.3.0.example-dbnet.strict.conflist.json': () =>
    new CniConfig({
      cniVersion: '1.1.0',
      cniVersions: ['0.3.1', '0.4.0', '1.0.0', '1.1.0'],
      name: 'dbnet',
      plugins: [
        // keyA is a plugin-specific key netstrap does not model: custom() keeps it in place.
        CniPlugin.custom('bridge', {
          bridge: 'cni0',
          keyA: ['some more', 'plugin specific', 'configuration'],
          ipam: CniIpam.hostLocal({ subnet: '10.1.0.0/16', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0' }] }),
          dns: { nameservers: ['10.1.0.1'] },
        }),
        CniPlugin.tuning({ capabilities: { mac: true }, sysctl: { 'net.core.somaxconn': '500' } }),
        CniPlugin.portmap(),
      ],
    }).toJson(),
  'cni-readme-v1.3.0.10-mynet.conf.json': () =>
    new CniConfig({
      format: 'conf',
      cniVersion: '0.2.0',
      name: 'mynet',
      plugins: [
        CniPlugin.bridge({
          bridge: 'cni0',
          isGateway: true,
          ipMasq: true,
          ipam: CniIpam.hostLocal({ subnet: '10.22.0.0/16', routes: [{ dst: '0.0.0.0/0' }] }),
        }),
      ],
    }).toJson(),
  'cni-readme-v1.3.0.99-loopback.conf.json': () =>
    new CniConfig({ format: 'conf', cniVersion: '0.2.0', name: 'lo', plugins: [CniPlugin.loopback()] }).toJson(),
  'cnidev-bridge.example-host-local.conf.json': () =>
    new CniConfig({
      format: 'conf',
      name: 'mynet',
      plugins: [
        CniPlugin.bridge({
          bridge: 'mynet0',
          isDefaultGateway: true,
          forceAddress: false,
          ipMasq: true,
          hairpinMode: true,
          ipam: CniIpam.hostLocal({ subnet: '10.10.0.0/16' }),
        }),
      ],
    }).toJson(),
  'cnidev-host-local.example-ranges.ipam.json': () => {
    const ipam = CniIpam.hostLocal({
      ranges: [
        [
          { subnet: '10.10.0.0/16', rangeStart: '10.10.1.20', rangeEnd: '10.10.3.50', gateway: '10.10.0.254' },
          { subnet: '172.16.5.0/24' },
        ],
        [{ subnet: '3ffe:ffff:0:01ff::/64', rangeStart: '3ffe:ffff:0:01ff::0010', rangeEnd: '3ffe:ffff:0:01ff::0020' }],
      ],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.10.5.1' }, { dst: '3ffe:ffff:0:01ff::1/64' }],
      dataDir: '/run/my-orchestrator/container-ipam-state',
    });
    // The dual-stack example is valid as a whole: IPv6 ranges and a route destination with host bits included.
    expect(CniPlugin.bridge({ ipam }).validate()).toEqual([]);
    return renderCniJson({ ipam });
  },
  'cnidev-portmap.example-iptables-options.json': () =>
    CniPlugin.portmap({
      backend: 'iptables',
      capabilities: { portMappings: true },
      snat: true,
      markMasqBit: 13,
      externalSetMarkChain: 'CNI-HOSTPORT-SETMARK',
      conditionsV4: ['!', '-d', '192.0.2.0/24'],
      conditionsV6: ['!', '-d', 'fc00::/7'],
    }).toJson(),
  'cnidev-portmap.example-ptp-portmap.strict.conflist.json': () =>
    new CniConfig({
      cniVersion: '0.3.1',
      name: 'mynet',
      plugins: [
        CniPlugin.ptp({
          ipMasq: true,
          ipam: CniIpam.hostLocal({ subnet: '172.16.30.0/24', routes: [{ dst: '0.0.0.0/0' }] }),
        }),
        CniPlugin.portmap(),
      ],
    }).toJson(),
  'plugins-v1.9.1.integration.basic-bridge.conf.json': () =>
    new CniConfig({
      format: 'conf',
      cniVersion: '0.3.1',
      name: 'network-chain-test',
      plugins: [
        CniPlugin.bridge({
          bridge: 'test-bridge-0',
          isDefaultGateway: true,
          ipam: CniIpam.hostLocal({ subnet: '10.11.2.0/24', dataDir: '/tmp/foo' }),
        }),
      ],
    }).toJson(),
  'plugins-v1.9.1.integration.chained-bridge-bandwidth.conflist.json': () =>
    new CniConfig({
      cniVersion: '0.3.1',
      name: 'network-chain-test',
      plugins: [
        CniPlugin.bridge({
          bridge: 'test-bridge-1',
          isDefaultGateway: true,
          ipam: CniIpam.hostLocal({ subnet: '10.12.2.0/24', dataDir: '/tmp/bar' }),
        }),
        CniPlugin.bandwidth({
          runtimeConfig: {
            bandWidth: { ingressRate: 8000, ingressBurst: 16000, egressRate: 8000, egressBurst: 16000 },
          },
        }),
      ],
    }).toJson(),
  'weave-v2.8.1.10-weave.conflist.json': () =>
    new CniConfig({
      cniVersion: '0.3.0',
      name: 'weave',
      plugins: [CniPlugin.weaveNet({ hairpinMode: true }), CniPlugin.portmap({ snat: true })],
    }).toJson(),
};

const STRICT_REFERENCES = fs
  .readdirSync(reference('cni'))
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('CniConfig rendering reproduces every strict CNI reference', () => {
  test('every strict *.json reference has a typed build here', () => {
    expect(STRICT_REFERENCES.length).toBe(10);
    expect(Object.keys(TYPED).sort()).toEqual(STRICT_REFERENCES);
  });

  test.each(STRICT_REFERENCES)('typed API → %s', (file) => {
    expectReproduces(TYPED[file](), file);
  });

  test.each(STRICT_REFERENCES.filter((f) => /\.conf(list)?\.json$/.test(f)))('parse and re-render %s', (file) => {
    const config = CniConfig.fromJson(referenceText(file), file);
    expect(config.format).toBe(file.includes('.conflist.') ? 'conflist' : 'conf');
    expectReproduces(config.toJson(), file);
  });

  test('the bare plugin and ipam objects re-render exactly through CniPlugin.fromObject', () => {
    const portmap = JSON.parse(referenceText('cnidev-portmap.example-iptables-options.json'));
    expectReproduces(CniPlugin.fromObject(portmap).toJson(), 'cnidev-portmap.example-iptables-options.json');
    expect(CniPlugin.fromObject(portmap).validate()).toEqual([]);
  });

  test("the JSONC examples are not JSON and are refused with the parser's reason", () => {
    for (const file of [
      'cni-spec-v1.3.0.example-dbnet.conflist.jsonc',
      'cnidev-portmap.example-ptp-portmap.conflist.jsonc',
    ]) {
      const lines = fieldIssues(() => CniConfig.fromJson(referenceText(file), file));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\(root\): not JSON: /);
    }
  });

  test('fileName defaults to 10-<name>.conflist / .conf; indentation is selectable', () => {
    const list = new CniConfig({ name: 'pods', plugins: [CniPlugin.loopback()] });
    expect(list.fileName).toBe('10-pods.conflist');
    expect(list.cniVersion).toBe('1.0.0');
    expect(list.toJson(4)).toBe(
      `${JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [{ type: 'loopback' }] }, null, 4)}\n`,
    );
    expect(new CniConfig({ name: 'lo', format: 'conf', plugins: [CniPlugin.loopback()] }).fileName).toBe('10-lo.conf');
    expect(renderConflist(list.toSpec())).toBe(list.toJson());
  });
});

describe('CniConfig validation', () => {
  const bridge = (ipam: Parameters<typeof CniIpam.hostLocal>[0]) =>
    CniPlugin.bridge({ bridge: 'cni0', ipam: CniIpam.hostLocal(ipam) });

  test('a subnet with host bits set names the network meant', () => {
    expect(fieldIssues(() => new CniConfig({ name: 'n', plugins: [bridge({ subnet: '10.1.0.5/16' })] }))).toEqual([
      'plugins[0].ipam.subnet: invalid CIDR "10.1.0.5/16": host bits are set; the network is 10.1.0.0/16',
    ]);
    expect(fieldIssues(() => new CniConfig({ name: 'n', plugins: [bridge({ subnet: '999.1.0.0/16' })] }))).toEqual([
      'plugins[0].ipam.subnet: invalid CIDR "999.1.0.0/16": 999 is not an IPv4 octet (0-255, no leading zeros)',
    ]);
  });

  test('gateway and range ends outside the subnet, and a reversed range', () => {
    expect(
      fieldIssues(
        () => new CniConfig({ name: 'n', plugins: [bridge({ subnet: '10.1.0.0/16', gateway: '10.2.0.1' })] }),
      ),
    ).toEqual(['plugins[0].ipam.gateway: gateway "10.2.0.1" is outside subnet "10.1.0.0/16"']);
    const ranges = [
      [{ subnet: '10.10.0.0/24', rangeStart: '10.10.0.50', rangeEnd: '10.10.0.20' }],
      [{ subnet: 'fd00::/64', rangeStart: 'fd01::10' }],
    ];
    expect(fieldIssues(() => new CniConfig({ name: 'n', plugins: [bridge({ ranges })] }))).toEqual([
      'plugins[0].ipam.ranges[0][0].rangeEnd: rangeEnd "10.10.0.20" comes before rangeStart "10.10.0.50"',
      'plugins[0].ipam.ranges[1][0].rangeStart: rangeStart "fd01::10" is outside subnet "fd00::/64"',
    ]);
  });

  test('one range set holds one family of disjoint ranges; subnets must leave room to allocate', () => {
    const ranges = [
      [{ subnet: '10.10.0.0/24' }, { subnet: 'fd00::/64' }, { subnet: '10.10.0.128/25' }],
      [{ subnet: '10.20.0.0/31' }],
    ];
    expect(fieldIssues(() => new CniConfig({ name: 'n', plugins: [bridge({ ranges })] }))).toEqual([
      'plugins[0].ipam.ranges[0][1].subnet: "fd00::/64" is IPv6 but "10.10.0.0/24" in the same range set is IPv4: put each family in its own range set',
      'plugins[0].ipam.ranges[0][2].subnet: "10.10.0.128/25" overlaps "10.10.0.0/24" in the same range set',
      'plugins[0].ipam.ranges[1][0].subnet: "10.20.0.0/31" is too small to allocate from (host-local needs /30 or larger)',
    ]);
    expect(
      fieldIssues(
        () =>
          new CniConfig({
            name: 'n',
            plugins: [bridge({ subnet: '10.1.0.0/16', ranges: [[{ subnet: '10.2.0.0/16' }]] })],
          }),
      ),
    ).toEqual(['plugins[0].ipam.ranges: give either "subnet" (one range) or "ranges", not both']);
  });

  test('a meta plugin cannot come first; an IPAM plugin is not a chain plugin; unknown types are named', () => {
    expect(
      fieldIssues(
        () => new CniConfig({ name: 'n', plugins: [CniPlugin.portmap(), bridge({ subnet: '10.1.0.0/16' })] }),
      ),
    ).toEqual([
      'plugins[0].type: "portmap" is a meta plugin: it adjusts an interface made earlier in the chain, so it cannot come first; start with an interface plugin (bridge, ptp, macvlan, ipvlan, vlan, host-device, loopback, weave-net, dummy, tap)',
    ]);
    expect(
      fieldIssues(
        () => new CniConfig({ name: 'n', plugins: [CniPlugin.custom('host-local', { subnet: '10.1.0.0/16' })] }),
      ),
    ).toEqual([
      'plugins[0].type: "host-local" is an IPAM plugin: use it as the "ipam" of an interface plugin such as bridge or ptp, not as a plugin of the chain',
    ]);
    const unknown = fieldIssues(
      () => new CniConfig({ name: 'n', plugins: [CniPlugin.custom('flannel', { delegate: {} })] }),
    );
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatch(/^plugins\[0\]\.type: unknown plugin type "flannel": expected one of bridge, ptp, /);
    // A plugin netstrap does not know can be allowed explicitly.
    expect(
      new CniConfig({
        name: 'n',
        plugins: [CniPlugin.custom('flannel')],
        validation: { extraPluginTypes: ['flannel'] },
      }).toJson(),
    ).toContain('"type": "flannel"');
  });

  test('a plugin type twice, a bad version, a bad name, a pre-chaining conflist', () => {
    expect(
      fieldIssues(
        () =>
          new CniConfig({
            name: 'n',
            plugins: [bridge({ subnet: '10.1.0.0/16' }), CniPlugin.portmap(), CniPlugin.portmap()],
          }),
      ),
    ).toEqual([
      'plugins[2].type: plugin type "portmap" appears twice (also plugins[1]): each plugin should run once per chain',
    ]);
    expect(
      fieldIssues(() => new CniConfig({ name: '-net', cniVersion: '0.5.0', plugins: [CniPlugin.loopback()] })),
    ).toEqual([
      'cniVersion: unknown CNI spec version "0.5.0": expected one of 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0',
      'name: invalid network name "-net": must start with a letter or digit, then letters, digits, "_", "." or "-"',
    ]);
    expect(
      fieldIssues(() => new CniConfig({ name: 'n', cniVersion: '0.2.0', plugins: [CniPlugin.loopback()] })),
    ).toEqual([
      'cniVersion: cniVersion "0.2.0" predates plugin chaining: a network configuration list needs 0.3.0 or later',
    ]);
    expect(fieldIssues(() => new CniConfig({ name: 'n', plugins: [] }))).toEqual([
      'plugins: needs at least one plugin, got []',
    ]);
  });

  test('plugin options are type-checked: required fields, enums, sysctls, MACs, interface names', () => {
    const lines = fieldIssues(
      () =>
        new CniConfig({
          name: 'n',
          plugins: [
            CniPlugin.vlan({ master: 'eth0.with.a.long.name', vlanId: 5000 }),
            CniPlugin.tuning({ mac: '02:42:zz:11:00:02', sysctl: { 'kernel.shmmax': '1' } }),
            CniPlugin.ptp({ ipam: CniIpam.dhcp({ daemonSocketPath: 'run/dhcp.sock' }) }),
            CniPlugin.custom('macvlan', { mode: 'bridged', master: 'eth0' }),
          ],
        }),
    );
    expect(lines).toEqual([
      'plugins[0].master: expected a Linux interface name (1-15 characters from A-Z a-z 0-9 _ . -), got "eth0.with.a.long.name"',
      'plugins[0].vlanId: expected a VLAN id 0-4094, got 5000',
      'plugins[1].mac: expected a MAC address such as 02:42:ac:11:00:02, got "02:42:zz:11:00:02"',
      'plugins[1].sysctl["kernel.shmmax"]: "kernel.shmmax" is not allowed: the tuning plugin only sets net.* sysctls',
      'plugins[2].ipam.daemonSocketPath: expected an absolute path, got "run/dhcp.sock"',
      'plugins[3].mode: expected one of bridge, private, vepa, passthru, got "bridged"',
    ]);
  });

  test('a parsed file with an unknown top-level field or a bad route is refused', () => {
    const text = JSON.stringify({
      cniVersion: '1.0.0',
      name: 'x',
      plugin: [],
      plugins: [{ type: 'ptp', ipam: { type: 'host-local', subnet: '10.1.0.0/24', routes: [{ dst: 'default' }] } }],
    });
    expect(fieldIssues(() => CniConfig.fromJson(text, 'x.conflist'))).toEqual([
      'plugin: unknown field "plugin" of a network configuration list (known: cniVersion, cniVersions, name, disableCheck, disableGC, plugins)',
      'plugins[0].ipam.routes[0].dst: invalid CIDR "default": expected address/prefix such as 10.0.0.0/16',
    ]);
    expect(thrown(() => CniConfig.fromJson('[1]', 'x.conflist')).lines()).toEqual([
      'x.conflist: (root): expected a JSON object, got [1]',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Installer

function installerChart(perNode?: Record<string, CniConfig>) {
  const chart = new Chart(Testing.app(), 'test');
  const config = new CniConfig({
    name: 'pods',
    plugins: [
      CniPlugin.bridge({ bridge: 'cni0', isGateway: true, ipam: CniIpam.hostLocal({ subnet: '10.244.0.0/24' }) }),
      CniPlugin.portmap(),
    ],
  });
  new CniInstaller(chart, 'cni', { config, perNode });
  return { config, objects: synthValid(chart) };
}

describe('CniInstaller', () => {
  const tempDir = tempDirs();

  test('a ConfigMap with the file and a host-network DaemonSet that tolerates every taint (OpenAPI-valid)', () => {
    const { config, objects } = installerChart();
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ConfigMap/kube-system/cni-installer',
      'DaemonSet/kube-system/cni-installer',
    ]);
    const cm = findObject(objects, 'ConfigMap', 'cni-installer');
    expect(cm.data).toEqual({ default: config.toJson() });
    const pod = findObject(objects, 'DaemonSet', 'cni-installer').spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.volumes).toContainEqual({
      name: 'host-cni',
      hostPath: { path: '/etc/cni/net.d', type: 'DirectoryOrCreate' },
    });
    expect(pod.initContainers[0].env).toContainEqual({ name: 'CNI_FILE', value: '10-pods.conflist' });
  });

  test('a changed configuration changes the pod template (so the DaemonSet rolls and re-copies)', () => {
    const annotation = (objects: Manifest[]) =>
      findObject(objects, 'DaemonSet', 'cni-installer').spec.template.metadata.annotations[
        'netstrap.io/cni-config-sha256'
      ];
    const other = new CniConfig({ name: 'pods', plugins: [CniPlugin.loopback()] });
    expect(annotation(installerChart().objects)).toMatch(/^[0-9a-f]{64}$/);
    expect(annotation(installerChart({ node01: other }).objects)).not.toBe(annotation(installerChart().objects));
  });

  test("the install script copies the node's own file (or the default) atomically, leaving no temporary file", () => {
    const own = new CniConfig({
      name: 'pods',
      plugins: [CniPlugin.bridge({ ipam: CniIpam.hostLocal({ subnet: '10.244.1.0/24' }) })],
    });
    const { config, objects } = installerChart({ node01: own });
    const cm = findObject(objects, 'ConfigMap', 'cni-installer');
    const init = findObject(objects, 'DaemonSet', 'cni-installer').spec.template.spec.initContainers[0];
    const run = (node: string) => {
      // The same script against temporary directories standing in for the two volume mounts.
      const dir = tempDir('cni-installer-');
      const [configDir, hostDir] = [path.join(dir, 'config'), path.join(dir, 'host')];
      fs.mkdirSync(configDir);
      fs.mkdirSync(hostDir);
      for (const [key, value] of Object.entries(cm.data as Record<string, string>))
        fs.writeFileSync(path.join(configDir, key), value);
      const script = (init.command[2] as string).replace(/\/cni-config/g, configDir).replace(/\/host-cni/g, hostDir);
      const result = spawnSync('/bin/sh', ['-c', script], {
        env: { NODE_NAME: node, CNI_FILE: config.fileName, PATH: process.env.PATH },
        encoding: 'utf8',
        timeout: 10000,
      });
      expect(result.status).toBe(0);
      const files = fs.readdirSync(hostDir);
      const content = fs.readFileSync(path.join(hostDir, config.fileName), 'utf8');
      return { files, content };
    };
    expect(run('node01')).toEqual({ files: ['10-pods.conflist'], content: own.toJson() });
    expect(run('node02')).toEqual({ files: ['10-pods.conflist'], content: config.toJson() });
  });

  test('per-node files must share the file name', () => {
    const chart = new Chart(Testing.app(), 'test');
    const config = new CniConfig({ name: 'pods', plugins: [CniPlugin.loopback()] });
    expect(
      fieldIssues(
        () =>
          new CniInstaller(chart, 'cni', {
            config,
            perNode: { node01: new CniConfig({ name: 'other', plugins: [CniPlugin.loopback()] }) },
          }),
      ),
    ).toEqual([
      'perNode.node01.fileName: "10-other.conflist" differs from "10-pods.conflist": every node must get the same file name',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Cluster file

const BASE = `name: lab
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
`;
const NODES = `nodes:
  - { name: node01, ssh: { host: 10.250.0.11 }, podSubnet: 10.244.1.0/24 }
  - { name: node02, ssh: { host: 10.250.0.12 }, podSubnet: 10.244.2.0/24 }
`;
const POLICY = `kubernetes:
  networkPolicies:
    - { name: db, namespace: prod, podSelector: { matchLabels: { role: db } }, policyTypes: [Ingress] }
`;

function clusterProblems(text: string): string[] {
  return thrown(() => parseClusterText(text, 'c.yaml')).lines();
}

function synthCluster(text: string): Manifest[] {
  return synthValid(new ClusterChart(Testing.app(), 'c', { model: parseClusterText(text, 'c.yaml') }));
}

describe('cluster file: cni bridge / conflist / none', () => {
  test('bridge: one conflist per node over its podSubnet, shipped by the installer', () => {
    const objects = synthCluster(`${BASE}cni: { plugin: bridge, installer: true }\n${NODES}`);
    const data = findObject(objects, 'ConfigMap', 'cni-installer').data as Record<string, string>;
    expect(Object.keys(data)).toEqual(['default', 'node.node01', 'node.node02']);
    const node01 = JSON.parse(data['node.node01']);
    expect(node01).toEqual({
      cniVersion: '1.0.0',
      name: 'lab',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', subnet: '10.244.1.0/24', routes: [{ dst: '0.0.0.0/0' }] },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ],
    });
    expect(JSON.parse(data.default).plugins[0].ipam.subnet).toBe('10.244.0.0/16');
    expect(JSON.parse(data['node.node02']).plugins[0].ipam.subnet).toBe('10.244.2.0/24');
    expect(objects.some((o) => o.kind === 'DaemonSet' && o.metadata.name === 'weave-net')).toBe(false);
  });

  test('bridge without installer: nothing in the chart, the files are there for the host provisioner', () => {
    const model = parseClusterText(`${BASE}cni: { plugin: bridge, bridge: { name: br-pods } }\n${NODES}`, 'c.yaml');
    expect(
      synthValid(new ClusterChart(Testing.app(), 'c', { model })).filter((o) => o.metadata.name === 'cni-installer'),
    ).toEqual([]);
    const files = clusterCniFiles(model.cluster)!;
    expect(files.fileName).toBe('10-lab.conflist');
    expect(files.perNode.node02.plugins[0]).toMatchObject({ bridge: 'br-pods', ipam: { subnet: '10.244.2.0/24' } });
    // What the host provisioner writes on each node: the node's own list, else the shared one.
    expect(renderConflist(nodeCniList(files, 'node01'))).toContain('"subnet": "10.244.1.0/24"');
    expect(nodeCniList(files, 'elsewhere')).toBe(files.list);
  });

  test('bridge subnets outside podCidr or overlapping are errors naming field and value', () => {
    expect(clusterProblems(`${BASE}cni: { plugin: bridge, bridge: { subnet: 10.1.0.0/24 } }\n`)).toEqual([
      'c.yaml:3: cni.bridge.subnet: bridge subnet "10.1.0.0/24" is outside network.podCidr 10.244.0.0/16',
    ]);
    expect(
      clusterProblems(`${BASE}cni: { plugin: bridge }
nodes:
  - { name: node01, ssh: { host: 10.250.0.11 }, podSubnet: 10.244.1.0/24 }
  - { name: node02, ssh: { host: 10.250.0.12 }, podSubnet: 10.244.1.128/25 }
  - { name: node03, ssh: { host: 10.250.0.13 }, podSubnet: 10.245.0.0/24 }
`),
    ).toEqual([
      'c.yaml:7: nodes[2].podSubnet: pod subnet "10.245.0.0/24" is outside network.podCidr 10.244.0.0/16',
      'c.yaml:6: nodes[1].podSubnet: node node02 would allocate pod addresses from "10.244.1.128/25", which overlaps "10.244.1.0/24" of node node01: give each node its own podSubnet inside 10.244.0.0/16',
    ]);
    // Two nodes sharing cni.bridge.subnet would hand out the same addresses.
    expect(
      clusterProblems(`${BASE}cni: { plugin: bridge, bridge: { subnet: 10.244.9.0/24 } }
nodes:
  - { name: node01, ssh: { host: 10.250.0.11 } }
  - { name: node02, ssh: { host: 10.250.0.12 } }
`),
    ).toEqual([
      'c.yaml:6: nodes[1]: node node02 would allocate pod addresses from "10.244.9.0/24", which overlaps "10.244.9.0/24" of node node01: give each node its own podSubnet inside 10.244.0.0/16',
    ]);
  });

  test("conflist: the user's list is validated in cluster-file coordinates and must stay inside podCidr", () => {
    const conflist = `cni:
  plugin: conflist
  installer: true
  conflist:
    name: pods
    plugins:
      - { type: portmap, capabilities: { portMappings: true } }
      - type: bridge
        ipam: { type: host-local, ranges: [[{ subnet: 10.244.0.0/24, gateway: 10.244.1.1 }], [{ subnet: 10.99.0.0/24 }]] }
`;
    expect(clusterProblems(BASE + conflist)).toEqual([
      expect.stringMatching(/^c\.yaml:9: cni\.conflist\.plugins\[0\]\.type: "portmap" is a meta plugin/),
      'c.yaml:11: cni.conflist.plugins[1].ipam.ranges[0][0].gateway: gateway "10.244.1.1" is outside subnet "10.244.0.0/24"',
      'c.yaml:11: cni.conflist.plugins[1].ipam.ranges[1][0].subnet: host-local subnet "10.99.0.0/24" is outside network.podCidr 10.244.0.0/16',
    ]);
  });

  test('conflist: a valid list is shipped as written, with its file name', () => {
    const objects = synthCluster(`${BASE}cni:
  plugin: conflist
  installer: true
  conflist:
    cniVersion: 0.3.1
    name: pods
    fileName: 05-pods.conflist
    plugins:
      - { type: ptp, ipMasq: true, ipam: { type: host-local, subnet: 10.244.7.0/24, routes: [{ dst: 0.0.0.0/0 }] } }
      - { type: portmap, capabilities: { portMappings: true } }
`);
    const data = findObject(objects, 'ConfigMap', 'cni-installer').data as Record<string, string>;
    expect(JSON.parse(data.default)).toEqual(
      JSON.parse(
        referenceText('cnidev-portmap.example-ptp-portmap.strict.conflist.json')
          .replace('mynet', 'pods')
          .replace('172.16.30.0', '10.244.7.0'),
      ),
    );
    const ds = findObject(objects, 'DaemonSet', 'cni-installer');
    expect(ds.spec.template.spec.initContainers[0].env).toContainEqual({ name: 'CNI_FILE', value: '05-pods.conflist' });
  });

  test("conflist: the cluster file keeps the user's key order (Weave's file reproduced exactly)", () => {
    const model = parseClusterText(
      `${BASE}cni:
  plugin: conflist
  conflist:
    cniVersion: 0.3.0
    name: weave
    plugins:
      - { name: weave, type: weave-net, hairpinMode: true }
      - { type: portmap, capabilities: { portMappings: true }, snat: true }
`,
      'c.yaml',
    );
    expectReproduces(renderConflist(clusterCniFiles(model.cluster)!.list), 'weave-v2.8.1.10-weave.conflist.json');
    expect(
      clusterProblems(`${BASE}cni: { plugin: conflist, conflist: { name: x, plugins: [{ type: flannel }] } }\n`),
    ).toEqual([
      // One plugin list (issue 20): the cluster file takes every plugin CniConfig takes (vrf, dummy and tap too).
      'c.yaml:3: cni.conflist.plugins[0].type: must be a CNI plugin type: one of bridge, ptp, macvlan, ipvlan, vlan, host-device, loopback, weave-net, dummy, tap, portmap, tuning, bandwidth, firewall, sbr, vrf, host-local, dhcp, static (got "flannel")',
    ]);
  });

  test('mismatched sections are refused', () => {
    expect(clusterProblems(`${BASE}cni: { plugin: conflist }\n`)).toEqual([
      'c.yaml:3: cni.conflist: is required when cni.plugin is "conflist"',
    ]);
    expect(clusterProblems(`${BASE}cni: { plugin: weave, installer: true, bridge: { name: cni0 } }\n`)).toEqual([
      'c.yaml:3: cni.bridge: is set but cni.plugin is "weave": set cni.plugin: bridge to use it',
      'c.yaml:3: cni.installer: needs cni.plugin bridge or conflist, got "weave" (Weave Net writes its own conflist)',
    ]);
  });

  test('none: no CNI objects at all', () => {
    const objects = synthCluster(`${BASE}cni: { plugin: none }\n`);
    expect(objects.filter((o) => /cni|weave/.test(o.metadata.name))).toEqual([]);
  });
});

describe('NetworkPolicy warnings', () => {
  test('bridge and a plain conflist do not enforce NetworkPolicies: the policies are named', () => {
    const bridge = parseClusterText(`${BASE}cni: { plugin: bridge }\n${POLICY}`, 'c.yaml').cluster;
    expect(networkPolicyWarnings(bridge)).toEqual([
      'the bridge CNI plugin does not enforce NetworkPolicies: NetworkPolicy prod/db will be accepted by the API server but have no effect',
    ]);
    const conflist = parseClusterText(
      `${BASE}cni: { plugin: conflist, conflist: { name: pods, plugins: [{ type: ptp, ipam: { type: host-local, subnet: 10.244.0.0/24 } }] } }\n${POLICY}`,
      'c.yaml',
    ).cluster;
    expect(networkPolicyWarnings(conflist)).toEqual([
      'CNI conflist "pods" (ptp) does not enforce NetworkPolicies: NetworkPolicy prod/db will be accepted by the API server but have no effect',
    ]);
  });

  test('no warning for Weave Net (weave-npc enforces them), for none, or without policies', () => {
    expect(networkPolicyWarnings(parseClusterText(`${BASE}${POLICY}`, 'c.yaml').cluster)).toEqual([]);
    expect(
      networkPolicyWarnings(parseClusterText(`${BASE}cni: { plugin: none }\n${POLICY}`, 'c.yaml').cluster),
    ).toEqual([]);
    expect(networkPolicyWarnings(parseClusterText(`${BASE}cni: { plugin: bridge }\n`, 'c.yaml').cluster)).toEqual([]);
  });

  test('synth prints the warning on stderr', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      // The chart records the warning (constructs do no I/O); the app prints it, as `cdk8s synth` and `netstrap synth` do.
      const model = parseClusterText(`${BASE}cni: { plugin: bridge }\n${POLICY}`, 'c.yaml');
      const chart = new ClusterChart(Testing.app(), 'c', { model });
      synthValid(chart);
      printChartWarnings(chart);
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual([
      'warning: the bridge CNI plugin does not enforce NetworkPolicies: NetworkPolicy prod/db will be accepted by the API server but have no effect\n',
    ]);
  });
});

/**
 * A CNI plugin is declared once (src/model/cni/plugins.ts): the cluster file's schema, the typed factories' props
 * (test/model/props-types.test.ts checks the types at compile time) and the published JSON Schema
 * (hosts/cluster.schema.json) must agree about every plugin: which types exist, which options each takes, which
 * are required and which values are refused.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv2020 from 'ajv/dist/2020';
import { CniConfig, CniIpam, CniPlugin } from '../../constructs/cni-config';
import { clusterCniFiles, renderConflist } from '../../src/model/cni';
import { parseClusterText } from '../../src/model/load';
import {
  CHAIN_PLUGINS,
  CNI_PLUGIN_TYPES,
  type CniPluginType,
  IPAM_PLUGINS,
  pluginOptionsSchemas,
} from '../../src/model/cni/plugins';
import { cniPluginSchema } from '../../src/model/schema';

const published = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'hosts', 'cluster.schema.json'), 'utf8'));
const entrySchema = published.properties.cni.properties.conflist.properties.plugins.items;
const branches: Array<{ properties: Record<string, { const?: string }>; required?: string[] }> = entrySchema.oneOf;
const validEntry = new Ajv2020({ strict: false }).compile({ ...entrySchema, $defs: published.$defs });

/** The least a plugin needs, for the plugins with required options. */
const REQUIRED: Partial<Record<CniPluginType, Record<string, unknown>>> = {
  ptp: { ipam: { type: 'host-local', subnet: '10.1.0.0/24' } },
  vlan: { master: 'eth0', vlanId: 10 },
};
const smallest = (type: CniPluginType) => ({ type, ...REQUIRED[type] });

test('the JSON Schema, the cluster schema and the factories know the same plugin types', () => {
  const inJsonSchema = branches.map((branch) => branch.properties.type.const);
  expect(inJsonSchema).toEqual([...CHAIN_PLUGINS]);
  // The cluster schema takes every plugin type, and the IPAM types (refused later, with a pointer to `ipam`).
  expect(CNI_PLUGIN_TYPES).toEqual([...CHAIN_PLUGINS, ...IPAM_PLUGINS]);
  for (const type of [...CHAIN_PLUGINS, ...IPAM_PLUGINS])
    expect(cniPluginSchema.safeParse({ type }).success).toBe(true);
  for (const type of ['flannel', 'calico', '']) expect(cniPluginSchema.safeParse({ type }).success).toBe(false);
  // The real plugins the cluster file once refused (issue 20: `new CniConfig` took vrf, the cluster file did not).
  expect(CHAIN_PLUGINS).toEqual(expect.arrayContaining(['vrf', 'firewall', 'sbr', 'host-device']));
});

describe.each(CHAIN_PLUGINS)('%s', (type) => {
  const branch = branches.find((b) => b.properties.type.const === type)!;
  const shape = pluginOptionsSchemas[type].shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;

  test('the same options, and the same required ones', () => {
    expect(Object.keys(branch.properties).sort()).toEqual(['type', ...Object.keys(shape)].sort());
    const required = Object.keys(shape).filter((key) => !shape[key].safeParse(undefined).success);
    expect((branch.required ?? []).filter((key) => key !== 'type').sort()).toEqual(required.sort());
    expect(Object.keys(REQUIRED[type] ?? {}).sort()).toEqual(required.sort());
  });

  test('its smallest form is valid for the JSON Schema and for the factories', () => {
    expect(validEntry(smallest(type))).toBe(true);
    const { type: _type, ...options } = smallest(type);
    expect(CniPlugin.of(type, options as never).validate()).toEqual([]);
  });

  test('a value no option takes is refused by both, at that option', () => {
    for (const key of Object.keys(shape)) {
      const entry = { ...smallest(type), [key]: 12.5 };
      expect([key, validEntry(entry)]).toEqual([key, false]);
      const { type: _type, ...options } = entry;
      const issues = CniPlugin.of(type, options as never).validate();
      expect(issues.map((issue) => issue.path[0])).toContain(key);
    }
  });
});

test('the plugin list is what containernetworking-plugins installs (when /usr/lib/cni is here), plus weave-net', () => {
  const dir = '/usr/lib/cni';
  if (!fs.existsSync(path.join(dir, 'bridge'))) return; // `apt-get install containernetworking-plugins` (Debian)
  const installed = fs.readdirSync(dir).sort();
  // Every real plugin is known; every known plugin is real, but weave-net (Weave's) and dummy and tap (upstream
  // 1.3 and 1.4, newer than Debian's 1.1.1).
  expect(installed.filter((p) => !CNI_PLUGIN_TYPES.includes(p))).toEqual([]);
  expect(CNI_PLUGIN_TYPES.filter((p) => !installed.includes(p)).sort()).toEqual(['dummy', 'tap', 'weave-net']);
});

test('a cluster file may chain vrf, as new CniConfig may: both render the same file', () => {
  const model = parseClusterText(
    `name: t
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
cni:
  plugin: conflist
  conflist:
    name: pods
    plugins:
      - { type: bridge, bridge: cni0, ipam: { type: host-local, subnet: 10.244.1.0/24 } }
      - { type: vrf, vrfname: blue, table: 100 }
`,
    'c.yaml',
  );
  const fromFile = renderConflist(clusterCniFiles(model.cluster)!.list);
  const typed = new CniConfig({
    name: 'pods',
    plugins: [
      CniPlugin.bridge({ bridge: 'cni0', ipam: CniIpam.hostLocal({ subnet: '10.244.1.0/24' }) }),
      CniPlugin.of('vrf', { vrfname: 'blue', table: 100 }),
    ],
  }).toJson();
  expect(fromFile).toBe(typed);
});

/**
 * cni: the conflist kubelet (through the container runtime) will actually use — the first file by name in
 * /etc/cni/net.d that parses, as libcni sorts them — is netstrap's, not shadowed by another; its host-local subnets
 * against the network layout (the node's pod subnet, inside podCidr); every plugin it names is an executable in cni.binDir.
 */
import { parseNetwork } from '../../model/cidr';
import { bridgeSubnetOf, clusterCniFiles, hostLocalSubnets, parseCniText, type CniNetworkList } from '../../model/cni';
import { CNI_CONF_DIR } from '../resources/cni';
import { podSubnetOf } from './net';
import {
  type CheckInput,
  fail,
  isKubernetesNode,
  ok,
  RUN_BOOTSTRAP,
  warn,
  type Finding,
  type NodeCheck,
} from './types';

/** Plugin and IPAM types a list names, in order. */
function pluginTypes(list: CniNetworkList): string[] {
  const types = new Set<string>();
  for (const plugin of (Array.isArray(list.plugins) ? list.plugins : []) as ReadonlyArray<Record<string, unknown>>) {
    if (typeof plugin.type === 'string') types.add(plugin.type);
    const ipam = plugin.ipam as Record<string, unknown> | undefined;
    if (typeof ipam?.type === 'string') types.add(ipam.type);
  }
  return [...types];
}

export const cniChecks: NodeCheck = ({ model, self }): Finding[] => {
  const { cluster } = model;
  const { node, index, view } = self;
  if (!isKubernetesNode(node)) return [];
  const findings: Finding[] = [];
  const ours = node.cniConflists ? clusterCniFiles(cluster) : undefined;
  const oursName = ours?.fileName;

  const parsed = view.cniConf.map((file) => ({ file, list: parseCniText(file.content).parsed?.list }));
  const active = parsed.find((p) => p.list !== undefined);
  for (const broken of parsed.slice(0, active ? parsed.indexOf(active) : parsed.length)) {
    findings.push(
      warn(
        'cni.active-conflist',
        `${node.name}: ${CNI_CONF_DIR}/${broken.file.name} sorts first but is not a valid CNI configuration; the runtime skips it`,
        `remove ${CNI_CONF_DIR}/${broken.file.name} on ${node.name}`,
      ),
    );
  }
  if (!active && cluster.cni.plugin === 'none') {
    // cni.plugin none: the CNI is installed by other means; its absence is not netstrap's to report.
    findings.push(
      ok(
        'cni.active-conflist',
        `${node.name}: ${CNI_CONF_DIR} has no CNI configuration yet; cni.plugin none: the CNI you install writes it`,
      ),
    );
    return findings;
  }
  if (!active) {
    findings.push(
      ours
        ? fail(
            'cni.active-conflist',
            `${node.name}: ${CNI_CONF_DIR} has no CNI configuration; expected netstrap's ${oursName}: pods cannot start (NetworkNotReady)`,
            RUN_BOOTSTRAP,
            { observed: 'none', expected: oursName },
          )
        : warn(
            'cni.active-conflist',
            `${node.name}: ${CNI_CONF_DIR} has no CNI configuration yet: pods cannot start until the CNI (${cluster.cni.plugin}) writes one`,
            `apply the synthesized manifests (\`netstrap synth\`), or set cniConflists: true on nodes[${index}] for netstrap to write it`,
            { observed: 'none' },
          ),
    );
    return findings;
  }
  const activeName = active.file.name;
  if (oursName !== undefined && activeName !== oursName) {
    const present = view.cniConf.some((f) => f.name === oursName);
    findings.push(
      fail(
        'cni.active-conflist',
        `${node.name}: the runtime will use ${CNI_CONF_DIR}/${activeName}, not netstrap's ${oursName}${present ? ` (shadowed: ${activeName} sorts first)` : ' (absent)'}`,
        present
          ? `remove or rename ${CNI_CONF_DIR}/${activeName} on ${node.name} (netstrap did not write it)${cluster.cni.plugin === 'conflist' ? ', or set cni.conflist.fileName to a name that sorts before it' : ''}`
          : RUN_BOOTSTRAP,
        { observed: activeName, expected: oursName },
      ),
    );
  } else {
    findings.push(
      ok(
        'cni.active-conflist',
        `${node.name}: the runtime will use ${CNI_CONF_DIR}/${activeName}${oursName ? " (netstrap's)" : ''}`,
        { observed: activeName },
      ),
    );
  }

  // Subnets: inside podCidr; for netstrap's own bridge list, the node's subnet exactly.
  const list = active.list as CniNetworkList;
  const want =
    oursName === activeName && cluster.cni.plugin === 'bridge'
      ? (podSubnetOf(cluster, node) ?? bridgeSubnetOf(cluster))
      : undefined;
  for (const subnet of hostLocalSubnets(list)) {
    const range = parseNetwork(subnet.text);
    const inside = range.ok && range.value.inside(model.layout.podCidr);
    if (!inside) {
      findings.push(
        fail(
          'cni.subnet',
          `${node.name}: ${activeName} allocates pod addresses from ${subnet.text}, outside podCidr ${model.layout.podCidr.toCidrString()}`,
          activeName === oursName
            ? RUN_BOOTSTRAP
            : `fix the subnet in ${CNI_CONF_DIR}/${activeName}, or change network.podCidr`,
          { observed: subnet.text, expected: `inside ${model.layout.podCidr.toCidrString()}` },
        ),
      );
    } else if (want !== undefined && subnet.text !== want) {
      findings.push(
        fail(
          'cni.subnet',
          `${node.name}: ${activeName} allocates pod addresses from ${subnet.text}; the cluster file gives this node ${want}`,
          RUN_BOOTSTRAP,
          { observed: subnet.text, expected: want },
        ),
      );
    } else {
      findings.push(
        ok(
          'cni.subnet',
          `${node.name}: ${activeName} allocates pod addresses from ${subnet.text}${want ? ', as planned' : ', inside podCidr'}`,
          { observed: subnet.text, expected: want },
        ),
      );
    }
  }

  findings.push(pluginsFinding(self, cluster.cni.binDir, activeName, list));
  return findings;
};

/** Every plugin (and IPAM) type the active conflist names is an executable of cni.binDir. */
function pluginsFinding(self: CheckInput['self'], binDir: string, activeName: string, list: CniNetworkList): Finding {
  const { node, view } = self;
  const types = pluginTypes(list);
  const missing = types.filter((t) => !view.cniBin.has(t));
  return missing.length === 0
    ? ok('cni.plugins', `${node.name}: every plugin ${activeName} names is in ${binDir} (${types.join(', ')})`)
    : fail(
        'cni.plugins',
        `${node.name}: ${binDir} lacks the CNI plugin${missing.length > 1 ? 's' : ''} ${missing.join(', ')} named by ${activeName}: pods cannot start`,
        `install the containernetworking plugins into ${binDir} on ${node.name} (netstrap never downloads them), or set cni.binDir to where they are`,
        { observed: `missing ${missing.join(', ')}`, expected: types.join(', ') },
      );
}

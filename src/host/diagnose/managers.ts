/**
 * network-manager: a node where a network manager would remove netstrap's addresses and routes on its next reload or
 * link bounce, naming the manager and the fix (issue 22). Read from the same facts as the provisioner
 * (network-manager.ts): what the node runs is detected, whatever the cluster file's networkManager says, so that
 * `networkManager: none` on a networkd node is flagged too.
 */
import { effectiveNode } from '../../model/effective';
import { dropInPath, keptByNetworkd, managerFact, managerNote, nodeNetworkManager } from '../network-manager';
import { dropInContent } from '../resources/networkd';
import { fail, ok, warn, type Finding, type NodeCheck } from './types';

const CHECK = 'network-manager';

export const managerChecks: NodeCheck = ({ model, self }): Finding[] => {
  const node = effectiveNode(model.cluster, self.node);
  const detected = nodeNetworkManager({ ...node, networkManager: 'auto' }, self.facts);
  const { dropIns } = self.facts.get(managerFact);
  const setting = self.node.networkManager ?? 'auto';
  const findings: Finding[] = [];
  for (const link of detected.interfaces) {
    const wanted = dropInContent(node, link.interface);
    if (keptByNetworkd(link)) {
      if (wanted === undefined) continue;
      const path = dropInPath(link.networkFile);
      if (dropIns.get(path) === wanted) {
        findings.push(
          ok(
            CHECK,
            `${node.name}: ${link.manager} manages ${link.interface}; ${path} keeps netstrap's addresses and routes`,
          ),
        );
        continue;
      }
      const manager = link.manager === 'netplan' ? 'systemd-networkd (through netplan)' : 'systemd-networkd';
      const fix =
        setting === 'none' || setting === 'NetworkManager' || setting === 'ifupdown'
          ? `set networkManager: auto (or ${link.manager}) on nodes[${self.index}] in the cluster file, then run \`netstrap bootstrap\`: it writes ${path}`
          : `run \`netstrap bootstrap\`: it writes ${path}`;
      findings.push(
        fail(
          CHECK,
          `${node.name}: ${manager} manages ${link.interface} (${link.networkFile}) and does not know netstrap's ` +
            `addresses and routes on it: the link going down and up (a reconfigure, \`netplan apply\`, a cable) removes them, ` +
            'and nothing puts them back until the next bootstrap or reboot',
          fix,
          { observed: dropIns.has(path) ? `${path} differs` : `no ${path}`, expected: path },
        ),
      );
    } else if ((link.manager === 'NetworkManager' || link.manager === 'ifupdown') && wanted !== undefined) {
      findings.push(
        warn(
          CHECK,
          `${node.name}: ${managerNote(link).split(': ')[0]}: it may remove netstrap's state on ${link.interface}`,
          managerNote(link),
        ),
      );
    }
  }
  return findings;
};

/**
 * What the peers of the bootstrap bench (Ansible, BundleWrap) share: the per-node values of the node-prep plan, the
 * same values netstrap reads from the cluster file, and the counting of their SSH sessions.
 */
import * as fs from 'fs';
import * as path from 'path';
import { nodeBootScript } from '../src/host/resources';
import { UNIT_CONTENT } from '../src/host/resources/persist';
import { loadClusterFile } from '../src/model/load';
import { BRIDGE } from './lab-cluster';
import { median } from './stats';

export interface NodePrepValues {
  sysctl_file: string;
  bridge: string;
  bridge_address: string;
  routes: Array<{ to: string; via: string }>;
  masquerade_source: string;
  dnat_to: string;
  hosts_block: string;
  boot_script: string;
  boot_unit: string;
}

/** Every node's values of the node-prep plan, by node name, from the bench's cluster file. */
export function nodePrepValues(file: string): Map<string, NodePrepValues> {
  const model = loadClusterFile(file);
  return new Map(
    model.cluster.nodes.map((node): [string, NodePrepValues] => [
      node.name,
      {
        sysctl_file: 'net.ipv4.ip_forward = 1\n',
        bridge: BRIDGE,
        bridge_address: node.bridges[0].addresses[0],
        routes: node.routes.map((r) => ({ to: r.to, via: r.via })),
        masquerade_source: node.nat.masquerade[0].source,
        dnat_to: node.nat.portForwards[0].to,
        hosts_block: node.hosts.map((h) => `${h.ip}\t${h.names.join(' ')}`).join('\n'),
        boot_script: nodeBootScript(node) ?? '',
        boot_unit: UNIT_CONTENT,
      },
    ]),
  );
}

/**
 * Writes ssh, sftp and scp wrappers into `dir` that log every invocation to `log`, then exec the real client:
 * each invocation is one SSH session (over the ControlMaster when one is up), i.e. one round trip or more.
 */
export function writeSessionWrappers(dir: string, log: string): void {
  for (const tool of ['ssh', 'sftp', 'scp']) {
    fs.writeFileSync(
      path.join(dir, tool),
      `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${log}'\nexec /usr/bin/${tool} "$@"\n`,
      { mode: 0o755 },
    );
  }
}

/** Median over the nodes of the SSH sessions logged for each (a node is named as `node`, `node:path` or `[node]`). */
export function sessionsPerHost(log: string, nodes: ReadonlyArray<string>): number {
  const sessions = new Map<string, number>(nodes.map((node) => [node, 0]));
  const bare = (word: string) => word.replace(/^\[|\]$/g, '').replace(/:.*$/, '');
  for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
    const host = line
      .split(' ')
      .map(bare)
      .find((w) => sessions.has(w));
    if (host) sessions.set(host, sessions.get(host)! + 1);
  }
  return median([...sessions.values()]);
}

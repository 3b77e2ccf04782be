/**
 * hosts-file: node.hosts as a managed block of /etc/hosts, between `# BEGIN netstrap` and `# END netstrap` (added
 * at the end of the file the first time, replaced in place afterwards; removed when the node lists no hosts).
 * Every other line stays byte for byte; revert writes back the previous file exactly.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { Change, RawFacts, ResourceKind } from '../types';
import { fileChange, fileFact, parseFileFact, withManagedBlock } from './file-facts';

export const HOSTS_FILE = '/etc/hosts';

export const hostsFile: ResourceKind = {
  kind: 'hosts-file',

  factCommands() {
    return fileFact(HOSTS_FILE);
  },

  plan(node: ClusterNode, facts: RawFacts, _cluster: Cluster): Change[] {
    const before = parseFileFact(facts, HOSTS_FILE);
    const lines = node.hosts.map((entry) => `${entry.ip}\t${entry.names.join(' ')}`);
    const desired = withManagedBlock(before.content, lines, 'bottom');
    // Nothing wanted and no block of ours: do not touch the file (nor create an empty one, nor replace a symlink).
    if (lines.length === 0 && desired === before.content) return [];
    const change = fileChange('hosts-file', HOSTS_FILE, before, desired);
    return change ? [change] : [];
  },
};

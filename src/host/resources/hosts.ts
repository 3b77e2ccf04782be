/**
 * hosts-file: node.hosts as a managed block of /etc/hosts, between `# BEGIN netstrap` and `# END netstrap` (added
 * at the end of the file the first time, replaced in place afterwards; removed when the node lists no hosts and
 * netstrap owns the block). Every other line stays byte for byte; revert writes back the previous file exactly.
 * Broken markers (BEGIN without END, two BEGINs) refuse the file, naming the line: nothing in it is touched.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { FactSet } from '../fact';
import type { Change, OwnedObject, ResourceKind } from '../types';
import { fileFact, fileIds, managedBlockChanges, readFileFact } from './file-facts';

export const HOSTS_FILE = '/etc/hosts';

export const hostsFile: ResourceKind = {
  kind: 'hosts-file',
  ownedIds: fileIds,

  facts() {
    return [fileFact(HOSTS_FILE)];
  },

  plan(node: ClusterNode, facts: FactSet, _cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const lines = node.hosts.map((entry) => `${entry.ip}\t${entry.names.join(' ')}`);
    return managedBlockChanges('hosts-file', HOSTS_FILE, readFileFact(facts, HOSTS_FILE), lines, 'bottom', owned);
  },
};

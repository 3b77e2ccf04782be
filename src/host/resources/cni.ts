/**
 * cni-files: when node.cniConflists is set, the cluster's CNI network configuration (the same model the installer
 * DaemonSet ships: src/model/cni.ts clusterCniFiles / renderConflist) is written to /etc/cni/net.d/<fileName>.
 * The plugin binaries are not netstrap's business: warnings() lists each plugin type (and IPAM type) the conflist
 * names that the node's CNI bin directory (cni.binDir, default /opt/cni/bin) lacks; nothing is ever downloaded.
 * Only Kubernetes nodes (role control-plane or worker) get the file. Revert restores the previous file or its
 * absence; a conflist netstrap wrote and no longer wants is put back as it was before (removed when there was none).
 */
import { clusterCniFiles, nodeCniList, renderConflist } from '../../model/cni';
import { isKubernetesNode } from '../../model/pod-subnets';
import type { Cluster, ClusterNode } from '../../model/schema';
import { type Fact, type FactSet, fact, outputLines } from '../fact';
import type { Change, OwnedObject, ResourceKind } from '../types';
import { fileFact, fileIds, ownedFileChanges, readFileFact } from './file-facts';

export const CNI_CONF_DIR = '/etc/cni/net.d';

/** The file names in a CNI bin directory (`ls -1`; none when it is absent). */
function cniBinaries(binDir: string): Fact<ReadonlySet<string>> {
  return fact('cni-bin', ['sh', '-c', 'ls -1 "$1" 2>/dev/null; true', 'sh', binDir], parseNames);
}
const parseNames = (output: string): ReadonlySet<string> => new Set(outputLines(output));

/** Path and content of the node's conflist, or undefined when the node does not ask for one or the CNI writes its own. */
function desiredFile(
  node: ClusterNode,
  cluster: Cluster,
): { path: string; content: string; types: string[] } | undefined {
  if (!node.cniConflists || !isKubernetesNode(node)) return undefined;
  const files = clusterCniFiles(cluster);
  if (!files) return undefined;
  const list = nodeCniList(files, node.name);
  const types = new Set<string>();
  for (const plugin of list.plugins as ReadonlyArray<Record<string, unknown>>) {
    if (typeof plugin.type === 'string') types.add(plugin.type);
    const ipam = plugin.ipam as Record<string, unknown> | undefined;
    if (typeof ipam?.type === 'string') types.add(ipam.type);
  }
  return { path: `${CNI_CONF_DIR}/${files.fileName}`, content: renderConflist(list), types: [...types] };
}

export const cniFiles: ResourceKind = {
  kind: 'cni-files',
  ownedIds: fileIds,

  facts(node: ClusterNode, cluster: Cluster) {
    const file = desiredFile(node, cluster);
    if (!file) return [];
    return [fileFact(file.path), cniBinaries(cluster.cni.binDir)];
  },

  plan(node: ClusterNode, facts: FactSet, cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const file = desiredFile(node, cluster);
    const changes = file
      ? ownedFileChanges('cni-files', file.path, readFileFact(facts, file.path), file.content, owned)
      : [];
    // Conflists written before (another file name, or cniConflists dropped): put back as they were.
    for (const entry of owned) {
      const id = fileIds.read(entry.id);
      if (id?.part === 'file' && id.path !== file?.path)
        changes.push(...ownedFileChanges('cni-files', id.path, undefined, undefined, owned));
    }
    return changes;
  },

  warnings(node: ClusterNode, facts: FactSet, cluster: Cluster): string[] {
    if (node.cniConflists && !clusterCniFiles(cluster)) {
      return [
        `${node.name}: cniConflists is set but cni.plugin ${JSON.stringify(cluster.cni.plugin)} writes no conflist from netstrap`,
      ];
    }
    const file = desiredFile(node, cluster);
    if (!file) return [];
    const present = facts.get(cniBinaries(cluster.cni.binDir));
    const missing = file.types.filter((t) => !present.has(t));
    if (missing.length === 0) return [];
    return [
      `${node.name}: ${cluster.cni.binDir} lacks the CNI plugin${missing.length > 1 ? 's' : ''} ${missing.join(', ')} named by ${file.path} ` +
        `(install the containernetworking plugins release; netstrap never downloads them)`,
    ];
  },
};

/**
 * resolv-conf: node.resolv (nameservers, search domains) as a managed block of /etc/resolv.conf, between
 * `# BEGIN netstrap` and `# END netstrap`, put at the TOP of the file the first time: the resolver tries
 * nameservers in file order and keeps at most three, so netstrap's come first. (With a `search` line of its own
 * further down, the user's line wins: glibc uses the last one.) Other lines stay byte for byte; when
 * /etc/resolv.conf is a symlink (systemd-resolved), the file netstrap writes replaces the link, and revert puts the
 * link back. Revert restores the previous file exactly.
 *
 * warnings(): on a node that runs CoreDNS (runsCoreDns), a resolv.conf pointing at 127.0.0.53 (systemd-resolved's
 * stub) makes CoreDNS's `loop` plugin detect a forwarding loop and crash; kubeadm's fix is kubelet's
 * `resolvConf: /run/systemd/resolve/resolv.conf`, or list real nameservers here.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { FactSet } from '../fact';
import type { Change, OwnedObject, ResourceKind } from '../types';
import { FileFact, fileFact, fileIds, managedBlockChanges, readFileFact, withManagedBlock } from './file-facts';

export const RESOLV_FILE = '/etc/resolv.conf';
const STUB = '127.0.0.53';

function blockLines(node: ClusterNode): string[] {
  return [
    ...(node.resolv?.nameservers ?? []).map((ns) => `nameserver ${ns}`),
    ...((node.resolv?.search ?? []).length > 0 ? [`search ${node.resolv!.search.join(' ')}`] : []),
  ];
}

function desiredContent(node: ClusterNode, before: FileFact): string | undefined {
  return withManagedBlock(before.content, blockLines(node), 'top');
}

/** The nameservers the node's resolver will use once the plan is applied. */
function effectiveNameservers(content: string | undefined): string[] {
  return (content ?? '')
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

export const resolvConf: ResourceKind = {
  kind: 'resolv-conf',
  ownedIds: fileIds,

  facts() {
    return [fileFact(RESOLV_FILE)];
  },

  plan(node: ClusterNode, facts: FactSet, _cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    return managedBlockChanges(
      'resolv-conf',
      RESOLV_FILE,
      readFileFact(facts, RESOLV_FILE),
      blockLines(node),
      'top',
      owned,
    );
  },

  warnings(node: ClusterNode, facts: FactSet): string[] {
    if (!node.runsCoreDns) return [];
    const after = desiredContent(node, readFileFact(facts, RESOLV_FILE));
    if (!effectiveNameservers(after).includes(STUB)) return [];
    return [
      `${node.name}: /etc/resolv.conf points at ${STUB} (systemd-resolved's stub) on a node that runs CoreDNS: ` +
        `CoreDNS's loop plugin will detect a forwarding loop and crash; list real upstreams in nodes[].resolv.nameservers ` +
        `or give kubelet resolvConf: /run/systemd/resolve/resolv.conf`,
    ];
  },
};

/**
 * The pod-subnet guard: a disruption check (disruption.ts) refusing a change of a live node's pod subnet. The
 * pod subnet a node has now is the one its conflist on the node hands out (host-local's subnets, read in the fact
 * round trip with the cni-files kind's own read of the file); a new conflist with other subnets would strand the
 * node's running pods (their addresses leave the node's subnet, and every other node's route to them goes). Like a
 * lock-out, it is refused unless --allow-disruption is given. A first conflist (none on the node) is no change.
 */
import { hostLocalSubnets, parseCniText } from '../model/cni';
import { podSubnetOf } from '../model/pod-subnets';
import type { DisruptionCheck, Refusal } from './disruption';
import { entryPath } from './disruption';
import { CNI_CONF_DIR } from './resources/cni';
import { readFileFact } from './resources/file-facts';

/** The host-local subnets a conflist text hands out, sorted; undefined when it is not a CNI configuration. */
export function conflistSubnets(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const { parsed } = parseCniText(text);
  return parsed
    ? hostLocalSubnets(parsed.list)
        .map((s) => s.text)
        .sort()
    : undefined;
}

export const podSubnetCheck: DisruptionCheck = {
  name: 'pod-subnet',

  // The conflist is read by the cni-files kind (src/host/resources/cni.ts): the same section, no second read.
  facts() {
    return [];
  },

  check({ node, cluster, facts, changes }): Refusal[] {
    const refusals: Refusal[] = [];
    for (const change of changes) {
      if (change.kind !== 'cni-files' || !change.target.startsWith(`${CNI_CONF_DIR}/`)) continue;
      const live = conflistSubnets(readFileFact(facts, change.target).content);
      const written = change.apply.find(
        (c): c is Extract<typeof c, { writeFile: string }> => 'writeFile' in c && c.writeFile === change.target,
      );
      const wanted = conflistSubnets(written?.content);
      if (!live || live.length === 0 || !wanted || wanted.join(' ') === live.join(' ')) continue;
      const declared = cluster.nodes.find((n) => n.name === node.name)?.podSubnet !== undefined;
      refusals.push({
        entry: declared
          ? entryPath(cluster, node, 'podSubnet')
          : `${entryPath(cluster, node)} (pod subnet ${podSubnetOf(cluster, node.name) ?? wanted.join(', ')} allocated by network.nodeCidrMaskSize)`,
        change: `${change.kind} ${change.target}`,
        reason:
          `would change the pod subnet of the live node from ${live.join(', ')} (its conflist on the node) to ${wanted.join(', ')}: ` +
          "its running pods would keep addresses outside the node's subnet, which no route leads to any more",
      });
    }
    return refusals;
  },
};

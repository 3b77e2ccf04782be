/**
 * The pod-subnet guard on planned changes (the same check runs in plan and bootstrap before anything is applied;
 * test/lab/pods.lab.test.ts runs it against a real node).
 */
import { cniFiles } from '../../src/host/resources/cni';
import { fileFactSection } from '../../src/host/resources/file-facts';
import { podSubnetCheck } from '../../src/host/pod-subnet-guard';
import { effectiveNode } from '../../src/model/effective';
import { clusterCniFiles, nodeCniList, renderConflist } from '../../src/model/cni';
import { parseClusterText } from '../../src/model/load';
import type { Cluster } from '../../src/model/schema';
import { FactSet } from '../../src/host/fact';

const file = (podSubnet: string) =>
  parseClusterText(
    `name: c
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
cni: { plugin: bridge }
nodes:
  - { name: n1, ssh: { host: 10.250.0.1 }, cniConflists: true }
  - { name: n2, ssh: { host: 10.250.0.2 }, cniConflists: true${podSubnet} }
`,
    'c.yaml',
  ).cluster;

/** The facts of n2 holding the conflist `live` renders for it. */
function factsWith(live: Cluster) {
  const text = renderConflist(nodeCniList(clusterCniFiles(live)!, 'n2'));
  return new FactSet({
    [fileFactSection('/etc/cni/net.d/10-c.conflist')]: `file:${Buffer.from(text).toString('base64')}\n`,
  });
}

function refusals(live: Cluster, wanted: Cluster) {
  const node = effectiveNode(wanted, wanted.nodes[1]);
  const facts = factsWith(live);
  const changes = cniFiles.plan(node, facts, wanted);
  return podSubnetCheck.check({ node, cluster: wanted, facts, changes });
}

test('a live node whose pod subnet would change is refused, naming the entry and both subnets', () => {
  const allocated = file('');
  expect(refusals(allocated, file(', podSubnet: 10.244.9.0/24'))).toEqual([
    {
      entry: 'nodes[1].podSubnet',
      change: 'cni-files /etc/cni/net.d/10-c.conflist',
      reason:
        'would change the pod subnet of the live node from 10.244.1.0/24 (its conflist on the node) to 10.244.9.0/24: ' +
        "its running pods would keep addresses outside the node's subnet, which no route leads to any more",
    },
  ]);
  // An allocation that moves (a node pinned in front of it) names the allocation.
  const moved = parseClusterText(
    `name: c
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
cni: { plugin: bridge }
nodes:
  - { name: n0, ssh: { host: 10.250.0.3 }, podSubnet: 10.244.1.0/24 }
  - { name: n2, ssh: { host: 10.250.0.2 }, cniConflists: true }
`,
    'c.yaml',
  ).cluster;
  const node = effectiveNode(moved, moved.nodes[1]);
  const facts = factsWith(allocated);
  expect(
    podSubnetCheck
      .check({ node, cluster: moved, facts, changes: cniFiles.plan(node, facts, moved) })
      .map((r) => r.entry),
  ).toEqual(['nodes[1] (pod subnet 10.244.0.0/24 allocated by network.nodeCidrMaskSize)']);
});

test('the same subnet in a changed conflist, or a first conflist, is no disruption', () => {
  const allocated = file('');
  const renamedBridge = { ...allocated, cni: { ...allocated.cni, bridge: { name: 'br-pods' } } };
  const node = effectiveNode(renamedBridge, renamedBridge.nodes[1]);
  const facts = factsWith(allocated);
  const changes = cniFiles.plan(node, facts, renamedBridge);
  expect(changes).toHaveLength(1);
  expect(podSubnetCheck.check({ node, cluster: renamedBridge, facts, changes })).toEqual([]);
  const fresh = cniFiles.plan(effectiveNode(allocated, allocated.nodes[1]), new FactSet({}), allocated);
  expect(
    podSubnetCheck.check({ node: allocated.nodes[1], cluster: allocated, facts: new FactSet({}), changes: fresh }),
  ).toEqual([]);
});

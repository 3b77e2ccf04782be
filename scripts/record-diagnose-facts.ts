/**
 * Re-records test/fixtures/diagnose-facts/healthy.json: the read round trip of every node of
 * test/fixtures/i14-diagnose.yaml on a converged lab, with the CNI plugins in cni.binDir and a kubelet
 * configuration on cp01. Run as root under the lab lock after a change to what a node reads or is given:
 * `flock /tmp/netstrap-lab.lock npx tsx scripts/record-diagnose-facts.ts`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { labDown, labExec, labUp } from '../src/lab';
import { loadClusterFile } from '../src/model/load';
import { bootstrapCluster } from '../src/host/provision';
import { readScript } from '../src/host/diagnose';
import { newMarker, parseFacts } from '../src/host/fact-script';
import { sshConnector } from '../src/host/ssh';

const root = path.join(__dirname, '..');

async function main(): Promise<void> {
  const model = loadClusterFile(path.join(root, 'test', 'fixtures', 'i14-diagnose.yaml'));
  const stateDir = path.join(root, '.lab', 'record-i14');
  const state = await labUp(model, { stateDir });
  try {
    const result = await bootstrapCluster(model, { sshConfigFile: state.sshConfigFile });
    if (!result.ok)
      throw new Error(
        `bootstrap failed: ${result.hosts
          .map((h) => h.error)
          .filter(Boolean)
          .join('; ')}`,
      );
    for (const node of ['cp01', 'w01', 'w02']) {
      await labExec(state, node, [
        'sh',
        '-c',
        '[ -e /opt/cni/bin/bridge ] || { mkdir -p /opt/cni/bin && cp /usr/lib/cni/* /opt/cni/bin/; }',
      ]);
    }
    await labExec(state, 'cp01', ['sh', '-c', 'mkdir -p /var/lib/kubelet && cat > /var/lib/kubelet/config.yaml'], {
      input:
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nclusterDNS:\n  - 10.96.0.10\nclusterDomain: cluster.local\n',
    });
    const out: Record<string, unknown> = {};
    for (const node of model.cluster.nodes) {
      const transport = await sshConnector(node, { sshConfigFile: state.sshConfigFile });
      try {
        const marker = newMarker();
        const { sections, script } = readScript(node, model, marker);
        out[node.name] = parseFacts((await transport.run(script, 30000)).stdout, sections, marker);
      } finally {
        transport.close();
      }
    }
    fs.writeFileSync(
      path.join(root, 'test', 'fixtures', 'diagnose-facts', 'healthy.json'),
      `${JSON.stringify(out, null, 1)}\n`,
    );
  } finally {
    await labDown(stateDir);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

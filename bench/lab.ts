/**
 * Measures `lab up` / `lab down` for N-node labs (default 10 and 30): `npx tsx bench/lab.ts [N ...]` as root.
 * Each lab: two LANs, nodes alternating between them, every sshd verified to answer before `up` returns.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { labDown, labStatus, labUp } from '../src/lab';
import { checkCluster } from '../src/model/load';

async function bench(n: number): Promise<void> {
  const model = checkCluster(
    {
      name: `i15-labup-${n}`,
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      lans: [
        { name: 'lan-a', cidr: '192.168.50.0/24' },
        { name: 'lan-b', cidr: '192.168.51.0/24' },
      ],
      nodes: Array.from({ length: n }, (_, i) => ({
        name: `node${String(i + 1).padStart(2, '0')}`,
        ssh: { host: `10.250.139.${i + 1}` },
        interfaces: [
          { name: 'eth0', lan: i % 2 === 0 ? 'lan-a' : 'lan-b', addresses: [`192.168.5${i % 2}.${i + 1}/24`] },
        ],
      })),
      lab: { managementCidr: '10.250.139.0/24' },
    },
    `bench-${n}.yaml`,
  );
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-bench-'));
  const stateDir = path.join(parent, 'lab');
  const t0 = performance.now();
  const state = await labUp(model, { stateDir });
  const up = performance.now() - t0;
  const status = await labStatus(stateDir);
  const answering = status.nodes.filter((node) => node.banner).length;
  const t1 = performance.now();
  await labDown(stateDir);
  const down = performance.now() - t1;
  fs.rmdirSync(parent);
  console.log(
    `${n} nodes: up ${(up / 1000).toFixed(2)} s, down ${(down / 1000).toFixed(2)} s, ${answering}/${state.nodes.length} sshd answering`,
  );
}

(async () => {
  const sizes = process.argv.slice(2).map(Number);
  for (const n of sizes.length > 0 ? sizes : [10, 30]) await bench(n);
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

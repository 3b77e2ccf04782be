/**
 * `netstrap diagnose` against a no-op `netstrap bootstrap` of the same converged lab nodes (the target:
 * diagnose ≤ 1.5× the no-op). Clusters: the diagnose test fixture (4 nodes, two LANs and a router) and the bootstrap
 * benchmark's N-node LAN cluster (its management range moved into 10.250.101.0/24). Per cluster: lab up,
 * bootstrap, then ROUNDS alternating runs of each command (CLI wall time, and the engine's own durationMs
 * in-process), medians reported. Run as root under the lab lock: `flock /tmp/netstrap-lab.lock npx tsx bench/diagnose.ts`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump as stringify } from 'js-yaml';
import { diagnoseCluster } from '../src/host/diagnose';
import { bootstrapCluster } from '../src/host/provision';
import { labDown, labExec, labUp } from '../src/lab';
import { loadClusterFile } from '../src/model/load';
import { labCluster } from './lab-cluster';
import { fmt, markdownTable, median, progress, ratio, run } from './stats';

const ROUNDS = 5;
const root = path.join(__dirname, '..');
const cli = path.join(root, 'bin', 'netstrap');

function timedCli(args: string[]): number {
  const started = process.hrtime.bigint();
  try {
    run(cli, args, { cwd: root });
  } catch (error) {
    // diagnose exits 1 on a fail finding; the bench clusters must have none.
    throw new Error(`bench cluster not healthy: ${(error as Error).message.slice(0, 2000)}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function measure(
  label: string,
  file: string,
  prepare?: (state: Awaited<ReturnType<typeof labUp>>) => Promise<void>,
): Promise<string[]> {
  const model = loadClusterFile(file);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-bench-diagnose-'));
  fs.rmdirSync(stateDir);
  const state = await labUp(model, { stateDir });
  try {
    const ssh = { sshConfigFile: state.sshConfigFile };
    const first = await bootstrapCluster(model, ssh);
    if (!first.ok)
      throw new Error(
        `${label}: bootstrap failed: ${first.hosts
          .map((h) => h.error)
          .filter(Boolean)
          .join('; ')}`,
      );
    await prepare?.(state);
    const args = [file, '--ssh-config', state.sshConfigFile];
    timedCli(['bootstrap', ...args]);
    timedCli(['diagnose', ...args, '--json']);
    const wall = { bootstrap: [] as number[], diagnose: [] as number[] };
    const engine = { bootstrap: [] as number[], diagnose: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      wall.bootstrap.push(timedCli(['bootstrap', ...args]));
      wall.diagnose.push(timedCli(['diagnose', ...args, '--json']));
      const noop = await bootstrapCluster(model, ssh);
      if (noop.hosts.some((h) => h.roundTrips !== 1)) throw new Error(`${label}: the bootstrap was not a no-op`);
      engine.bootstrap.push(noop.durationMs);
      const report = await diagnoseCluster(model, ssh);
      if (report.summary.fail > 0) throw new Error(`${label}: diagnose found failures`);
      engine.diagnose.push(report.durationMs);
    }
    progress(`${label}: done`);
    const [wb, wd, eb, ed] = [wall.bootstrap, wall.diagnose, engine.bootstrap, engine.diagnose].map(median);
    return [
      label,
      String(model.cluster.nodes.length),
      fmt(wb),
      fmt(wd),
      ratio(wd, wb),
      fmt(eb),
      fmt(ed),
      ratio(ed, eb),
    ];
  } finally {
    await labDown(stateDir);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/diagnose.ts needs root (it brings up labs)');
  const rows: string[][] = [];
  rows.push(
    await measure(
      'diagnose fixture (2 LANs, router, bridge CNI)',
      path.join(root, 'test', 'fixtures', 'i14-diagnose.yaml'),
      async (state) => {
        for (const node of ['cp01', 'w01', 'w02'])
          await labExec(state, node, [
            'sh',
            '-c',
            '[ -e /opt/cni/bin/bridge ] || { mkdir -p /opt/cni/bin && cp /usr/lib/cni/* /opt/cni/bin/; }',
          ]);
      },
    ),
  );
  const n = Number(process.argv[2] ?? 10);
  const cluster = labCluster(n);
  cluster.name = `i14-bench${n}`;
  cluster.lab = { managementCidr: '10.250.101.0/24' };
  for (const [i, node] of (cluster.nodes ?? []).entries()) node.ssh = { host: `10.250.101.${11 + i}` };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-bench-diagnose-file-'));
  try {
    const file = path.join(dir, 'cluster.yaml');
    fs.writeFileSync(file, stringify(cluster));
    rows.push(await measure(`bootstrap bench LAN cluster`, file));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `${markdownTable(
      [
        'cluster',
        'nodes',
        'no-op bootstrap CLI ms',
        'diagnose CLI ms',
        'CLI ratio',
        'no-op bootstrap engine ms',
        'diagnose engine ms',
        'engine ratio',
      ],
      rows,
    )}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

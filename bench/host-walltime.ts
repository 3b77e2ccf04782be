/**
 * `npx tsx bench/host-walltime.ts [N ...]` (root): wall time of `netstrap bootstrap` on N fresh lab nodes, first run
 * and no-op re-run, next to the floor — a fresh OpenSSH `ssh <node> true` to every node at once. Each node gets a
 * typical node-prep plan (ip_forward runtime + persisted, a bridge with an address, two routes, MASQUERADE, DNAT,
 * two /etc/hosts entries, boot persistence). A measurement script, not a test: it prints a markdown table.
 * Columns: CLI wall = the `bin/netstrap` process users run (includes ~1-2 s of Node + tsx start-up);
 * engine = the engine's own duration from --json (connect, facts, plan, apply, verify, checks).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { labDown, labUp, LabState } from '../src/lab';
import { loadClusterFile } from '../src/model/load';
import type { ClusterInput } from '../src/model/schema';

const ROOT = path.join(__dirname, '..');

function cluster(n: number): ClusterInput {
  const lan = (i: number) => `192.168.80.${10 + i}`;
  const name = (i: number) => `h${String(i).padStart(3, '0')}`;
  const next = (i: number) => (i % n) + 1;
  const prev = (i: number) => ((i + n - 2) % n) + 1;
  return {
    name: `walltime-${n}`,
    network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    lans: [{ name: 'lan', cidr: '192.168.80.0/24' }],
    nodes: Array.from({ length: n }, (_, k) => {
      const i = k + 1;
      return {
        name: name(i),
        ssh: { host: `10.252.${n}.${10 + i}` },
        interfaces: [{ name: 'eth0', lan: 'lan', addresses: [`${lan(i)}/24`] }],
        sysctls: { 'net.ipv4.ip_forward': 1 },
        bridges: [{ name: 'br-pods', addresses: [`10.244.${i}.1/24`] }],
        routes: [{ to: `10.244.${next(i)}.0/24`, via: lan(next(i)) }, { to: `10.244.${prev(i)}.0/24`, via: lan(prev(i)) }],
        nat: {
          masquerade: [{ source: `10.244.${i}.0/24`, outInterface: 'eth0' }],
          portForwards: [{ protocol: 'tcp' as const, port: 8080, to: `10.244.${i}.10:80` }],
        },
        hosts: [{ ip: lan(next(i)), names: [name(next(i))] }, { ip: lan(prev(i)), names: [name(prev(i))] }],
      };
    }),
    verify: [{ from: name(1), ping: lan(2) }],
    lab: { managementCidr: `10.252.${n}.0/24` },
  };
}

function timed(argv: string[]): Promise<{ ms: number; status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300000);
    child.on('close', (status) => { clearTimeout(timer); resolve({ ms: performance.now() - started, status, stdout, stderr }); });
  });
}

async function floor(state: LabState): Promise<number> {
  const started = performance.now();
  const runs = await Promise.all(state.nodes.map((node) => timed(['ssh', '-F', state.sshConfigFile, '-o', 'ControlMaster=no', node.name, 'true'])));
  if (runs.some((r) => r.status !== 0)) throw new Error(`ssh true failed: ${runs.find((r) => r.status !== 0)!.stderr}`);
  return performance.now() - started;
}

async function bootstrap(file: string, state: LabState, wantChanged: boolean) {
  const run = await timed([path.join(ROOT, 'bin', 'netstrap'), 'bootstrap', file, '--json', '--ssh-config', state.sshConfigFile]);
  const result = JSON.parse(run.stdout) as { ok: boolean; durationMs: number; hosts: Array<{ status: string; roundTrips: number }> };
  const statuses = new Set(result.hosts.map((h) => h.status));
  if (!result.ok || statuses.size !== 1 || !statuses.has(wantChanged ? 'changed' : 'ok')) throw new Error(`unexpected result: ${run.stdout.slice(0, 2000)}`);
  return { wall: run.ms, engine: result.durationMs, roundTrips: result.hosts[0].roundTrips };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (netstrap lab)');
  const sizes = process.argv.slice(2).map(Number);
  const rows: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-walltime-'));
  for (const n of sizes.length ? sizes : [10, 30]) {
    const file = path.join(dir, `walltime-${n}.yaml`);
    fs.writeFileSync(file, stringify(cluster(n)));
    const stateDir = path.join(dir, `lab-${n}`);
    const state = await labUp(loadClusterFile(file), { stateDir, timeoutMs: 60000 });
    try {
      const floorMs = await floor(state);
      const first = await bootstrap(file, state, true);
      const rerun = await bootstrap(file, state, false);
      const floorAgain = await floor(state);
      const f = (floorMs + floorAgain) / 2;
      const cell = (r: { wall: number; engine: number; roundTrips: number }) =>
        `${(r.wall / 1000).toFixed(2)} s (${(r.wall / f).toFixed(2)}×) | ${(r.engine / 1000).toFixed(2)} s (${(r.engine / f).toFixed(2)}×) | ${r.roundTrips}`;
      rows.push(`| ${n} | ${(f / 1000).toFixed(2)} s | ${cell(first)} | ${cell(rerun)} |`);
      process.stderr.write(`${rows[rows.length - 1]}\n`);
    } finally {
      await labDown(stateDir);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log('| nodes | floor: parallel `ssh true` | first run: CLI wall | engine | round trips | no-op re-run: CLI wall | engine | round trips |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

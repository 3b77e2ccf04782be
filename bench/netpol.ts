/**
 * `netstrap netpol` at scale: N workloads and N NetworkPolicies (manifests in a temporary directory, the way a
 * kubectl dump or a helm render arrives), then `netpol matrix --json` and `netpol can` for one pair through the CLI
 * (wall time), plus the in-process phases (read + parse, compile, matrix). Target: 1,000 × 1,000 matrix < 10 s.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { dump } from 'js-yaml';
import { NetpolAnalysis } from '../src/model/netpol/analyze';
import { readNetpolInputs } from '../src/model/netpol/read';
import { fmt, markdownTable, median, progress, run } from './stats';

const NAMESPACES = 10;

/** N workloads in 10 namespaces, and N policies: each isolates one app, admits two peers (one AND-ed), allows DNS. */
export function netpolManifests(n: number): object[] {
  const objects: object[] = [];
  for (let k = 0; k < NAMESPACES; k++)
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns${k}`, labels: { team: `t${k % 3}` } } });
  for (let i = 0; i < n; i++) {
    const ns = `ns${i % NAMESPACES}`;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `app${i}`, namespace: ns },
      spec: {
        selector: { matchLabels: { app: `app${i}` } },
        template: {
          metadata: { labels: { app: `app${i}`, tier: ['web', 'api', 'db'][i % 3] } },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'nginx',
                ports: [
                  { name: 'http', containerPort: 80 },
                  { name: 'metrics', containerPort: 9090 },
                ],
              },
            ],
          },
        },
      },
    });
  }
  for (let i = 0; i < n; i++) {
    const ns = `ns${i % NAMESPACES}`;
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `allow-app${i}`, namespace: ns },
      spec: {
        podSelector: { matchLabels: { app: `app${i}` } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: { app: `app${(i + 1) % n}` } } }], ports: [{ port: 'http' }] },
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: `t${i % 3}` } },
                podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] },
              },
            ],
            ports: [{ port: 80, protocol: 'TCP' }],
          },
        ],
        egress: [
          { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { tier: 'db' } } }], ports: [{ port: 80 }] },
          {
            to: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { port: 53, protocol: 'UDP' },
              { port: 53, protocol: 'TCP' },
            ],
          },
        ],
      },
    });
  }
  return objects;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Builds lib/ (as `npm ci` does) so the CLI rows time the compiled launcher; returns the path bin/netstrap takes. */
function compiledCli(root: string, bin: string): 'compiled' | 'tsx' {
  progress('building lib/ (npm run build) for the netpol CLI rows');
  spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')],
    { cwd: root },
  );
  const probe = spawnSync(bin, ['--help'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NETSTRAP_DEBUG_LAUNCH: '1' },
  });
  return String(probe.stderr).includes('lib/ (compiled)') ? 'compiled' : 'tsx';
}

export function netpolBench(options: { sizes: number[]; repetitions: number }): {
  markdown: string;
  problems: string[];
} {
  const problems: string[] = [];
  const rows: string[][] = [];
  const root = path.join(__dirname, '..');
  const bin = path.join(root, 'bin', 'netstrap');
  const launch = compiledCli(root, bin);
  const measured: Array<{ n: number; inProcess: number; cliMatrix: number }> = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-bench-netpol-'));
  try {
    for (const n of options.sizes) {
      const file = path.join(dir, `n${n}.yaml`);
      fs.writeFileSync(
        file,
        netpolManifests(n)
          .map((o) => `---\n${dump(o, { noRefs: true })}`)
          .join(''),
      );
      const read: number[] = [];
      const compile: number[] = [];
      const matrix: number[] = [];
      const cliMatrix: number[] = [];
      const cliCan: number[] = [];
      let allowed = 0;
      for (let r = 0; r < options.repetitions; r++) {
        progress(`netpol N=${n} run ${r + 1}/${options.repetitions}`);
        let t = process.hrtime.bigint();
        const input = readNetpolInputs([file]);
        read.push(seconds(t));
        t = process.hrtime.bigint();
        const analysis = new NetpolAnalysis(input.inventory);
        compile.push(seconds(t));
        t = process.hrtime.bigint();
        const m = analysis.matrix(80, 'TCP');
        matrix.push(seconds(t));
        allowed = m.reduce((sum, row) => sum + row.filter(Boolean).length, 0);
        if (input.inventory.workloads.length !== n || input.inventory.policies.length !== n) {
          problems.push(
            `netpol N=${n}: read ${input.inventory.workloads.length} workloads and ${input.inventory.policies.length} policies`,
          );
        }
        t = process.hrtime.bigint();
        const out = run(bin, ['netpol', 'matrix', file, '--port', '80', '--json']);
        cliMatrix.push(seconds(t));
        const parsed = JSON.parse(out) as { matrix: Record<string, Record<string, boolean>> };
        const cliAllowed = Object.values(parsed.matrix).reduce(
          (sum, row) => sum + Object.values(row).filter(Boolean).length,
          0,
        );
        if (cliAllowed !== allowed)
          problems.push(`netpol N=${n}: the CLI matrix allows ${cliAllowed} pairs, in-process ${allowed}`);
        t = process.hrtime.bigint();
        try {
          run(bin, ['netpol', 'can', file, '--from', 'ns1/app1', '--to', 'ns0/app0', '--port', '80']);
        } catch (error) {
          if (!/exited 1/.test(String(error))) throw error; // exit 1 = denied: a valid answer
        }
        cliCan.push(seconds(t));
      }
      const previous = measured[measured.length - 1];
      const inProcess = median(read) + median(compile) + median(matrix);
      // Growth exponent k: t ∝ Nᵏ between this N and the previous one (1: linear in N, 2: quadratic, as N² pairs are).
      const growth = (now: number, before: number | undefined) =>
        previous && before ? fmt(Math.log(now / before) / Math.log(n / previous.n), 2) : '–';
      rows.push([
        String(n),
        String(n),
        fmt(median(read), 2),
        fmt(median(compile), 2),
        fmt(median(matrix), 2),
        growth(inProcess, previous?.inProcess),
        fmt(median(cliMatrix), 2),
        growth(median(cliMatrix), previous?.cliMatrix),
        fmt(median(cliCan), 2),
        `${allowed} / ${n * n}`,
      ]);
      measured.push({ n, inProcess, cliMatrix: median(cliMatrix) });
      if (n >= 1000 && median(cliMatrix) >= 10)
        problems.push(`netpol N=${n}: matrix took ${fmt(median(cliMatrix), 1)} s (target < 10 s)`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const table = markdownTable(
    [
      'workloads',
      'policies',
      'read + parse s',
      'compile s',
      'matrix s',
      'growth k (in process)',
      'CLI `matrix --json` wall s',
      'growth k (CLI)',
      'CLI `can` one pair wall s',
      'allowed pairs (TCP 80)',
    ],
    rows,
  );
  return {
    markdown:
      `${table}\n\nMedian of ${options.repetitions}. In-process phases in the bench process; CLI rows are \`bin/netstrap\` wall times ` +
      `(${launch === 'compiled' ? 'compiled lib/' : 'TypeScript through tsx'}: process start, module load, read, lints, analysis, output). ` +
      'Each policy isolates one app both ways and admits a named-port peer and an AND-ed namespace+pod peer. ' +
      'Target: a 1,000 × 1,000 matrix in under 10 s.',
    problems,
  };
}

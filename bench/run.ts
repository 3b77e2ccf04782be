/**
 * `npm run bench [-- --quick] [--only synth|bootstrap|controller|netpol|routing] [--profile] [--out file]`: netstrap side by side with raw
 * cdk8s, cdk8s-plus-27, Ansible and the SSH floor, in one run. Prints a markdown report and writes it to
 * bench/results.md (--quick: bench/out/results-quick.md, so CI never touches the committed figures).
 * A benchmark, not a test: it exits 1 only when a measurement could not be made or the tools disagree
 * (wrong object counts, invalid objects, different node state), never because a figure is slow.
 * See bench/README.md for what each column means.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { bootstrapBench } from './bootstrap';
import { controllerBench } from './controller';
import { routingBench } from './routing';
import { progress, run } from './stats';
import { synthBench } from './synth';
import { netpolBench } from './netpol';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      ansible: { type: 'boolean' },
      bundlewrap: { type: 'boolean' },
      sizes: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowNegative: true,
  });
  if (values.only && !['synth', 'bootstrap', 'controller', 'netpol', 'routing'].includes(values.only))
    throw new Error(`--only must be synth, bootstrap, controller, netpol or routing, got ${values.only}`);
  const quick = values.quick!;
  const out = values.out ?? path.join(__dirname, quick ? 'out/results-quick.md' : 'results.md');
  const started = Date.now();
  const load0 = loadavg();
  const sections: string[] = [];
  const problems: string[] = [];

  if (!values.only || values.only === 'synth') {
    const synth = synthBench({
      sizes: quick ? [200] : [1000, 5000, 20000],
      repetitions: quick ? 1 : 3,
      profile: values.profile!,
    });
    sections.push(`## Synth: cluster file → Kubernetes YAML\n\n${synth.markdown}`);
    problems.push(...synth.problems);
  }
  if (!values.only || values.only === 'netpol') {
    const netpol = netpolBench({ sizes: quick ? [100] : [250, 500, 1000], repetitions: quick ? 1 : 3 });
    sections.push(`## NetworkPolicy analysis: \`netstrap netpol\` over manifests\n\n${netpol.markdown}`);
    problems.push(...netpol.problems);
  }
  if (!values.only || values.only === 'bootstrap') {
    // Ansible is optional in --quick (--ansible adds it); the full run always compares with it (--no-ansible skips).
    // BundleWrap: --quick runs it only when `bw` is installed; the full run installs it (--no-bundlewrap skips).
    // Ansible and BundleWrap at 100 nodes run once (minutes per run), to keep the full run near 25 minutes idle.
    const sizes = values.sizes?.split(',').map(Number);
    const boot = await bootstrapBench(
      quick
        ? {
            sizes: sizes ?? [3],
            repetitions: 1,
            ansible: values.ansible ?? false,
            bundlewrap: values.bundlewrap === false ? false : 'if-present',
            compiled: false,
          }
        : {
            sizes: sizes ?? [10, 30, 100],
            repetitions: 3,
            ansible: values.ansible ?? true,
            bundlewrap: values.bundlewrap === false ? false : 'install',
            compiled: true,
            peerRuns: { ansible: { 100: 1 }, bundlewrap: { 100: 1 } },
            tsxSizes: [10],
            profile: values.profile!,
          },
    );
    sections.push(`## Bootstrap: node prep over SSH on \`netstrap lab\`\n\n${boot.markdown}`);
    problems.push(...boot.problems);
  }

  if (!values.only || values.only === 'controller') {
    // The controller alone against replayed nodes (one real 3-node lab recorded first): 100 → 1,000 nodes.
    const controller = await controllerBench({
      sizes: quick ? [30, 100] : [100, 300, 1000],
      repetitions: quick ? 1 : 3,
      profile: values.profile!,
    });
    sections.push(`## 1,000 nodes: the controller alone, against replayed nodes\n\n${controller.markdown}`);
    problems.push(...controller.problems);
  }
  if (!values.only || values.only === 'routing') {
    const routing = routingBench({ sizes: quick ? [50] : [200], repetitions: quick ? 1 : 5 });
    sections.push(
      `## Planning a routing: auto cluster (validate + pod subnets + route derivation + tracing every check)\n\n${routing.markdown}`,
    );
    problems.push(...routing.problems);
  }

  const report = [
    `# netstrap benchmark${quick ? ' (--quick)' : ''}`,
    '',
    machine(),
    '',
    ...sections.flatMap((s) => [s, '']),
    problems.length ? `## Problems\n\n${problems.map((p) => `- ${p}`).join('\n')}\n` : '',
    `Total benchmark time: ${((Date.now() - started) / 1000).toFixed(0)} s; load average (1, 5, 15 min) at the start ${load0}, at the end ${loadavg()}.`,
  ].join('\n');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${report}\n`);
  console.log(report);
  progress(`written to ${path.relative(process.cwd(), out)}`);
  if (problems.length) process.exitCode = 1;
}

/** The machine's load average: other work running during the benchmark inflates wall times. */
function loadavg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
}

function machine(): string {
  let commit = '?';
  try {
    commit = run('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname }).trim();
  } catch {
    /* not a git checkout */
  }
  const cpus = os.cpus();
  return (
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at commit ${commit}: ${cpus.length} × ${cpus[0]?.model.trim()}, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.type()} ${os.release()}.`
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});

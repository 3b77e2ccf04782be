/**
 * One synth measurement, run in a child process of bench/run.ts so that every measurement starts cold and its
 * peak RSS is its own:
 *
 *   node --import tsx bench/synth.ts <netstrap|raw|plus> <cluster.yaml> <outdir>
 *
 * Prints one JSON line: { variant, objects, kinds, ms, parseMs, buildMs, synthMs, maxRssMb }.
 * Modules are loaded, the file is read (and, for raw and plus, parsed) and a full garbage collection is run before
 * the clock starts, so every variant starts from the same clean heap; what is timed:
 * - netstrap: the path `netstrap synth` takes — parseClusterText (YAML parse, schema, every check), buildApp
 *   (ClusterChart and its constructs), app.synth() (YAML files written to outdir).
 * - raw: the same objects from `k8s.KubeService/KubeNetworkPolicy/KubeIngress` in one Chart, app.synth(). Its
 *   input is the already-parsed object list (what a hand-written cdk8s app holds in code).
 * - plus: the same app written with cdk8s-plus-27 L2 constructs (Service, NetworkPolicy, Ingress), app.synth().
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { buildApp } from '../src/app';
import { parseClusterText } from '../src/model/load';
import { resolveCluster } from '../src/model/resolve';
import { clusterSchema } from '../src/model/schema';
import { validateCluster } from '../src/model/validate';
import { isDeepStrictEqual } from 'util';
import { generateClusterText, IngressInput, NetworkPolicyInput, ServiceInput } from './generate';
import { fmt, markdownTable, median, progress, ratio, run } from './stats';

export type Variant = 'netstrap' | 'raw' | 'plus';

export interface SynthMeasurement {
  variant: Variant;
  /** Objects in the synthesized YAML, and how many of each kind. */
  objects: number;
  kinds: Record<string, number>;
  /** Wall time of the whole timed path, and its parts (parseMs is 0 for raw and plus). */
  ms: number;
  parseMs: number;
  buildMs: number;
  synthMs: number;
  /** CPU time (user + system, all threads, including the garbage collector's helpers) of the timed path. */
  cpuMs: number;
  /**
   * CPU time of the main thread alone over the timed path (10 ms ticks): what the wall time would be on an idle
   * machine, and far less disturbed by other load than the wall time.
   */
  mainCpuMs: number;
  /** Peak resident set size of the process (module loading included). */
  maxRssMb: number;
}

interface Objects {
  name: string;
  services: ServiceInput[];
  networkPolicies: NetworkPolicyInput[];
  ingresses: IngressInput[];
}

// ---------------------------------------------------------------------------------------------------------------
// raw: k8s.Kube* L1 classes, field by field

function rawApp(objects: Objects, outdir: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, objects.name, { disableResourceNameHashes: true });
  for (const s of objects.services) {
    new k8s.KubeService(chart, `service-${s.namespace}-${s.name}`, {
      metadata: { name: s.name, namespace: s.namespace, labels: s.labels, annotations: s.annotations },
      spec: {
        type: s.type,
        selector: s.selector,
        clusterIp: s.clusterIP,
        externalName: s.externalName,
        externalTrafficPolicy: s.externalTrafficPolicy,
        ports: s.ports?.map((p) => ({
          name: p.name,
          port: p.port,
          targetPort:
            p.targetPort === undefined
              ? undefined
              : typeof p.targetPort === 'number'
                ? k8s.IntOrString.fromNumber(p.targetPort)
                : k8s.IntOrString.fromString(p.targetPort),
          protocol: p.protocol,
          nodePort: p.nodePort,
        })),
      },
    });
  }
  const selector = (s?: { matchLabels?: Record<string, string> }) => (s ? { matchLabels: s.matchLabels } : undefined);
  const peers = (list?: NonNullable<NetworkPolicyInput['ingress']>[number]['from']) =>
    list?.map((peer) => ({
      ipBlock: peer.ipBlock,
      namespaceSelector: selector(peer.namespaceSelector),
      podSelector: selector(peer.podSelector),
    }));
  const ports = (list?: NonNullable<NetworkPolicyInput['ingress']>[number]['ports']) =>
    list?.map((p) => ({
      protocol: p.protocol,
      port:
        p.port === undefined
          ? undefined
          : typeof p.port === 'number'
            ? k8s.IntOrString.fromNumber(p.port)
            : k8s.IntOrString.fromString(p.port),
      endPort: p.endPort,
    }));
  for (const np of objects.networkPolicies) {
    new k8s.KubeNetworkPolicy(chart, `networkpolicy-${np.namespace}-${np.name}`, {
      metadata: { name: np.name, namespace: np.namespace, labels: np.labels, annotations: np.annotations },
      spec: {
        podSelector: selector(np.podSelector) ?? {},
        policyTypes: np.policyTypes,
        ingress: np.ingress?.map((rule) => ({ from: peers(rule.from), ports: ports(rule.ports) })),
        egress: np.egress?.map((rule) => ({ to: peers(rule.to), ports: ports(rule.ports) })),
      },
    });
  }
  for (const ing of objects.ingresses) {
    const annotations = {
      ...ing.annotations,
      ...(ing.rewriteTarget ? { 'nginx.ingress.kubernetes.io/rewrite-target': ing.rewriteTarget } : {}),
    };
    new k8s.KubeIngress(chart, `ingress-${ing.namespace}-${ing.name}`, {
      metadata: {
        name: ing.name,
        namespace: ing.namespace,
        labels: ing.labels,
        annotations: Object.keys(annotations).length ? annotations : undefined,
      },
      spec: {
        ingressClassName: ing.ingressClassName,
        tls: ing.tls?.map((t) => ({ hosts: t.hosts, secretName: t.secretName })),
        rules: ing.rules?.map((rule) => ({
          host: rule.host,
          http: {
            paths: rule.paths.map((p) => ({
              path: p.path,
              pathType: p.pathType!,
              backend: {
                service: {
                  name: p.backend.service,
                  port: typeof p.backend.port === 'number' ? { number: p.backend.port } : { name: p.backend.port },
                },
              },
            })),
          },
        })),
      },
    });
  }
  return app;
}

// ---------------------------------------------------------------------------------------------------------------
// plus: cdk8s-plus-27 L2 constructs, as close as their API allows (differences listed in bench/README.md)

function plusApp(objects: Objects, outdir: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, objects.name, { disableResourceNameHashes: true });
  const services = new Map<string, kplus.Service>();
  for (const s of objects.services) {
    const id = `service-${s.namespace}-${s.name}`;
    const service = new kplus.Service(chart, id, {
      metadata: { name: s.name, namespace: s.namespace, labels: s.labels, annotations: s.annotations },
      type: s.type as kplus.ServiceType | undefined,
      clusterIP: s.clusterIP,
      externalName: s.externalName,
      // targetPort is a number only: a named target port (e.g. "metrics") cannot be expressed; the port is used.
      // externalTrafficPolicy is not a prop at all.
      ports: s.ports?.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: typeof p.targetPort === 'number' ? p.targetPort : undefined,
        protocol: p.protocol as kplus.Protocol | undefined,
        nodePort: p.nodePort,
      })),
    });
    for (const [key, value] of Object.entries(s.selector ?? {})) service.selectLabel(key, value);
    services.set(`${s.namespace}/${s.name}`, service);
  }
  const policyPort = (
    p: NonNullable<NetworkPolicyInput['ingress']>[number]['ports'] extends (infer T)[] | undefined ? T : never,
  ) =>
    kplus.NetworkPolicyPort.of({
      port: typeof p.port === 'number' ? p.port : undefined,
      endPort: p.endPort,
      protocol: p.protocol as kplus.NetworkProtocol | undefined,
    });
  const peer = (
    scope: Construct,
    id: string,
    p: NonNullable<NonNullable<NetworkPolicyInput['ingress']>[number]['from']>[number],
  ): kplus.INetworkPolicyPeer => {
    if (p.ipBlock) return kplus.NetworkPolicyIpBlock.ipv4(scope, id, p.ipBlock.cidr, p.ipBlock.except);
    const namespaces = p.namespaceSelector
      ? kplus.Namespaces.select(scope, `${id}-ns`, { labels: p.namespaceSelector.matchLabels })
      : undefined;
    return kplus.Pods.select(scope, id, { labels: p.podSelector?.matchLabels, namespaces });
  };
  for (const np of objects.networkPolicies) {
    const id = `networkpolicy-${np.namespace}-${np.name}`;
    const scope = new Construct(chart, `${id}-peers`);
    const policy = new kplus.NetworkPolicy(chart, id, {
      metadata: { name: np.name, namespace: np.namespace, labels: np.labels, annotations: np.annotations },
      selector: kplus.Pods.select(scope, 'selector', { labels: np.podSelector?.matchLabels }),
    });
    // One peer per rule: a rule with several peers (OR) becomes one rule per peer, each with the same ports.
    np.ingress?.forEach((rule, r) =>
      rule.from?.forEach((p, k) => policy.addIngressRule(peer(scope, `in-${r}-${k}`, p), rule.ports?.map(policyPort))),
    );
    np.egress?.forEach((rule, r) =>
      rule.to?.forEach((p, k) => policy.addEgressRule(peer(scope, `out-${r}-${k}`, p), rule.ports?.map(policyPort))),
    );
  }
  for (const ing of objects.ingresses) {
    const id = `ingress-${ing.namespace}-${ing.name}`;
    const annotations = {
      ...ing.annotations,
      ...(ing.rewriteTarget ? { 'nginx.ingress.kubernetes.io/rewrite-target': ing.rewriteTarget } : {}),
    };
    const ingress = new kplus.Ingress(chart, id, {
      metadata: { name: ing.name, namespace: ing.namespace, labels: ing.labels, annotations },
      className: ing.ingressClassName,
      tls: ing.tls?.map((t, k) => ({
        hosts: t.hosts,
        secret: t.secretName ? kplus.Secret.fromSecretName(chart, `${id}-tls-${k}`, t.secretName) : undefined,
      })),
    });
    for (const rule of ing.rules ?? []) {
      for (const p of rule.paths) {
        const service = services.get(`${ing.namespace}/${p.backend.service}`)!;
        const backend = kplus.IngressBackend.fromService(service, { port: p.backend.port as number });
        if (rule.host) ingress.addHostRule(rule.host, p.path!, backend, p.pathType as kplus.HttpIngressPathType);
        else ingress.addRule(p.path!, backend, p.pathType as kplus.HttpIngressPathType);
      }
    }
  }
  return app;
}

// ---------------------------------------------------------------------------------------------------------------

/** Counts the objects of every YAML file written to `outdir`, by kind (outside the timed path). */
function countOutput(outdir: string): { objects: number; kinds: Record<string, number> } {
  const kinds: Record<string, number> = {};
  let objects = 0;
  for (const file of fs.readdirSync(outdir).filter((f) => f.endsWith('.yaml'))) {
    for (const line of fs.readFileSync(path.join(outdir, file), 'utf8').split('\n')) {
      // Top-level "kind:" lines only: one per document.
      if (line.startsWith('kind: ')) {
        const kind = line.slice(6).trim();
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        objects++;
      }
    }
  }
  return { objects, kinds };
}

/** User + system CPU time (ms) of this process's main thread (its task id is the pid), from /proc. */
function mainThreadCpuMs(): number {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in ticks of 10 ms (USER_HZ 100)
}

/**
 * Starts a CPU profile of the timed path alone (the inspector's profiler, 1 ms samples; its calls are
 * synchronous on the same thread); stop() writes it to `file`.
 */
function timedProfile(file: string | undefined): { stop(): void } | undefined {
  if (!file) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Session } = require('inspector') as typeof import('inspector');
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  return {
    stop() {
      session.post('Profiler.stop', (error, result) => {
        if (!error) fs.writeFileSync(file, JSON.stringify(result.profile));
      });
      session.disconnect();
    },
  };
}

/** Child entry: one measurement, one JSON line on stdout. */
function measure(): void {
  const [variant, file, outdir] = process.argv.slice(2) as [Variant, string, string];
  if (!['netstrap', 'raw', 'plus'].includes(variant) || !file || !outdir) {
    console.error('usage: synth.ts <netstrap|raw|plus> <cluster.yaml> <outdir>');
    process.exit(2);
  }
  const text = fs.readFileSync(file, 'utf8');
  fs.rmSync(outdir, { recursive: true, force: true });
  let parseMs = 0;
  let buildMs: number;
  let synthMs: number;
  // The hand-written apps hold their objects in code: parse outside the clock (with the parser netstrap uses).
  const cluster =
    variant === 'netstrap'
      ? undefined
      : (loadAll(text, undefined, { schema: CORE_SCHEMA })[0] as { name: string; kubernetes: Omit<Objects, 'name'> });
  // A clean heap for every variant: what module loading and an untimed parse left behind is not collected on the clock.
  (globalThis as { gc?: () => void }).gc?.();
  const profiler = timedProfile(process.env.BENCH_TIMED_PROFILE);
  const mainStart = mainThreadCpuMs();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  if (variant === 'netstrap') {
    const model = parseClusterText(text, file);
    parseMs = performance.now() - start;
    const app = buildApp(model, outdir);
    buildMs = performance.now() - start - parseMs;
    app.synth();
    synthMs = performance.now() - start - parseMs - buildMs;
  } else {
    const objects: Objects = { name: cluster!.name, ...cluster!.kubernetes };
    const buildStart = performance.now();
    const app = variant === 'raw' ? rawApp(objects, outdir) : plusApp(objects, outdir);
    buildMs = performance.now() - buildStart;
    app.synth();
    synthMs = performance.now() - buildStart - buildMs;
  }
  const cpu = process.cpuUsage(cpuStart);
  const mainCpuMs = mainThreadCpuMs() - mainStart;
  profiler?.stop();
  const ms = parseMs + buildMs + synthMs;
  const result: SynthMeasurement = {
    variant,
    ...countOutput(outdir),
    ms,
    parseMs,
    buildMs,
    synthMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainCpuMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(result));
}

// ---------------------------------------------------------------------------------------------------------------
// The synth section of `npm run bench`: generated files, children, medians, the table.

export interface SynthBenchOptions {
  sizes: number[];
  repetitions: number;
  /**
   * Write two V8 CPU profiles of every child to bench/out/prof: the whole process (node --cpu-prof, module loading
   * included) and the timed path alone (`*.timed.cpuprofile`, through the inspector), for bench/profile.ts.
   */
  profile: boolean;
}

const VARIANTS: Variant[] = ['netstrap', 'raw', 'plus'];
const LABEL: Record<Variant, string> = {
  netstrap: 'netstrap (parse + validate + constructs + synth)',
  raw: 'raw `k8s.Kube*` L1 classes',
  plus: 'cdk8s-plus-27 L2 constructs',
};
const OUT = path.join(__dirname, 'out');

function child(variant: Variant, file: string, outdir: string, profile: boolean): SynthMeasurement {
  const name = `${variant}-${path.basename(file, '.yaml')}-${Date.now()}`;
  const flags = profile
    ? ['--cpu-prof', '--cpu-prof-dir', path.join(OUT, 'prof'), '--cpu-prof-name', `${name}.cpuprofile`]
    : [];
  const env = profile
    ? { ...process.env, BENCH_TIMED_PROFILE: path.join(OUT, 'prof', `${name}.timed.cpuprofile`) }
    : process.env;
  const stdout = run(
    process.execPath,
    [...flags, '--expose-gc', '--import', 'tsx', __filename, variant, file, outdir],
    { cwd: path.join(__dirname, '..'), env },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as SynthMeasurement;
}

/** Runs the synth benchmark; returns its markdown section and the problems found (wrong object counts...). */
export function synthBench(options: SynthBenchOptions): {
  markdown: string;
  problems: string[];
  summary: SynthSummary[];
} {
  fs.mkdirSync(OUT, { recursive: true });
  const problems: string[] = [];
  const summary: SynthSummary[] = [];
  const rows: string[][] = [];
  for (const n of options.sizes) {
    const file = path.join(OUT, `cluster-${n}.yaml`);
    fs.writeFileSync(file, generateClusterText(n));
    const runs: Record<Variant, SynthMeasurement[]> = { netstrap: [], raw: [], plus: [] };
    // Interleave the variants so that machine noise spreads over all three.
    for (let r = 0; r < options.repetitions; r++) {
      for (const variant of VARIANTS) {
        progress(`synth N=${n} ${variant} run ${r + 1}/${options.repetitions}`);
        try {
          runs[variant].push(child(variant, file, path.join(OUT, `${variant}-${n}`), options.profile));
        } catch (error) {
          problems.push(`synth N=${n} ${variant}: ${(error as Error).message.split('\n').slice(0, 6).join(' ')}`);
        }
      }
    }
    const med = (variant: Variant, key: keyof SynthMeasurement) =>
      runs[variant].length ? median(runs[variant].map((m) => m[key] as number)) : undefined;
    for (const variant of VARIANTS) {
      const objects = runs[variant][0]?.objects;
      if (objects !== undefined && objects !== n)
        problems.push(
          `synth N=${n} ${variant}: synthesized ${objects} objects, expected ${n} (${JSON.stringify(runs[variant][0].kinds)})`,
        );
      const ms = med(variant, 'ms');
      rows.push([
        String(n),
        LABEL[variant],
        fmt(objects),
        fmt(ms),
        fmt(med(variant, 'mainCpuMs')),
        variant === 'netstrap'
          ? `${fmt(med(variant, 'parseMs'))} / ${fmt(med(variant, 'buildMs'))} / ${fmt(med(variant, 'synthMs'))}`
          : `– / ${fmt(med(variant, 'buildMs'))} / ${fmt(med(variant, 'synthMs'))}`,
        fmt(ms === undefined ? undefined : (ms * 1000) / n, 1),
        fmt(med(variant, 'maxRssMb')),
        ratio(ms, med('raw', 'ms')),
        ratio(med(variant, 'mainCpuMs'), med('raw', 'mainCpuMs')),
      ]);
    }
    summary.push({
      n,
      netstrapMs: med('netstrap', 'ms'),
      netstrapConstructMs: sum(med('netstrap', 'buildMs'), med('netstrap', 'synthMs')),
      rawMs: med('raw', 'ms'),
      plusMs: med('plus', 'ms'),
      netstrapCpuMs: med('netstrap', 'mainCpuMs'),
      rawCpuMs: med('raw', 'mainCpuMs'),
    });
  }
  const checked = options.sizes.length > 0 ? compareOutputs(options.sizes[0]) : { problems: [], note: '' };
  problems.push(...checked.problems);

  const largest = options.sizes[options.sizes.length - 1];
  let parseNote = '';
  if (largest !== undefined) {
    progress(`synth N=${largest}: netstrap parse breakdown`);
    const steps = JSON.parse(
      run(process.execPath, ['--import', 'tsx', __filename, 'breakdown', path.join(OUT, `cluster-${largest}.yaml`)], {
        cwd: path.join(__dirname, '..'),
      })
        .trim()
        .split('\n')
        .pop()!,
    ) as Record<string, number>;
    const bytes = fs.statSync(path.join(OUT, `cluster-${largest}.yaml`)).size;
    parseNote =
      `Where netstrap's parse goes at N=${largest} (a ${(bytes / 2 ** 20).toFixed(1)} MB cluster file; CPU ms, one run): ` +
      Object.entries(steps)
        .map(([step, ms]) => `${step} ${fmt(ms)}`)
        .join(', ') +
      '.';
  }
  const head = [
    'N',
    'variant',
    'objects',
    `median ms (${options.repetitions} run${options.repetitions > 1 ? 's' : ''})`,
    'main-thread CPU ms',
    'parse / build / synth ms',
    'µs per object',
    'peak RSS MB',
    '× raw',
    '× raw (main-thread CPU)',
  ];
  const lines = [markdownTable(head, rows), '', synthVerdict(summary), '', checked.note, '', parseNote];
  return { markdown: lines.join('\n'), problems, summary };
}

export interface SynthSummary {
  n: number;
  netstrapMs?: number;
  /** netstrap without the cluster-file parse and checks: constructs + synth only. */
  netstrapConstructMs?: number;
  rawMs?: number;
  plusMs?: number;
  /** Main-thread CPU of the timed path (less disturbed by other load than wall time). */
  netstrapCpuMs?: number;
  rawCpuMs?: number;
}

function sum(a?: number, b?: number): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

/** Growth exponent k of t ∝ N^k between two sizes: 1.0 is linear. */
function exponent(n1: number, t1?: number, n2?: number, t2?: number): number | undefined {
  if (t1 === undefined || t2 === undefined || n2 === undefined) return undefined;
  return Math.log(t2 / t1) / Math.log(n2 / n1);
}

function synthVerdict(summary: SynthSummary[]): string {
  const rows = summary.map((s, i) => {
    const prev = summary[i - 1];
    const mark = (a?: number, b?: number) => (a === undefined || b === undefined ? '' : a / b <= 1.25 ? ' ✓' : ' ✗');
    const k = prev ? exponent(prev.n, prev.netstrapMs, s.n, s.netstrapMs) : undefined;
    return [
      String(s.n),
      ratio(s.netstrapMs, s.rawMs) + mark(s.netstrapMs, s.rawMs),
      ratio(s.netstrapCpuMs, s.rawCpuMs) + mark(s.netstrapCpuMs, s.rawCpuMs),
      ratio(s.netstrapConstructMs, s.rawMs) + mark(s.netstrapConstructMs, s.rawMs),
      ratio(s.plusMs, s.rawMs),
      k === undefined ? '–' : `${fmt(k, 2)}${k <= 1.1 ? ' ✓' : ' ✗'}`,
      prev ? fmt(exponent(prev.n, prev.rawMs, s.n, s.rawMs), 2) : '–',
    ];
  });
  return markdownTable(
    [
      'N',
      'netstrap ÷ raw, wall (target ≤ 1.25×)',
      'netstrap ÷ raw, main-thread CPU',
      'netstrap constructs + synth only ÷ raw',
      'cdk8s-plus ÷ raw',
      'netstrap growth exponent k (t ∝ Nᵏ from the previous N; target ≤ 1.1: linear or better)',
      'raw growth exponent k',
    ],
    rows,
  );
}

/**
 * The three variants must produce the same objects: compares netstrap's and cdk8s-plus's output with raw's, object
 * by object (parsed, not text), and validates every object of every variant against the Kubernetes OpenAPI schema.
 */
function compareOutputs(n: number): { problems: string[]; note: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readYamlDocuments, validateManifest } =
    require('../test/support/k8s') as typeof import('../test/support/k8s');
  const load = (variant: Variant) => {
    const dir = path.join(OUT, `${variant}-${n}`);
    if (!fs.existsSync(dir)) return new Map<string, unknown>();
    const objects = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => readYamlDocuments(path.join(dir, f)));
    return new Map(objects.map((o) => [`${o.kind} ${o.metadata.namespace}/${o.metadata.name}`, o]));
  };
  const problems: string[] = [];
  const outputs = Object.fromEntries(VARIANTS.map((v) => [v, load(v)])) as Record<Variant, Map<string, unknown>>;
  for (const variant of VARIANTS) {
    for (const object of outputs[variant].values()) {
      try {
        validateManifest(object as never);
      } catch (error) {
        problems.push(`synth N=${n} ${variant}: invalid object: ${(error as Error).message.slice(0, 300)}`);
        break;
      }
    }
  }
  const same = (variant: Variant) => {
    const differing = [...outputs.raw]
      .filter(([key, object]) => !isDeepStrictEqual(outputs[variant].get(key), object))
      .map(([key]) => key);
    return (
      `${variant}: ${outputs.raw.size - differing.length} of ${outputs.raw.size} objects identical to raw's` +
      (differing.length ? ` (first that differs: ${differing[0]})` : '')
    );
  };
  const note =
    `Output check at N=${n}: every object of every variant validated against the Kubernetes OpenAPI ` +
    `schema (kubernetes-models 4.5.1)${problems.length ? ' — FAILED, see problems' : ''}; ${same('netstrap')}; ${same('plus')}.`;
  return { problems, note };
}

/**
 * Child entry `synth.ts breakdown <cluster.yaml>`: where netstrap's parse time goes — the same three steps
 * parseClusterText takes (YAML parse, zod schema, validateCluster), each timed in CPU ms.
 */
function breakdown(file: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const steps: Record<string, number> = {};
  let mark = process.cpuUsage();
  const lap = (name: string) => {
    const used = process.cpuUsage(mark);
    steps[name] = (used.user + used.system) / 1000;
    mark = process.cpuUsage();
  };
  const raw = loadAll(text, undefined, { schema: CORE_SCHEMA })[0];
  lap('YAML parse (js-yaml loadAll, core schema)');
  const parsed = clusterSchema.safeParse(raw);
  lap('schema (zod safeParse)');
  if (!parsed.success) throw new Error('generated file fails the schema');
  validateCluster(resolveCluster(parsed.data), path.dirname(file));
  lap('semantic checks (validateCluster)');
  console.log(JSON.stringify(steps));
}

if (require.main === module) {
  if (process.argv[2] === 'breakdown') breakdown(process.argv[3]);
  else measure();
}

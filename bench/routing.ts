/**
 * Planning a routing: auto cluster (issue 12): the time from cluster-file text to a checked model — YAML parse,
 * schema, every semantic check, pod-subnet allocation, route derivation and the static trace of every verify check —
 * for a cluster of N nodes: LANs in a chain joined by N_LANS-1 routers (role host), the other nodes Kubernetes
 * workers with the bridge CNI, and two checks per worker (pod to a pod of the farthest LAN, node to a node of the
 * next LAN). Each phase is also timed on its own, on a fresh parse: pod subnets and routes as resolve.ts derives them,
 * then every check traced over one trace network.
 */
import { parseClusterText } from '../src/model/load';
import { computePodSubnets } from '../src/model/pod-subnets';
import { computeRouting } from '../src/model/routing';
import { traceNetwork, traceProbe } from '../src/model/trace';

const LANS = 8;

/** The cluster file of `nodes` nodes (LANS - 1 routers, the rest workers spread over the LANs). */
export function routingCluster(nodes: number): string {
  const workers = nodes - (LANS - 1);
  const lines = [
    'name: bench-routing',
    'network: { podCidr: 10.96.0.0/12, serviceCidr: 10.200.0.0/16 }',
    'cni: { plugin: bridge }',
    'routing: auto',
    'lans:',
    ...Array.from({ length: LANS }, (_, l) => `  - { name: lan${l}, cidr: 172.16.${l}.0/24 }`),
    'nodes:',
  ];
  for (let r = 0; r < LANS - 1; r++) {
    lines.push(
      `  - name: r${r}`,
      '    role: host',
      `    ssh: { host: 10.250.120.${200 + r} }`,
      '    sysctls: { net.ipv4.ip_forward: 1 }',
      `    interfaces: [{ name: eth0, lan: lan${r}, addresses: [172.16.${r}.1/24] }, { name: eth1, lan: lan${r + 1}, addresses: [172.16.${r + 1}.2/24] }]`,
    );
  }
  const lanOf = (w: number) => w % LANS;
  const host = (w: number) => 10 + Math.floor(w / LANS);
  for (let w = 0; w < workers; w++) {
    lines.push(
      `  - { name: w${w}, cniConflists: true, ssh: { host: 10.250.${121 + Math.floor(w / 250)}.${(w % 250) + 1} }, ` +
        `interfaces: [{ name: eth0, lan: lan${lanOf(w)}, addresses: [172.16.${lanOf(w)}.${host(w)}/24] }] }`,
    );
  }
  lines.push('verify:');
  for (let w = 0; w < workers; w++) {
    const far = (w + Math.floor(LANS / 2)) % workers;
    const next = (w + 1) % workers;
    lines.push(`  - { from: w${w}/web, tcp: w${far}/web:80 }`, `  - { from: w${w}, ping: w${next} }`);
  }
  return `${lines.join('\n')}\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

export function routingBench(options: { sizes: number[]; repetitions: number }): {
  markdown: string;
  problems: string[];
} {
  const problems: string[] = [];
  const rows: string[] = [];
  for (const nodes of options.sizes) {
    const text = routingCluster(nodes);
    const whole: number[] = [];
    const parse: number[] = [];
    const allocate: number[] = [];
    const derive: number[] = [];
    const traceAll: number[] = [];
    let routes = 0;
    let checks = 0;
    for (let i = 0; i < options.repetitions + 1; i++) {
      // The first round warms the JIT and is not counted.
      const all = timed(() => parseClusterText(text, 'bench-routing.yaml'));
      const bare = timed(() => parseClusterText(text, 'bench-routing.yaml', { traceProbes: false })).value.cluster;
      const fresh = { ...bare };
      const a = timed(() => computePodSubnets(fresh));
      const d = timed(() => computeRouting(fresh, a.value));
      const t = timed(() => {
        const net = traceNetwork(fresh);
        return fresh.verify.map((spec) => traceProbe(fresh, spec, net));
      });
      if (i === 0) {
        routes = [...d.value.routes.values()].reduce((n, list) => n + list.length, 0);
        checks = t.value.length;
        const failing = t.value.filter((r) => r.verdict !== 'delivered');
        if (failing.length > 0)
          problems.push(
            `routing bench: ${failing.length} checks not delivered, e.g. ${failing[0].from} → ${failing[0].to}: ${failing[0].reason}`,
          );
        if (a.value.subnets.length !== nodes - (LANS - 1))
          problems.push(`routing bench: ${a.value.subnets.length} pod subnets for ${nodes - (LANS - 1)} workers`);
        continue;
      }
      whole.push(all.ms);
      parse.push(timed(() => parseClusterText(text, 'bench-routing.yaml', { traceProbes: false })).ms);
      allocate.push(a.ms);
      derive.push(d.ms);
      traceAll.push(t.ms);
    }
    rows.push(
      `| ${nodes} | ${LANS} / ${LANS - 1} | ${routes} | ${checks} | ${median(whole).toFixed(0)} | ${median(parse).toFixed(0)} | ` +
        `${median(allocate).toFixed(1)} | ${median(derive).toFixed(0)} | ${median(traceAll).toFixed(0)} (${((median(traceAll) / checks) * 1000).toFixed(0)} µs each) |`,
    );
  }
  return {
    problems,
    markdown: [
      `| nodes | LANs / routers | routes derived | checks traced | plan: parse + validate + derive + trace every check, median ms (${options.repetitions} runs) | ` +
        'of which parse + validate without tracing | pod subnets ms | route derivation ms | tracing every check ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      'Pure model work (no SSH, no lab): what `netstrap validate`, `plan` and `bootstrap` spend before touching a node. ' +
        "Checks: each worker's pod connects to a pod 4 LANs away (up to 4 routers), and each worker pings the next worker.",
    ].join('\n'),
  };
}

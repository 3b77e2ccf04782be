import { Command } from 'commander';
import { type Output, printWarnings, processOutput } from './output';

export function registerValidate(program: Command, out: Output = processOutput): void {
  program
    .command('validate')
    .description(
      'check a cluster file; print a one-line summary, or every error as file: path: message (exit 2). ' +
        'Lock-outs the file alone shows (a DNAT of the SSH port, a route replacing the network of ssh.host) are errors too',
    )
    .argument('<cluster.yaml>', 'the cluster file')
    .option(
      '--allow-disruption',
      'report lock-outs as warnings (bootstrap --allow-disruption applies them under commit-confirm)',
    )
    .action((file: string, opts: { allowDisruption?: boolean }) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for the model's modules.
      const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
      const { InputError } = require('../model/errors') as typeof import('../model/errors');
      const { staticLockoutIssues } = require('../host/lockout') as typeof import('../host/lockout');
      const { clusterWarnings } = require('../model/netpol/lints') as typeof import('../model/netpol/lints');
      const model = loadClusterFile(file);
      const { cluster, layout } = model;
      printWarnings(out, model);
      const { withLines } = require('../model/source-lines') as typeof import('../model/source-lines');
      const lockouts = new InputError(file, withLines(staticLockoutIssues(cluster), model.lineOf));
      if (lockouts.issues.length > 0 && !opts.allowDisruption) throw lockouts;
      for (const line of lockouts.lines()) out.err(`warning: ${line}\n`);
      for (const warning of clusterWarnings(cluster, file)) out.err(`warning: ${warning}\n`);
      const k = cluster.kubernetes;
      out.out(
        `${file}: ok: cluster ${cluster.name}: pods ${layout.podCidrs.map((r) => r.text).join(' + ')}, services ${layout.serviceCidrs.map((r) => r.text).join(' + ')}, ` +
          `dns ${layout.dnsServiceIp.toString()}; ${counted(k.services.length, 'service')}, ${counted(k.ingresses.length, 'ingress', 'ingresses')}, ` +
          `${counted(k.networkPolicies.length, 'network policy', 'network policies')}${k.workloads ? `, ${counted(k.workloads.length, 'workload')}` : ''}; ${counted(cluster.nodes.length, 'node')}\n`,
      );
      // Which node allocates pod addresses from where (src/model/pod-subnets.ts), and how far the checks were traced.
      if (cluster.nodes.length > 0) {
        const { formatPodSubnetTable, podSubnets } =
          require('../model/pod-subnets') as typeof import('../model/pod-subnets');
        const { deriveRouting } = require('../model/routing') as typeof import('../model/routing');
        if (podSubnets(cluster).subnets.length > 0) out.out(formatPodSubnetTable(cluster));
        if (cluster.routing === 'auto') {
          const routing = deriveRouting(cluster);
          const count = [...routing.routes.values()].reduce((n, list) => n + list.length, 0);
          out.out(`routing: auto: ${count} routes derived; routers: ${routing.routers.join(', ') || 'none'}\n`);
        }
        if (cluster.verify.length > 0) {
          out.out(
            `verify: ${counted(cluster.verify.length, 'check')} traced, none can fail as declared (netstrap trace shows each path)\n`,
          );
          // A TCP check expecting failure on a delivered path asserts a closed port: say what it relies on.
          const { traceProbe } = require('../model/trace') as typeof import('../model/trace');
          cluster.verify.forEach((spec, i) => {
            if (spec.tcp === undefined || spec.expect !== 'failure') return;
            if (traceProbe(cluster, spec).verdict !== 'delivered') return;
            out.out(
              `verify[${i}]: ${spec.from} → tcp ${spec.tcp}: the path delivers; it passes only while nothing listens on the port\n`,
            );
          });
        }
      }
    });
}

/** `1 ingress`, `2 ingresses`. */
function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

import { Command } from 'commander';
import { type Output, processOutput } from './output';

export function registerValidate(program: Command, out: Output = processOutput): void {
  program.command('validate')
    .description('check a cluster file; print a one-line summary, or every error as file: path: message (exit 2)')
    .argument('<cluster.yaml>', 'the cluster file')
    .action((file: string) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for the model's modules.
      const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
      const { cluster, plan } = loadClusterFile(file);
      const k = cluster.kubernetes;
      out.out(`${file}: ok: cluster ${cluster.name}: pods ${plan.podCidr.toCidrString()}, services ${plan.serviceCidr.toCidrString()}, `
        + `dns ${plan.dnsServiceIp.toString()}; ${k.services.length} services, ${k.ingresses.length} ingresses, `
        + `${k.networkPolicies.length} network policies; ${cluster.nodes.length} nodes\n`);
    });
}

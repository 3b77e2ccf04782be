import { Command } from 'commander';

export function registerValidate(program: Command): void {
  program.command('validate')
    .description('check a cluster file; print a one-line summary, or every error as file: path: message (exit 2)')
    .argument('<cluster.yaml>', 'the cluster file')
    .action((file: string) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for the model's modules.
      const { loadClusterFile } = require('../model/load') as typeof import('../model/load');
      const { clusterWarnings } = require('../model/netpol/lints') as typeof import('../model/netpol/lints');
      const { cluster, plan } = loadClusterFile(file);
      for (const warning of clusterWarnings(cluster, file)) console.error(`warning: ${warning}`);
      const k = cluster.kubernetes;
      console.log(`${file}: ok: cluster ${cluster.name}: pods ${plan.podCidr.toCidrString()}, services ${plan.serviceCidr.toCidrString()}, `
        + `dns ${plan.dnsServiceIp.toString()}; ${k.services.length} services, ${k.ingresses.length} ingresses, `
        + `${k.networkPolicies.length} network policies${k.workloads ? `, ${k.workloads.length} workloads` : ''}; ${cluster.nodes.length} nodes`);
    });
}

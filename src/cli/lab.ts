import { Command } from 'commander';
import { LabError, labDown, labReboot, labStatus, labUp } from '../lab';
import { defaultStateDir } from '../lab/state';
import type { ClusterModel } from '../model/load';

interface LabOptions { stateDir?: string }

/** A LabError (not root, address clash, node failed) is reported as one clear message, exit 1. */
function reported<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (!(error instanceof LabError)) throw error;
      console.error(`netstrap lab: ${error.message}`);
      process.exitCode = 1;
    }
  };
}

/** The model's modules load only when a lab command runs (not for `--help` or the other commands). */
function loadClusterFile(file: string): ClusterModel {
  return (require('../model/load') as typeof import('../model/load')).loadClusterFile(file);
}

function stateDirOf(clusterName: string, options: LabOptions): string {
  return options.stateDir ?? defaultStateDir(clusterName);
}

export function registerLab(program: Command): void {
  const lab = program.command('lab')
    .description('real lab nodes on this machine: network namespaces running OpenSSH, cabled to the cluster\'s LANs (needs root)');
  const stateDirOption = ['--state-dir <dir>', 'the lab\'s state directory (keys, ssh_config, known_hosts, state.json); default .lab/<cluster-name>'] as const;

  lab.command('up')
    .description('create the nodes and LANs of a cluster file; prints the ssh_config to use (error if the lab is already up)')
    .argument('<cluster.yaml>', 'the cluster file')
    .option(...stateDirOption)
    .action(reported(async (file: string, options: LabOptions) => {
      const model = loadClusterFile(file);
      const started = Date.now();
      const state = await labUp(model, { stateDir: stateDirOf(model.cluster.name, options) });
      for (const node of state.nodes) console.log(`${node.name}\t${node.address}:${node.port}\tnetns ${node.netns}\tpid ${node.pid}`);
      console.log(`lab ${state.cluster} up: ${state.nodes.length} nodes in ${((Date.now() - started) / 1000).toFixed(1)} s; `
        + `ssh -F ${state.sshConfigFile} <node>`);
      // plan, bootstrap, verify and reset find the lab by themselves (src/cli/lab-target.ts).
      const stateDir = options.stateDir === undefined ? '' : ` --state-dir ${options.stateDir}`;
      console.log(`next: netstrap plan ${file}${stateDir}, then netstrap bootstrap ${file}${stateDir}`);
    }));

  lab.command('down')
    .description('remove everything `lab up` created (processes, namespaces, bridges, the state directory)')
    .argument('<cluster.yaml>', 'the cluster file')
    .option(...stateDirOption)
    .action(reported(async (file: string, options: LabOptions) => {
      const model = loadClusterFile(file);
      const started = Date.now();
      const result = await labDown(stateDirOf(model.cluster.name, options));
      console.log(`lab ${result.cluster} down: ${result.nodes} nodes, ${result.namespaces} namespaces removed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }));

  lab.command('status')
    .description('list the lab\'s nodes and whether each sshd answers; exit 1 when one does not')
    .argument('<cluster.yaml>', 'the cluster file')
    .option(...stateDirOption)
    .action(reported(async (file: string, options: LabOptions) => {
      const model = loadClusterFile(file);
      const { state, nodes } = await labStatus(stateDirOf(model.cluster.name, options));
      for (const node of nodes) {
        const health = node.banner ? `up (${node.banner})` : node.running ? 'not answering' : 'down';
        console.log(`${node.name}\t${node.address}:${node.port}\tpid ${node.pid}\t${health}`);
      }
      const up = nodes.filter((n) => n.banner).length;
      console.log(`lab ${state.cluster}: ${up}/${nodes.length} nodes answer; ssh -F ${state.sshConfigFile} <node>`);
      if (up < nodes.length) process.exitCode = 1;
    }));

  lab.command('reboot')
    .description('emulate a reboot of one node: kill its processes, give it a fresh network namespace with the lab\'s '
      + 'cabling (all runtime state gone), keep its disk, run netstrap\'s sysctl.d file and unit command, start sshd')
    .argument('<cluster.yaml>', 'the cluster file')
    .argument('<node>', 'the node to reboot')
    .option(...stateDirOption)
    .action(reported(async (file: string, nodeName: string, options: LabOptions) => {
      const model = loadClusterFile(file);
      const started = Date.now();
      const node = await labReboot(stateDirOf(model.cluster.name, options), nodeName);
      console.log(`${node.name} rebooted in ${((Date.now() - started) / 1000).toFixed(1)} s: pid ${node.pid}; `
        + `boot log: ${node.dir}/sshd.log`);
    }));

  for (const command of lab.commands) command.exitOverride().allowExcessArguments(false);
}

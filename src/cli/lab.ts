import { Command } from 'commander';
import { defaultStateDir, endpointText } from '../lab/state';
import { InputError } from '../model/errors';
import { printWarnings, processOutput } from './output';
import type { ClusterModel } from '../model/load';
import { EXIT_FAILED, type ExitStatus } from './exit-codes';
import { NAMESPACE_NAME } from '../model/schema';
import type { LabService as LabServiceName, LabServiceAction } from '../lab/services';

interface LabOptions {
  stateDir?: string;
}

/**
 * The lab's modules (zx, namespaces, sshd) load when a lab command runs: every other command (bootstrap above all)
 * would pay tens of milliseconds of start-up for them.
 */
const labModule = () => require('../lab') as typeof import('../lab');

/** A LabError (not root, address clash, node failed) is reported as one clear message, exit 1. */
function reporting(status: ExitStatus) {
  return <A extends unknown[]>(action: (...args: A) => Promise<void>): ((...args: A) => Promise<void>) =>
    async (...args: A) => {
      try {
        await action(...args);
      } catch (error) {
        if (!(error instanceof labModule().LabError)) throw error;
        console.error(`netstrap lab: ${error.message}`);
        status.code = EXIT_FAILED;
      }
    };
}

/** The model's modules load only when a lab command runs (not for `--help` or the other commands). */
function loadClusterFile(file: string): ClusterModel {
  const model = (require('../model/load') as typeof import('../model/load')).loadClusterFile(file);
  printWarnings(processOutput, model);
  return model;
}

function stateDirOf(clusterName: string, options: LabOptions): string {
  return options.stateDir ?? defaultStateDir(clusterName);
}

export function registerLab(program: Command, status: ExitStatus): void {
  const lab = program
    .command('lab')
    .description(
      "real lab nodes on this machine: network namespaces running OpenSSH, cabled to the cluster's LANs (needs root)",
    );
  registerLifecycle(lab, status);
  registerPods(lab, status);
  registerExec(lab, status);
  registerService(lab, status);
  for (const command of lab.commands) command.exitOverride().allowExcessArguments(false);
}

const stateDirOption = [
  '--state-dir <dir>',
  "the lab's state directory (keys, ssh_config, known_hosts, state.json); default .lab/<cluster-name>",
] as const;

/** lab up, down, status. */
function registerLifecycle(lab: Command, status: ExitStatus): void {
  const reported = reporting(status);

  lab
    .command('up')
    .description(
      'create the nodes and LANs of a cluster file; prints the ssh_config to use (error if the lab is already up)',
    )
    .argument('<cluster.yaml>', 'the cluster file')
    .option(...stateDirOption)
    .action(
      reported(async (file: string, options: LabOptions) => {
        const model = loadClusterFile(file);
        const started = Date.now();
        const state = await labModule().labUp(model, { stateDir: stateDirOf(model.cluster.name, options) });
        for (const node of state.nodes)
          console.log(`${node.name}\t${endpointText(node.address, node.port)}\tnetns ${node.netns}\tpid ${node.pid}`);
        console.log(
          `lab ${state.cluster} up: ${state.nodes.length} nodes in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
            `ssh -F ${state.sshConfigFile} <node>`,
        );
        // plan, bootstrap, verify and reset find the lab by themselves (src/cli/lab-target.ts).
        const stateDir = options.stateDir === undefined ? '' : ` --state-dir ${options.stateDir}`;
        console.log(`next: netstrap plan ${file}${stateDir}, then netstrap bootstrap ${file}${stateDir}`);
      }),
    );

  lab
    .command('down')
    .description('remove everything `lab up` created (processes, namespaces, bridges, the state directory)')
    .argument('<cluster.yaml>', 'the cluster file')
    .option(...stateDirOption)
    .action(
      reported(async (file: string, options: LabOptions) => {
        const model = loadClusterFile(file);
        const started = Date.now();
        const stateDir = stateDirOf(model.cluster.name, options);
        const result = await labModule().labDown(stateDir);
        if (!result) {
          console.log(`lab ${model.cluster.name}: no lab in ${stateDir} (no state.json): nothing to remove`);
          return;
        }
        console.log(
          `lab ${result.cluster} down: ${result.nodes} nodes, ${result.namespaces} namespaces removed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      }),
    );

  lab
    .command('status')
    .description("list the lab's nodes and whether each sshd answers; exit 1 when one does not")
    .argument('<cluster.yaml>', 'the cluster file')
    .option(...stateDirOption)
    .action(
      reported(async (file: string, options: LabOptions) => {
        const model = loadClusterFile(file);
        const { state, nodes } = await labModule().labStatus(stateDirOf(model.cluster.name, options));
        for (const node of nodes) {
          const health = node.banner ? `up (${node.banner})` : node.running ? 'not answering' : 'down';
          console.log(`${node.name}\t${endpointText(node.address, node.port)}\tpid ${node.pid}\t${health}`);
        }
        const up = nodes.filter((n) => n.banner).length;
        console.log(`lab ${state.cluster}: ${up}/${nodes.length} nodes answer; ssh -F ${state.sshConfigFile} <node>`);
        if (up < nodes.length) status.code = EXIT_FAILED;
      }),
    );
}

/** lab pod add, del, list. */
function registerPods(lab: Command, status: ExitStatus): void {
  const reported = reporting(status);
  const pod = lab
    .command('pod')
    .description("pods in lab nodes: a network namespace wired by the node's CNI configuration and plugins");
  pod
    .command('add')
    .description(
      "create pod NAME on NODE with the node's CNI configuration (first file of /etc/cni/net.d), as a runtime does: " +
        'ADD through the chain, CHECK; prints NAME IPV4 IPV6 (one address for a single-stack pod)',
    )
    .argument('<cluster.yaml>', 'the cluster file')
    .argument('<node>', 'the lab node')
    .argument('<name>', 'the pod (a network namespace inside the node)')
    .option(
      '--port <mapping>',
      'a hostPort, HOSTPORT:PODPORT/tcp (runtimeConfig.portMappings; repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option(...stateDirOption)
    .action(
      reported(async (file: string, node: string, name: string, options: LabOptions & { port: string[] }) => {
        const model = loadClusterFile(file);
        const { parsePortMapping, podAdd, podAddresses } = require('../lab/pods') as typeof import('../lab/pods');
        const ports = options.port.map((text) => {
          const mapping = parsePortMapping(text);
          if (!mapping)
            throw new InputError('netstrap lab pod add', [
              {
                path: ['port'],
                message: `must be HOSTPORT:PODPORT/tcp (or /udp), ports 1-65535 (got ${JSON.stringify(text)})`,
              },
            ]);
          return mapping;
        });
        const created = await podAdd(await upState(model, options), node, name, { ports });
        for (const message of created.checkFailures) console.error(`netstrap lab: warning: ${message}`);
        // NAME IPV4 IPV6 (one address for a single-stack pod).
        console.log([created.name, ...podAddresses(created)].join(' '));
      }),
    );
  pod
    .command('del')
    .description('delete pod NAME on NODE: DEL through the CNI chain in reverse, then its namespace')
    .argument('<cluster.yaml>', 'the cluster file')
    .argument('<node>', 'the lab node')
    .argument('<name>', 'the pod')
    .option(...stateDirOption)
    .action(
      reported(async (file: string, node: string, name: string, options: LabOptions) => {
        const model = loadClusterFile(file);
        const { podDel } = require('../lab/pods') as typeof import('../lab/pods');
        const result = await podDel(await upState(model, options), node, name);
        console.log(`${name} deleted (DEL ${result.deletes.map((d) => `${d.plugin} exit ${d.status}`).join(', ')})`);
      }),
    );
  pod
    .command('list')
    .description("list the lab's pods with their node, IP and hostPorts")
    .argument('<cluster.yaml>', 'the cluster file')
    .option(...stateDirOption)
    .action(
      reported(async (file: string, options: LabOptions) => {
        const model = loadClusterFile(file);
        const { podAddresses, readPods } = require('../lab/pods') as typeof import('../lab/pods');
        for (const p of readPods(await upState(model, options))) {
          console.log(
            `${p.node}/${p.name}\t${podAddresses(p).join(' ')}${p.ports.length > 0 ? `\t${p.ports.map((m) => `${m.hostPort}:${m.containerPort}/${m.protocol}`).join(',')}` : ''}`,
          );
        }
      }),
    );
  for (const command of pod.commands) command.exitOverride().allowExcessArguments(false);
}

/** lab exec, reboot. */
function registerExec(lab: Command, status: ExitStatus): void {
  const reported = reporting(status);
  lab
    .command('exec')
    .description(
      'run a command inside a lab node, or inside one of its namespaces (a pod or a declared namespace): NODE[/NAMESPACE] -- CMD...; ' +
        "exits with the command's status",
    )
    .argument('<cluster.yaml>', 'the cluster file')
    .argument('<where>', 'NODE or NODE/NAMESPACE')
    .argument('<command...>', 'the command and its arguments (after --)')
    .option(
      '--timeout <seconds>',
      'kill the command after this long',
      (v: string) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0)
          throw new InputError('netstrap lab exec', [
            { path: ['timeout'], message: `must be a positive number (got ${JSON.stringify(v)})` },
          ]);
        return n;
      },
      30,
    )
    .option(...stateDirOption)
    .action(
      reported(async (file: string, where: string, argv: string[], options: LabOptions & { timeout: number }) => {
        const model = loadClusterFile(file);
        const [node, namespace, extra] = where.split('/');
        if (
          extra !== undefined ||
          !node ||
          namespace === '' ||
          (namespace !== undefined && !NAMESPACE_NAME.test(namespace))
        ) {
          throw new InputError('netstrap lab exec', [
            { path: ['where'], message: `must be NODE or NODE/NAMESPACE (got ${JSON.stringify(where)})` },
          ]);
        }
        const { labExec } = labModule();
        const state = await upState(model, options);
        const result = await labExec(state, node, [...(namespace ? ['ip', 'netns', 'exec', namespace] : []), ...argv], {
          timeoutMs: options.timeout * 1000,
          allowFailure: true,
        });
        process.stdout.write(result.stdout);
        process.stderr.write(result.stderr);
        status.code = result.status ?? EXIT_FAILED;
      }),
    );

  lab
    .command('reboot')
    .description(
      "emulate a reboot of one node: kill its processes, give it a fresh network namespace with the lab's " +
        "cabling (all runtime state gone), keep its disk, run netstrap's sysctl.d file and unit command, start sshd",
    )
    .argument('<cluster.yaml>', 'the cluster file')
    .argument('<node>', 'the node to reboot')
    .option(...stateDirOption)
    .action(
      reported(async (file: string, nodeName: string, options: LabOptions) => {
        const model = loadClusterFile(file);
        const started = Date.now();
        const node = await labModule().labReboot(stateDirOf(model.cluster.name, options), nodeName);
        console.log(
          `${node.name} rebooted in ${((Date.now() - started) / 1000).toFixed(1)} s: pid ${node.pid}; ` +
            `boot log: ${node.dir}/sshd.log`,
        );
      }),
    );
}

/** lab service NODE systemd-networkd start|stop|restart. */
function registerService(lab: Command, status: ExitStatus): void {
  const reported = reporting(status);
  const { LAB_SERVICES, LAB_SERVICE_ACTIONS } = require('../lab/services') as typeof import('../lab/services');
  lab
    .command('service')
    .description(
      'start, stop or restart a service of a lab node, as systemctl would on a real host (a lab node has no systemd): ' +
        'systemd-networkd, on a node with lab: { networkManager: networkd | netplan }',
    )
    .argument('<cluster.yaml>', 'the cluster file')
    .argument('<node>', 'the lab node')
    .argument('<service>', LAB_SERVICES.join(' | '))
    .argument('<action>', LAB_SERVICE_ACTIONS.join(' | '))
    .option(...stateDirOption)
    .action(
      reported(async (file: string, nodeName: string, service: string, action: string, options: LabOptions) => {
        const model = loadClusterFile(file);
        const issues = [
          ...((LAB_SERVICES as readonly string[]).includes(service)
            ? []
            : [
                {
                  path: ['service'],
                  message: `must be one of ${LAB_SERVICES.join(', ')} (got ${JSON.stringify(service)})`,
                },
              ]),
          ...((LAB_SERVICE_ACTIONS as readonly string[]).includes(action)
            ? []
            : [
                {
                  path: ['action'],
                  message: `must be one of ${LAB_SERVICE_ACTIONS.join(', ')} (got ${JSON.stringify(action)})`,
                },
              ]),
        ];
        if (issues.length > 0) throw new InputError('netstrap lab service', issues);
        const started = Date.now();
        const pids = await labModule().labService(
          stateDirOf(model.cluster.name, options),
          nodeName,
          service as LabServiceName,
          action as LabServiceAction,
        );
        console.log(
          `${nodeName}: ${service} ${action === 'stop' ? 'stopped' : `${action}ed`} in ${((Date.now() - started) / 1000).toFixed(1)} s` +
            (pids.length > 0 ? `: pid ${pids.join(', ')}` : ''),
        );
      }),
    );
}

/** The running lab of a cluster file (a LabError when there is none). */
async function upState(model: ClusterModel, options: LabOptions) {
  const { readState } = require('../lab/state') as typeof import('../lab/state');
  const dir = stateDirOf(model.cluster.name, options);
  const state = readState(dir);
  if (!state) throw new (labModule().LabError)(`no lab of ${model.cluster.name} in ${dir} (run netstrap lab up first)`);
  return state;
}

/**
 * The one place where plan, bootstrap, verify and reset find the cluster's running lab: without --ssh-config,
 * a lab that is up (`.lab/<cluster-name>/state.json`, or --state-dir) is reached through its ssh_config (its key
 * and strict known_hosts), said in one line on stderr. An explicit --ssh-config always wins; a stale lab state is
 * reported and not used; an explicit --state-dir without a usable lab is an input error (nothing is touched).
 */
import * as path from 'path';
import { InputError } from '../model/errors';

export interface LabTargetOptions {
  readonly sshConfig?: string;
  readonly stateDir?: string;
}

/** The ssh_config file to use for the cluster's nodes, or undefined for the defaults (~/.ssh/config). */
export function labSshConfig(
  clusterName: string,
  opts: LabTargetOptions,
  say: (line: string) => void,
): string | undefined {
  if (opts.sshConfig !== undefined) return opts.sshConfig;
  const { findLab } = require('../lab/attach') as typeof import('../lab/attach');
  const lab = findLab(clusterName, opts.stateDir);
  const where = path.relative(process.cwd(), lab.stateDir) || '.';
  if (lab.status === 'up') {
    say(
      `netstrap: lab ${clusterName} is up: using ${path.join(where, path.basename(lab.state.sshConfigFile))} and its known_hosts (--ssh-config overrides)`,
    );
    return lab.state.sshConfigFile;
  }
  if (opts.stateDir !== undefined) {
    const message =
      lab.status === 'none' ? `no lab in ${where} (no state.json)` : `the lab in ${where} is stale: ${lab.reason}`;
    throw new InputError('netstrap', [{ path: ['state-dir'], message: `(--state-dir) ${message}` }]);
  }
  if (lab.status === 'stale') {
    say(`netstrap: lab state ${where} is stale (${lab.reason}): not used; \`netstrap lab down\` removes it`);
  }
  return undefined;
}

/**
 * Lab ↔ provisioner: after `netstrap lab up <file>`, a bare `netstrap bootstrap <file>` (and plan, verify, reset) reaches
 * the lab through its ssh_config and says so in one line; an explicit --ssh-config wins; a stale lab state is
 * reported and not used; an explicit --state-dir without a usable lab is an input error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { labDown, readState } from '../../src/lab';
import { findLab } from '../../src/lab/attach';
import { defaultStateDir } from '../../src/lab/state';
import { labSshConfig } from '../../src/cli/lab-target';
import { InputError } from '../../src/model/errors';
import { describeLab, fixture, netstrap, repoRoot } from '../support/lab';
import { tempDirs } from '../support/temp';

const tempDir = tempDirs();
/** Above the kernel's largest pid_max (2^22): no process has it. */
const NO_SUCH_PID = 4194305;

/** A state.json as `lab up` writes it, for a lab whose one node's sshd has the given pid. */
function writeFakeState(stateDir: string, cluster: string, pid: number, status: 'up' | 'starting' = 'up'): void {
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(
    path.join(stateDir, 'state.json'),
    JSON.stringify({
      version: 1,
      status,
      cluster,
      stateDir,
      sshConfigFile: path.join(stateDir, 'ssh_config'),
      knownHostsFile: path.join(stateDir, 'known_hosts'),
      identityFile: path.join(stateDir, 'id_ed25519'),
      nodes: [
        {
          name: 'n1',
          address: '10.250.70.11',
          port: 22,
          netns: 'x',
          pid,
          launcherPid: pid - 1,
          dir: path.join(stateDir, 'nodes', 'n1'),
        },
      ],
      plan: {
        cluster,
        id: 'abcde',
        managementCidr: '10.250.70.0/24',
        prefix: 24,
        controllerAddress: '10.250.70.254',
        bridge: 'x-br',
        lans: [],
        nodes: [],
      },
    }),
  );
}

describe('labSshConfig (the lookup plan, bootstrap, verify and reset share)', () => {
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);
  beforeEach(() => {
    lines.length = 0;
  });

  test('no lab: the defaults, silently; an explicit --ssh-config is used without looking', () => {
    const dir = tempDir('netstrap-attach-');
    expect(findLab('c', path.join(dir, 'none'))).toEqual({ status: 'none', stateDir: path.join(dir, 'none') });
    writeFakeState(path.join(dir, 'stale'), 'c', NO_SUCH_PID);
    expect(labSshConfig('c', { sshConfig: 'my_config', stateDir: path.join(dir, 'stale') }, say)).toBe('my_config');
    expect(lines).toEqual([]);
  });

  test('a state whose nodes no longer run, of another cluster, or not up is stale', () => {
    const dir = tempDir('netstrap-attach-');
    writeFakeState(path.join(dir, 'gone'), 'c', NO_SUCH_PID);
    writeFakeState(path.join(dir, 'other'), 'd', NO_SUCH_PID);
    writeFakeState(path.join(dir, 'starting'), 'c', NO_SUCH_PID, 'starting');
    expect(findLab('c', path.join(dir, 'gone'))).toMatchObject({
      status: 'stale',
      reason: `1 of 1 nodes no longer run: n1 (sshd pid ${NO_SUCH_PID})`,
    });
    expect(findLab('c', path.join(dir, 'other'))).toMatchObject({
      status: 'stale',
      reason: 'it holds the lab of cluster "d"',
    });
    expect(findLab('c', path.join(dir, 'starting'))).toMatchObject({
      status: 'stale',
      reason: expect.stringContaining('"starting", not up'),
    });
  });

  test('a stale lab in the default place is reported in one line and not used', () => {
    const dir = tempDir('netstrap-attach-');
    writeFakeState(defaultStateDir('c', dir), 'c', NO_SUCH_PID);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(labSshConfig('c', {}, say)).toBeUndefined();
    } finally {
      process.chdir(cwd);
    }
    expect(lines).toEqual([
      `netstrap: lab state .lab/c is stale (1 of 1 nodes no longer run: n1 (sshd pid ${NO_SUCH_PID})): not used; \`netstrap lab down\` removes it`,
    ]);
  });

  test('an explicit --state-dir without a usable lab is an input error', () => {
    const dir = tempDir('netstrap-attach-');
    writeFakeState(path.join(dir, 'gone'), 'c', NO_SUCH_PID);
    const issue = (stateDir: string) => {
      try {
        labSshConfig('c', { stateDir }, say);
      } catch (error) {
        if (error instanceof InputError) return error.lines().join('\n');
        throw error;
      }
      return 'no error';
    };
    expect(issue(path.join(dir, 'none'))).toMatch(/state-dir: \(--state-dir\) no lab in .*none \(no state\.json\)$/);
    expect(issue(path.join(dir, 'gone'))).toMatch(
      /state-dir: \(--state-dir\) the lab in .*gone is stale: 1 of 1 nodes no longer run/,
    );
    expect(lines).toEqual([]);
  });
});

describeLab('netstrap lab up, then bare plan / bootstrap / verify / reset', () => {
  const clusterFile = path.relative(repoRoot, fixture('i11-attach.yaml'));
  const stateDir = defaultStateDir('i11-attach', repoRoot);
  const usingLab =
    'netstrap: lab i11-attach is up: using .lab/i11-attach/ssh_config and its known_hosts (--ssh-config overrides)';

  beforeAll(async () => {
    if (readState(stateDir)) await labDown(stateDir);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    if (readState(stateDir)) await labDown(stateDir);
  }, 30000);

  test('lab up prints the next command', () => {
    const up = netstrap(['lab', 'up', clusterFile]);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(up.stdout.trim().split('\n').pop()).toBe(
      `next: netstrap plan ${clusterFile}, then netstrap bootstrap ${clusterFile}`,
    );
  });

  test('a bare bootstrap reaches the lab, says so in one line, and converges; verify passes', () => {
    const bootstrap = netstrap(['bootstrap', clusterFile, '--json']);
    expect(bootstrap.stderr.trim()).toBe(usingLab);
    expect(bootstrap.status).toBe(0);
    const result = JSON.parse(bootstrap.stdout) as { ok: boolean; hosts: Array<{ node: string; status: string }> };
    expect(result.hosts.map((h) => [h.node, h.status])).toEqual([
      ['node01', 'changed'],
      ['router', 'changed'],
      ['node02', 'changed'],
    ]);

    const verify = netstrap(['verify', clusterFile]);
    expect(verify.status).toBe(0);
    expect(verify.stderr.split('\n')[0]).toBe(usingLab);
  });

  test('an explicit --ssh-config wins (no lab line); plan then finds nothing to change', () => {
    const state = readState(stateDir)!;
    const copy = path.join(tempDir('netstrap-attach-'), 'ssh_config');
    fs.copyFileSync(state.sshConfigFile, copy);
    const plan = netstrap(['plan', clusterFile, '--ssh-config', copy, '--json']);
    expect(plan.stderr).not.toContain('netstrap: lab');
    expect(plan.status).toBe(0);
    const result = JSON.parse(plan.stdout) as { hosts: Array<{ changes: number }> };
    expect(result.hosts.map((h) => h.changes)).toEqual([0, 0, 0]);
  });

  test('a bare reset reaches the lab too', () => {
    const reset = netstrap(['reset', clusterFile]);
    expect(reset.stderr.split('\n')[0]).toBe(usingLab);
    expect(reset.status).toBe(0);
  });

  test('--state-dir of a stale lab: exit 2, nothing touched', () => {
    const stale = path.join(tempDir('netstrap-attach-'), 'lab');
    writeFakeState(stale, 'i11-attach', NO_SUCH_PID);
    const plan = netstrap(['plan', clusterFile, '--state-dir', stale]);
    expect(plan.status).toBe(2);
    expect(plan.stdout).toBe('');
    expect(plan.stderr.trim()).toMatch(
      /^netstrap: state-dir: \(--state-dir\) the lab in .* is stale: 1 of 1 nodes no longer run: n1/,
    );
  });
});

/**
 * A throwaway "node" for testing resource kinds against the real kernel without SSH: a holder process
 * (`unshare --net --mount`) owning a fresh network namespace and a private mount namespace in which
 * - /etc is an overlay whose upper directory is ours (files the kinds write never reach the machine's /etc),
 * - /run and /opt are tmpfs (named namespaces made by `ip netns add` live and die with it),
 * - /proc/sys is read-only except /proc/sys/net (per network namespace), so nothing can change the machine.
 * Commands run with `nsenter -t <pid> --net --mount`. The fact and apply scripts are the engine's own
 * (src/host/facts.ts, src/host/script.ts), so what is tested is what runs on a node.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { $, ProcessPromise } from 'zx/core';
import { FactSet } from '../../../src/host/fact';
import { buildFactScript, factSections, newMarker, parseFacts } from '../../../src/host/fact-script';
import { planNode } from '../../../src/host/node-plan';
import { ownershipFacts } from '../../../src/host/ownership';
import { renderCommand } from '../../../src/host/shell';
import { ApplyOutcome, buildApplyScript, parseApplyOutput } from '../../../src/host/script';
import type { Change, ResourceKind } from '../../../src/host/types';
import type { Cluster, ClusterNode } from '../../../src/model/schema';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Sandbox {
  private constructor(
    readonly pid: number,
    readonly dir: string,
    private readonly holder: ProcessPromise,
    private readonly ended: () => boolean,
  ) {}

  /** Starts a sandbox; `setup` runs inside it first (as root, in its namespaces). */
  static async start(setup = ''): Promise<Sandbox> {
    const dir = mkdtempSync(join(tmpdir(), 'nstest-'));
    const script = [
      'set -e',
      `mkdir -p ${dir}/etc-upper ${dir}/etc-work`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/etc-upper,workdir=${dir}/etc-work /etc`,
      'mount -t tmpfs tmpfs /run',
      'mount -t tmpfs tmpfs /opt',
      'mount --bind /proc/sys /proc/sys',
      'mount -o remount,bind,ro /proc/sys',
      'mount --bind /proc/sys/net /proc/sys/net',
      'mount -o remount,bind,rw /proc/sys/net',
      'ip link set lo up',
      setup,
      'echo ready',
      'exec sleep 900',
    ].join('\n');
    const holder = $({
      nothrow: true,
      quiet: true,
    })`exec ${['unshare', '--net', '--mount', '--propagation', 'private', 'sh', '-c', script]}`;
    let ended = false;
    void holder.then(() => {
      ended = true;
    });
    let out = '';
    holder.stdout.on('data', (d) => {
      out += d;
    });
    const deadline = Date.now() + 15000;
    while (!out.includes('ready')) {
      if (ended || Date.now() > deadline) {
        if (!ended && holder.pid !== undefined) process.kill(holder.pid, 'SIGKILL');
        const { stderr } = await holder;
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`sandbox did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return new Sandbox(holder.pid!, dir, holder, () => ended);
  }

  /** Runs a shell script inside the sandbox. */
  sh(script: string, timeoutMs = 30000): RunResult {
    // zx's sync mode has no timeout of its own: coreutils' timeout bounds the command.
    const argv = [
      'timeout',
      '-s',
      'KILL',
      String(timeoutMs / 1000),
      'nsenter',
      '-t',
      String(this.pid),
      '--net',
      '--mount',
      '--',
      'sh',
      '-c',
      script,
    ];
    const r = $.sync({ nothrow: true, quiet: true })`exec ${argv}`;
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Like sh(), but throws with the output when the script fails. */
  ok(script: string): string {
    const r = this.sh(script);
    if (r.code !== 0) throw new Error(`sandbox script failed (${r.code}): ${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Reads every kind's facts with the engine's one-round-trip fact script. */
  facts(node: ClusterNode, cluster: Cluster, kinds: ReadonlyArray<ResourceKind>): FactSet {
    const sections = factSections(node, cluster, [...kinds, ownershipFacts]);
    const marker = newMarker();
    const out = this.ok(buildFactScript(sections, marker));
    return new FactSet(parseFacts(out, sections, marker));
  }

  plan(node: ClusterNode, cluster: Cluster, kinds: ReadonlyArray<ResourceKind>): Change[] {
    return planNode(node, cluster, kinds, this.facts(node, cluster, kinds));
  }

  /** Runs the engine's apply script for `changes` (with its reverts on failure). */
  apply(changes: ReadonlyArray<Change>): ApplyOutcome & { output: string } {
    const marker = newMarker();
    const r = this.sh(buildApplyScript(changes, marker, ''));
    const output = r.stdout + r.stderr;
    return { ...parseApplyOutput(output, marker), output };
  }

  /** Runs every change's revert commands, last change first, as a rollback would; returns the failures. */
  revert(changes: ReadonlyArray<Change>): string[] {
    const failures: string[] = [];
    for (const change of [...changes].reverse()) {
      for (const command of change.revert) {
        const r = this.sh(renderCommand(command));
        if (r.code !== 0) failures.push(`${renderCommand(command)}: ${r.stderr.trim()}`);
      }
    }
    return failures;
  }

  /** Everything the kinds touch, for before/after comparisons. */
  snapshot(files: ReadonlyArray<string> = []): string {
    return (
      this.ok(
        [
          'ip -j -d link show',
          'ip -j addr show',
          'ip -j route show table main',
          'ip -j netns list',
          // lanhost is the LAN peer the tests cable eth0 to, not part of the node.
          'for n in $(ip netns list | cut -d" " -f1 | grep -vx lanhost); do echo "== $n"; ip -n "$n" -j -d link show; ip -n "$n" -j addr show; ip -n "$n" -j route show; done',
          'iptables-save -t nat | grep -v "^#"',
          'sysctl -a -r "^net\\.ipv4\\.(ip_forward|conf\\.all\\.rp_filter)" 2>/dev/null',
          ...files.map(
            (f) =>
              `if [ -L ${f} ]; then echo "link ${f} -> $(readlink ${f})"; fi; if [ -e ${f} ]; then echo "== ${f}"; cat ${f}; else echo "absent ${f}"; fi`,
          ),
        ]
          .map((c) => `${c}; echo`)
          .join('\n'),
      )
        // What the kernel derives by itself, with its own timing, is not configuration: bridge timers, the qdisc a
        // link gets on its first `up`, carrier and operstate (linkwatch lags behind), IPv6 DAD. The rest must be
        // byte-identical.
        .replace(/"(gc_timer|hello_timer|tcn_timer|topology_change_timer)":[0-9.]+/g, '"$1":_')
        .replace(/"(qdisc|operstate)":"[A-Za-z_]+",/g, '')
        .replace(/"NO-CARRIER",|"linkdown"|"tentative":true,/g, '')
    );
  }

  /** A file written inside the sandbox's /etc (from the overlay's upper directory), or undefined. */
  etcFile(path: string): string | undefined {
    try {
      return readFileSync(join(this.dir, 'etc-upper', path.replace(/^\/etc\//, '')), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Kills the holder (only if /proc still shows it as our sleep), which ends its namespaces, then removes the files. */
  async stop(): Promise<void> {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${this.pid}/cmdline`, 'utf8');
    } catch {
      /* already gone */
    }
    if (cmdline.startsWith('sleep') && !this.ended()) {
      process.kill(this.pid, 'SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.holder,
        new Promise((r) => {
          timer = setTimeout(r, 5000);
        }),
      ]);
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

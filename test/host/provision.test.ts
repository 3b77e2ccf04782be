/**
 * The engine's accounting, with a local transport: scripts run for real by /bin/sh on this machine, on resource
 * kinds that only touch a temporary directory. Used for what a lab cannot show cheaply: many hosts and the
 * concurrency bound, a host that cannot be reached, a kind whose apply does not converge. (The lab tests run the
 * same engine over SSH against real nodes.)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { $ } from 'zx/core';
import { bootstrapCluster, planCluster, verifyCluster } from '../../src/host/provision';
import { formatSummary, resultJson } from '../../src/host/report';
import type { Connector, Transport } from '../../src/host/ssh';
import type { Change, ResourceKind } from '../../src/host/types';
import { checkCluster } from '../../src/model/load';
import { fact } from '../../src/host/fact';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-prov-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One file per node and key in `dir`, holding the wanted value: the smallest real resource kind. */
function fileKind(keys: string[], options: { broken?: string; noop?: string } = {}): ResourceKind {
  const file = (node: string, key: string) => path.join(dir, `${node}.${key}`);
  return {
    kind: 'file',
    facts: (node) => keys.map((k) => fact(`file-${k}`, ['cat', file(node.name, k)], String)),
    plan: (node, facts) =>
      keys.flatMap((key): Change[] => {
        const want = `${node.name}:${key}`;
        const have = facts.get(fact(`file-${key}`, ['cat', file(node.name, key)], String));
        if (have === want) return [];
        const apply =
          key === options.broken
            ? [{ argv: ['false'] }]
            : key === options.noop
              ? [{ argv: ['true'] }]
              : [{ writeFile: file(node.name, key), content: want }];
        return [
          {
            kind: 'file',
            target: key,
            before: have === '' ? 'absent' : have,
            after: want,
            apply,
            revert:
              have === ''
                ? [{ removeFile: file(node.name, key) }]
                : [{ writeFile: file(node.name, key), content: have }],
          },
        ];
      }),
  };
}

function model(names: string[]) {
  return checkCluster(
    {
      name: 'unit',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      nodes: names.map((name) => ({ name, ssh: { host: `${name}.invalid` } })),
    },
    'unit.yaml',
  );
}

/** Runs scripts locally; counts connections, round trips and the most connections open at once. */
function localConnector(unreachable: string[] = []) {
  const stats = { connections: 0, open: 0, maxOpen: 0, runs: new Map<string, number>() };
  const connector: Connector = async (node) => {
    if (unreachable.includes(node.name)) throw new Error(`ssh root@${node.ssh.host}:22: connect ETIMEDOUT`);
    stats.connections++;
    stats.maxOpen = Math.max(stats.maxOpen, ++stats.open);
    await new Promise((r) => setTimeout(r, 5));
    const transport: Transport = {
      run: async (script) => {
        stats.runs.set(node.name, (stats.runs.get(node.name) ?? 0) + 1);
        // The script arrives on stdin, as over SSH. Every "host" is this machine: give each its own lock, run
        // serial and watchdog directory, inside the test's directory.
        const input = script
          .replaceAll('/run/lock/netstrap.', `${dir}/${node.name}.run-`)
          .replaceAll('/run/netstrap/', `${dir}/${node.name}.watchdog/`)
          .replaceAll('mkdir -p /run/lock', ':');
        const r = await $({ input, nothrow: true, quiet: true })`exec ${['sh', '-c', 'eval "$(cat)"']}`;
        return { stdout: r.stdout, stderr: r.stderr, code: r.exitCode };
      },
      close: () => {
        stats.open--;
      },
    };
    return transport;
  };
  return { connector, stats };
}

test('first run: 2 round trips per changed host; second run: 1 round trip, no command, 0 changes', async () => {
  const m = model(['n1', 'n2', 'n3']);
  const kinds = [fileKind(['a', 'b'])];
  const first = localConnector();
  const r1 = await bootstrapCluster(m, { kinds, connector: first.connector });
  expect(r1.ok).toBe(true);
  expect(r1.hosts.map((h) => [h.node, h.status, h.changes.length, h.roundTrips])).toEqual([
    ['n1', 'changed', 2, 2],
    ['n2', 'changed', 2, 2],
    ['n3', 'changed', 2, 2],
  ]);
  expect(fs.readFileSync(path.join(dir, 'n2.b'), 'utf8')).toBe('n2:b');
  expect(first.stats.connections).toBe(3);
  expect(first.stats.open).toBe(0);

  const second = localConnector();
  const r2 = await bootstrapCluster(m, { kinds, connector: second.connector });
  expect(r2.hosts.map((h) => [h.status, h.changes.length, h.roundTrips, h.commands.length])).toEqual([
    ['ok', 0, 1, 0],
    ['ok', 0, 1, 0],
    ['ok', 0, 1, 0],
  ]);
  expect([...second.stats.runs.values()]).toEqual([1, 1, 1]);
});

test('plan lists the changes and writes nothing', async () => {
  const r = await planCluster(model(['n1']), { kinds: [fileKind(['a'])], connector: localConnector().connector });
  expect(r.hosts[0]).toMatchObject({ status: 'pending', roundTrips: 1, commands: [] });
  expect(r.hosts[0].changes.map((c) => `${c.target} ${c.before} → ${c.after}`)).toEqual(['a absent → n1:a']);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('an unreachable host is reported; the others converge; not ok', async () => {
  const { connector } = localConnector(['n2']);
  const r = await bootstrapCluster(model(['n1', 'n2', 'n3']), { kinds: [fileKind(['a'])], connector });
  expect(r.ok).toBe(false);
  expect(r.hosts.map((h) => h.status)).toEqual(['changed', 'unreachable', 'changed']);
  expect(r.hosts[1]).toMatchObject({ roundTrips: 0, error: expect.stringContaining('ETIMEDOUT') });
  expect(formatSummary(r)).toMatch(/n2\s+unreachable\s+0\s+0/);
  expect(formatSummary(r)).toContain('n2: unreachable: ssh root@n2.invalid:22: connect ETIMEDOUT');
});

test('a failing step reverts that host only; the report names the step', async () => {
  const kinds = [fileKind(['a', 'b', 'c'], { broken: 'c' })];
  const r = await bootstrapCluster(model(['n1']), { kinds, connector: localConnector().connector });
  expect(r.hosts[0]).toMatchObject({
    status: 'failed',
    roundTrips: 2,
    failedStep: { step: 3, kind: 'file', target: 'c', reverted: true },
  });
  expect(r.hosts[0].error).toMatch(/step 3\/3 \(file c\) failed/);
  expect(fs.readdirSync(dir).filter((f) => !f.includes('.run-'))).toEqual([]);
  expect(
    (resultJson(r) as { hosts: Array<{ commands: string[] }> }).hosts[0].commands.some((c) => c.startsWith('rm -f')),
  ).toBe(true);
});

test('an apply that does not reach the desired state is caught by the in-process re-plan (still 2 round trips)', async () => {
  const r = await bootstrapCluster(model(['n1']), {
    kinds: [fileKind(['a'], { noop: 'a' })],
    connector: localConnector().connector,
  });
  expect(r.hosts[0]).toMatchObject({
    status: 'failed',
    roundTrips: 2,
    error: expect.stringContaining('not converged after apply: file a'),
  });
});

test('concurrency bounds the connections open at once; every host still runs', async () => {
  const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
  const { connector, stats } = localConnector();
  const r = await bootstrapCluster(model(names), { kinds: [fileKind(['a'])], connector, concurrency: 7 });
  expect(r.hosts.every((h) => h.status === 'changed')).toBe(true);
  expect(stats.maxOpen).toBeLessThanOrEqual(7);
  expect(stats.maxOpen).toBeGreaterThan(1);
});

test('verify reports drift as pending and fails', async () => {
  const r = await verifyCluster(model(['n1']), { kinds: [fileKind(['a'])], connector: localConnector().connector });
  expect(r.ok).toBe(false);
  expect(r.hosts[0]).toMatchObject({
    status: 'pending',
    error: expect.stringContaining('not converged: 1 change(s) pending'),
  });
});

test('--only works on the named nodes only', async () => {
  const { connector, stats } = localConnector();
  const r = await bootstrapCluster(model(['n1', 'n2']), { kinds: [fileKind(['a'])], connector, only: ['n2'] });
  expect(r.hosts.map((h) => h.node)).toEqual(['n2']);
  expect(stats.connections).toBe(1);
});

/**
 * Issue 24, "a failed check's output names the first hop where the live path leaves the model's", without a lab:
 * which hops verify asks each node about (from the model, before connecting), how the answers are walked, what a
 * hop that was not read says, the IPv6 form of the questions, and trace --live on a path node the file lacks.
 * (test/host/explain.lab.test.ts runs the same against real kernels.)
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { liveTrace, formatLiveTrace } from '../../src/host/live-trace';
import {
  hopAsked,
  hopKey,
  hopReadLines,
  judgeHop,
  type LiveRoute,
  parseHopReads,
  parseLive,
} from '../../src/host/live-route';
import type { Connector } from '../../src/host/ssh';
import { explainFailure, type HopAnswer, hopQueries } from '../../src/host/verify';
import { loadClusterFile } from '../../src/model/load';
import { traceCluster } from '../../src/model/trace';

const execFileAsync = promisify(execFile);
const model = loadClusterFile(path.join(__dirname, '..', 'fixtures', 'i24-explain.yaml'));
const { cluster } = model;

/** What `ip -j route get` / `ip -j route show match` print, as parseLive reads them. */
const route = (get: object, match: object[] = []): LiveRoute =>
  parseLive(JSON.stringify([get]), JSON.stringify(match))!;
const toW2ViaR1 = route({ dst: '192.168.20.11', gateway: '192.168.10.1', dev: 'eth0' }, [
  { dst: '192.168.20.0/24', gateway: '192.168.10.1', dev: 'eth0', protocol: 'static' },
]);
const r1OnLink = route({ dst: '192.168.20.11', dev: 'eth1' }, [
  { dst: '192.168.20.0/24', dev: 'eth1', protocol: 'kernel' },
]);
const r1Hijacked = route({ dst: '192.168.20.11', gateway: '192.168.20.99', dev: 'eth1' }, [
  { dst: '192.168.20.0/24', dev: 'eth1', protocol: 'kernel' },
  { dst: '192.168.20.0/25', gateway: '192.168.20.99', dev: 'eth1', protocol: 'boot' },
]);
const r1Forward = {
  at: 'r1',
  next: { route: '', dev: 'eth1', dst: '192.168.20.11', src: '192.168.10.11', iif: 'eth0' },
};

describe('the hops verify reads in its round trip to each node', () => {
  test('every hop of each check path and its reply but the source first hop, on the node it is at, asked once', () => {
    const queries = hopQueries(cluster, cluster.verify);
    const asked = Object.fromEntries([...queries].map(([node, qs]) => [node, qs.map(hopAsked)]));
    expect(asked).toEqual({
      // w1 → w2: r1 forwards the request; w2 answers, r1 forwards the reply. w2 → w1 the other way round.
      r1: [
        'ip route get 192.168.20.11 from 192.168.10.11 iif eth0',
        'ip route get 192.168.10.11 from 192.168.20.11 iif eth1',
      ],
      w2: ['ip route get 192.168.10.11'],
      w1: ['ip route get 192.168.20.11'],
    });
  });

  test('a check expected to fail is not explained, so nothing is asked for it', () => {
    const failing = cluster.verify.map((spec) => ({ ...spec, expect: 'failure' as const }));
    expect(hopQueries(cluster, failing).size).toBe(0);
  });
});

describe('a failed check explained hop by hop', () => {
  const check = cluster.verify[0]; // w1 → ping 192.168.20.11
  const r1Key = hopKey(r1Forward);
  const w2Reply = hopKey({ at: 'w2', next: { route: '', dev: 'eth0', dst: '192.168.10.11' } });
  const r1Reply = hopKey({
    at: 'r1',
    next: { route: '', dev: 'eth0', dst: '192.168.10.11', src: '192.168.20.11', iif: 'eth1' },
  });

  test('the router, second hop, parts: named with the kernel next hop and route', () => {
    const text = explainFailure(cluster, check, toW2ViaR1, new Map([[r1Key, r1Hijacked]]));
    expect(text).toBe(
      'model: w1 → r1 (192.168.10.1) → w2; ' +
        'live: w1 → r1 (192.168.10.1) → 192.168.20.99 (route 192.168.20.0/25 via 192.168.20.99 dev eth1, not declared); ' +
        'they part at r1',
    );
  });

  test('a hop whose node was not read is named with why; the hops read still count', () => {
    const text = explainFailure(
      cluster,
      check,
      toW2ViaR1,
      new Map<string, HopAnswer>([
        [r1Key, { notRead: 'unreachable' }],
        [w2Reply, route({ dst: '192.168.10.11', gateway: '192.168.20.1', dev: 'eth0' })],
        [r1Reply, { notRead: 'unreachable' }],
      ]),
    );
    expect(text).toBe(
      'model: w1 → r1 (192.168.10.1) → w2; live: w1 → r1 (192.168.10.1) → [r1 not read] w2; ' +
        'the reply: model w2 → r1 (192.168.20.1) → w1, live w2 → r1 (192.168.20.1) → [r1 not read] w1; ' +
        'not read: r1 (unreachable); they agree at every hop read',
    );
  });

  test('every hop agrees, the reply too: the routes are said not to be the cause', () => {
    const text = explainFailure(
      cluster,
      check,
      toW2ViaR1,
      new Map([
        [r1Key, r1OnLink],
        [w2Reply, route({ dst: '192.168.10.11', gateway: '192.168.20.1', dev: 'eth0' })],
        [r1Reply, route({ dst: '192.168.10.11', dev: 'eth0' })],
      ]),
    );
    expect(text).toBe(
      'model: w1 → r1 (192.168.10.1) → w2; live: as the model; the reply: model w2 → r1 (192.168.20.1) → w1, ' +
        'live as the model; they agree at every hop, the reply too: the cause is not a route (a firewall, ARP, or the target itself?)',
    );
  });
});

describe('IPv6 hops: the same questions and judgement (ip route get takes either family)', () => {
  const hop = {
    at: 'r1',
    next: { route: '', via: 'fd00:20::9', dev: 'eth1', dst: 'fd00:20::11', src: 'fd00:10::11', iif: 'eth0' },
  };

  test('asked with from and iif, as for IPv4', () => {
    expect(hopAsked(hop)).toBe('ip route get fd00:20::11 from fd00:10::11 iif eth0');
  });

  test('the matching IPv6 route is named; a forwarded packet without a route names IPv6 forwarding', () => {
    const live = route({ dst: 'fd00:20::11', gateway: 'fd00:20::9', dev: 'eth1' }, [
      { dst: 'fd00:20::/64', dev: 'eth1', protocol: 'kernel' },
      { dst: 'fd00:20::/80', gateway: 'fd00:20::9', dev: 'eth1', protocol: 'boot' },
    ]);
    expect(judgeHop(cluster, hop, live)).toEqual({
      agrees: true,
      hopName: 'fd00:20::9',
      how: 'route fd00:20::/80 via fd00:20::9 dev eth1, not declared',
    });
    const refused = parseLive('RTNETLINK answers: Network is unreachable', '')!;
    expect(judgeHop(cluster, hop, refused)).toEqual({
      agrees: false,
      how: 'no route (Network is unreachable): it does not forward what comes in on eth0 (net.ipv6.conf.all.forwarding 0)',
    });
  });
});

describe('the hop questions as a script: one ip -batch per place, answers matched to questions', () => {
  const marker = '@@m@@';
  const q = (dst: string, extra: { src?: string; iif?: string } = {}) => ({
    at: 'w1',
    next: { route: '', dev: 'eth0', dst, ...extra },
  });

  test('a refused question between two answered ones keeps every answer with its question', () => {
    const queries = [q('192.168.20.11'), q('192.168.20.12', { src: '192.168.10.9', iif: 'eth0' }), q('fd00:20::11')];
    const output = [
      `${marker} hop-out 0 [{"dst":"192.168.20.11","gateway":"192.168.10.1","dev":"eth0"}]`,
      `${marker} hop-out 0 [{"dst":"fd00:20::11","gateway":"fd00:10::1","dev":"eth0"}]`,
      `${marker} hop-err 0 RTNETLINK answers: No route to host`,
      `${marker} hop-err 0 Command failed -:2`,
      `${marker} hop-err 0 `,
      `${marker} hop-table 0 -4 [{"dst":"192.168.20.0/24","gateway":"192.168.10.1","dev":"eth0","protocol":"static"}]`,
      `${marker} hop-table 0 -6 [{"dst":"fd00:20::/64","gateway":"fd00:10::1","dev":"eth0","protocol":"static"}]`,
    ].join('\n');
    const answers = parseHopReads(output, queries, marker);
    expect(queries.map((query) => answers.get(hopKey(query)))).toEqual([
      {
        get: { dst: '192.168.20.11', gateway: '192.168.10.1', dev: 'eth0' },
        matching: [{ dst: '192.168.20.0/24', gateway: '192.168.10.1', dev: 'eth0', protocol: 'static' }],
      },
      {
        error: 'No route to host',
        matching: [{ dst: '192.168.20.0/24', gateway: '192.168.10.1', dev: 'eth0', protocol: 'static' }],
      },
      {
        get: { dst: 'fd00:20::11', gateway: 'fd00:10::1', dev: 'eth0' },
        matching: [{ dst: 'fd00:20::/64', gateway: 'fd00:10::1', dev: 'eth0', protocol: 'static' }],
      },
    ]);
  });

  test('run for real by sh here (read-only): an answer, a refused question, each in its place', async () => {
    const queries = [q('127.0.0.1'), q('127.0.0.2', { src: '192.0.2.7', iif: 'netstrap-none0' })];
    const script = `${hopReadLines(queries, marker).join('\n')}\n`;
    const { stdout } = await execFileAsync('sh', ['-c', script]);
    const answers = parseHopReads(stdout, queries, marker);
    expect(answers.get(hopKey(queries[0]))?.get).toMatchObject({ type: 'local', dst: '127.0.0.1', dev: 'lo' });
    expect(answers.get(hopKey(queries[1]))).toMatchObject({ error: 'Cannot find device "netstrap-none0"' });
  });
});

describe('trace --live', () => {
  test('a path node the cluster file does not have is not read, and says why', async () => {
    const result = traceCluster(model, 'w1', 'w2');
    const renamed = { ...result, hops: result.hops.map((h) => (h.at === 'r1' ? { ...h, at: 'r9' } : h)) };
    const asked: string[] = [];
    const connector: Connector = async (node) => ({
      run: async () => {
        asked.push(node.name);
        return { code: 0, stdout: '', stderr: '' };
      },
      close: () => {},
    });
    const live = await liveTrace(cluster, renamed, { connector });
    expect(asked).toEqual(['w1']);
    expect(live.hops[1]).toMatchObject({
      at: 'r9',
      read: false,
      live: 'not read: the cluster file has no node named r9, so there is no SSH address to ask',
    });
    expect(formatLiveTrace(live)).toContain(
      '  2. r9: not read: the cluster file has no node named r9, so there is no SSH address to ask\n',
    );
  });
});

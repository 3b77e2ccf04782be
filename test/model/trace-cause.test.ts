/**
 * Issue 24: a trace that drops for want of a route names the cause in the topology (a node that joins the LANs but
 * does not forward, a LAN no node joins to the source's, a forwarding router the manual routes do not use).
 */
import * as fs from 'fs';
import { parseClusterText } from '../../src/model/load';
import { traceCluster } from '../../src/model/trace';
import { fixture } from '../support/lab';

const base = fs.readFileSync(fixture('i24-explain.yaml'), 'utf8');
/** The fixture with edits to its text; verify checks are not traced (they are what cannot pass here). */
const load = (...edits: Array<[string | RegExp, string]>) =>
  parseClusterText(
    edits.reduce((text, [from, to]) => text.replace(from, to), base),
    'i24-explain.yaml',
    { traceProbes: false },
  );
const NO_FORWARD: [string, string] = ['    sysctls: { net.ipv4.ip_forward: 1 }\n', ''];
const AUTO: [RegExp, string] = [/^name: i24explain$/m, 'name: i24explain\nrouting: auto'];
const NO_ROUTES: Array<[RegExp, string]> = [[/^ {4}routes: .*\n/gm, '']];

describe('trace names why there is no route', () => {
  test('routing: auto and no router forwards: the nodes that join both LANs but have ip_forward 0', () => {
    const result = traceCluster(load(NO_FORWARD, AUTO, ...NO_ROUTES), 'w1', 'w2');
    expect(result.verdict).toBe('dropped');
    expect(result.reason).toBe(
      'no route to 192.168.20.11 on w1: r1 joins lan-a and lan-b but net.ipv4.ip_forward is 0, so routing: auto found no path',
    );
  });
  test('routing: manual with a forwarding router the node has no route through', () => {
    const result = traceCluster(load(...NO_ROUTES), 'w1', 'w2');
    expect(result.reason).toBe(
      'no route to 192.168.20.11 on w1: r1 forwards toward LAN lan-b (192.168.20.0/24), but w1 has no route through it (routing: manual: add one to its routes, or set routing: auto)',
    );
  });
  test('a LAN no node joins to the source’s', () => {
    const result = traceCluster(load(AUTO, ...NO_ROUTES, [/^ {6}- \{ name: eth1, lan: lan-b.*\n/gm, '']), 'w1', 'w2');
    expect(result.reason).toBe(
      'no route to 192.168.20.11 on w1: no node joins LAN lan-b (192.168.20.0/24) to a LAN of w1 (lan-a), directly or through other LANs',
    );
  });
  test('routing: auto with a forwarding router: a path, and no cause to name', () => {
    expect(traceCluster(load(AUTO, ...NO_ROUTES), 'w1', 'w2').verdict).toBe('delivered');
  });
});

import { lookupRoute } from '../../src/host/diagnose/net';
import { winningRoute } from '../../src/host/lockout';
import type { IpRoute } from '../../src/host/resources/ip-facts';
import { parseAddress } from '../../src/model/cidr';
import { loadClusterFile } from '../../src/model/load';
import type { Cluster } from '../../src/model/schema';
import { parseEndpoint, trace } from '../../src/model/trace';
import { fixture } from '../support/lab';
import {
  canonicalRouteDestination,
  parseDestination,
  parseRouteAddress,
  RouteTable,
} from '../../src/model/route-table';

const ipv4 = (text: string) => {
  const parsed = parseAddress(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const table = (routes: IpRoute[]) => RouteTable.of(4, routes, (route) => route);
const pick = (routes: IpRoute[], address: string) => table(routes).lookup(parseRouteAddress(address)!)?.route;
const deliver = (routes: IpRoute[], address: string) => table(routes).deliver(parseRouteAddress(address)!)?.route;

describe('destinations in the kernel spelling', () => {
  test.each([
    ['0.0.0.0/0', 'default'],
    ['default', 'default'],
    ['10.1.2.3/32', '10.1.2.3'],
    ['10.1.2.3', '10.1.2.3'],
    ['10.1.0.0/16', '10.1.0.0/16'],
    ['fd00:10::/64', 'fd00:10::/64'],
    ['fd00:0010:0000:0000:0000:0000:0000:0001/128', 'fd00:10::1'],
    ['fd00::1', 'fd00::1'],
    ['::/0', 'default'],
    // ip-num's own IPv6 text is compressed already, and not as RFC 5952 says (a lone zero group as ::)
    ['0:10:0:0:10:10:0:1', '0:10::10:10:0:1'],
    ['0:1:0:48b5:a41d:934:58df:0', '0:1:0:48b5:a41d:934:58df:0'],
  ])('%s → %s', (text, kernel) => {
    expect(canonicalRouteDestination(text)).toBe(kernel);
  });

  test('text that is no destination is kept as it is (validation reports it)', () => {
    expect(canonicalRouteDestination('10.0.0.5/8')).toBe('10.0.0.5/8');
    expect(canonicalRouteDestination('10.0.0.0/024')).toBe('10.0.0.0/024');
    expect(canonicalRouteDestination('nonsense')).toBe('nonsense');
    expect(parseDestination('10.0.0.0/33')).toBeUndefined();
  });

  test('default is 0/0 of the family the table is of', () => {
    expect(parseDestination('default', 6)).toMatchObject({ family: 6, prefix: 0, first: 0n, last: 2n ** 128n - 1n });
    expect(parseDestination('default')).toMatchObject({ family: 4, prefix: 0, last: 2n ** 32n - 1n });
  });
});

describe('lookup', () => {
  const routes: IpRoute[] = [
    { dst: 'default', gateway: '192.168.1.1', dev: 'eth0' },
    { dst: '10.0.0.0/8', gateway: '192.168.1.2', dev: 'eth0', metric: 200 },
    { dst: '10.0.0.0/8', gateway: '192.168.1.3', dev: 'eth0', metric: 100 },
    { dst: '10.0.0.0/8', gateway: '192.168.1.4', dev: 'eth0', metric: 100 },
    { dst: '192.168.1.0/24', dev: 'eth0', protocol: 'kernel' },
  ];

  test('longest prefix, then the lowest metric, then the first of equals', () => {
    expect(pick(routes, '10.9.9.9')?.gateway).toBe('192.168.1.3');
    expect(pick(routes, '192.168.1.77')?.dev).toBe('eth0');
    expect(pick(routes, '192.168.1.77')?.gateway).toBeUndefined();
    expect(pick(routes, '8.8.8.8')?.gateway).toBe('192.168.1.1');
    expect(pick(routes.slice(1), '8.8.8.8')).toBeUndefined();
  });

  test.each(['blackhole', 'unreachable', 'prohibit', 'throw'])(
    'a %s route that wins drops the packet: no fall back to a shorter prefix',
    (type) => {
      const withDrop: IpRoute[] = [...routes, { type, dst: '10.1.0.0/16' }];
      expect(pick(withDrop, '10.1.2.3')).toMatchObject({ type, dst: '10.1.0.0/16' });
      expect(deliver(withDrop, '10.1.2.3')).toBeUndefined();
      expect(deliver(withDrop, '10.2.0.1')?.gateway).toBe('192.168.1.3');
      // The drop applies only where it wins: a longer prefix, or a lower metric, goes around it.
      expect(deliver([...withDrop, { dst: '10.1.2.0/24', gateway: '192.168.1.9' }], '10.1.2.3')?.gateway).toBe(
        '192.168.1.9',
      );
      expect(
        deliver(
          [
            { type, dst: '10.1.0.0/16', metric: 50 },
            { dst: '10.1.0.0/16', gateway: '192.168.1.9', metric: 10 },
          ],
          '10.1.0.1',
        )?.gateway,
      ).toBe('192.168.1.9');
    },
  );

  test('an IPv6 table answers IPv6 addresses only', () => {
    const v6 = RouteTable.of(
      6,
      [{ dst: 'default' }, { dst: 'fd00:1::/64', metric: 5 }, { dst: '10.0.0.0/8' }],
      (r) => r,
    );
    expect(v6.routes.map((e) => e.route.dst)).toEqual(['default', 'fd00:1::/64']);
    expect(v6.lookup(parseRouteAddress('fd00:1::7')!)?.route.dst).toBe('fd00:1::/64');
    expect(v6.lookup(parseRouteAddress('fd00:2::7')!)?.route.dst).toBe('default');
    expect(v6.lookup(parseRouteAddress('10.0.0.1')!)).toBeUndefined();
  });
});

describe('the users of the one lookup', () => {
  const routes: IpRoute[] = [
    { dst: 'default', gateway: '192.168.1.1', dev: 'eth0' },
    { type: 'blackhole', dst: '10.244.0.0/16' },
    { dst: '10.244.1.0/24', gateway: '192.168.1.12', dev: 'eth0', metric: 20 },
    { dst: '10.244.1.0/24', gateway: '192.168.1.13', dev: 'eth0', metric: 10 },
  ];

  test('diagnose: a blackhole is no route; the lowest metric wins', () => {
    expect(lookupRoute(routes, ipv4('10.244.7.1'))).toBeUndefined();
    expect(lookupRoute(routes, ipv4('10.244.1.5'))?.gateway).toBe('192.168.1.13');
    expect(lookupRoute(routes, ipv4('8.8.8.8'))?.gateway).toBe('192.168.1.1');
  });

  test('the lock-out guard: the route that wins, whatever its type', () => {
    expect(winningRoute(routes, '10.244.7.1')).toMatchObject({ type: 'blackhole' });
    expect(winningRoute(routes, '10.244.1.5')?.gateway).toBe('192.168.1.13');
  });
});

describe('trace reads the model through the same table', () => {
  const { cluster } = loadClusterFile(fixture('i12-pods.yaml'));
  const withRoutes = (routes: Cluster['nodes'][number]['routes']): Cluster => ({
    ...cluster,
    routing: 'manual',
    nodes: cluster.nodes.map((node) => (node.name === 'node01' ? { ...node, routes } : node)),
  });
  const firstHop = (c: Cluster) =>
    trace(c, {
      from: parseEndpoint(c, 'node01', false).endpoint!,
      to: parseEndpoint(c, '192.168.82.13', true).endpoint!,
      protocol: 'icmp',
    }).hops[0]?.action;

  test('of two routes to one destination, the lower metric wins, whichever is written first', () => {
    const viaRouter = { to: '192.168.82.0/24', via: '192.168.81.1', metric: 10 };
    const viaNode02 = { to: '192.168.82.0/24', via: '192.168.81.12', metric: 20 };
    expect(firstHop(withRoutes([viaNode02, viaRouter]))).toBe('route 192.168.82.0/24 via 192.168.81.1 dev eth0');
    expect(firstHop(withRoutes([viaRouter, viaNode02]))).toBe('route 192.168.82.0/24 via 192.168.81.1 dev eth0');
    expect(firstHop(withRoutes([{ ...viaNode02, metric: 5 }, viaRouter]))).toBe(
      'route 192.168.82.0/24 via 192.168.81.12 dev eth0',
    );
  });
});

import { routes } from '../../../src/host/resources/routes';
import { FactSet } from '../../../src/host/fact';
import { recordedFacts, rendered } from './facts-fixtures';
import { model } from './model';

const { cluster, node } = model();

describe('route kind on recorded ip -j route facts', () => {
  it('adds the static and the default route; revert deletes exactly them', () => {
    expect(routes.plan(node, recordedFacts('bare'), cluster).map(rendered)).toEqual([
      { apply: ['ip route replace 192.168.2.0/24 via 192.168.1.1'], revert: ['ip route del 192.168.2.0/24 metric 0'] },
      { apply: ['ip route replace default via 192.168.1.1 metric 100'], revert: ['ip route del default metric 100'] },
    ]);
  });

  it('is a no-op when converged', () => {
    expect(routes.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
  });

  it('replaces a route with another gateway, and revert restores the old one as it was (gateway, dev, proto)', () => {
    const [change] = routes.plan(node, recordedFacts('drifted'), cluster);
    expect(change.before).toBe('via 192.168.1.254 dev eth0');
    expect(rendered(change)).toEqual({
      apply: ['ip route replace 192.168.2.0/24 via 192.168.1.1'],
      revert: ['ip route replace 192.168.2.0/24 via 192.168.1.254 dev eth0 proto static'],
    });
  });

  it('treats a route with another metric as another route (the kernel keys routes by destination and metric)', () => {
    const other = { ...node, routes: [{ to: 'default', via: '192.168.1.1', metric: 50 }] };
    expect(routes.plan(other, recordedFacts('converged'), cluster).map((c) => c.target)).toEqual(['default metric 50']);
  });
});

describe('route destinations in canonical form', () => {
  const facts = (table: object[]) => new FactSet({ 'ip-route': JSON.stringify(table), 'ip-addr': '[]' });
  const withRoutes = (list: Array<{ to: string; via: string; metric?: number }>) => ({ ...node, routes: list });
  it('a /32 route is the bare address and 0.0.0.0/0 is default, as ip -j prints them: converged, no change', () => {
    const table = [
      { dst: '10.9.9.9', gateway: '192.168.1.1', dev: 'eth0' },
      { dst: 'default', gateway: '192.168.1.1', dev: 'eth0' },
    ];
    expect(
      routes.plan(
        withRoutes([
          { to: '10.9.9.9/32', via: '192.168.1.1' },
          { to: '0.0.0.0/0', via: '192.168.1.1' },
        ]),
        facts(table),
        cluster,
      ),
    ).toEqual([]);
  });
  it('an owned route no longer declared is deleted; a changed metric replaces the old route, an adopted one is restored', () => {
    const table = [
      { dst: '10.77.0.0/16', gateway: '192.168.1.1', dev: 'eth0' },
      { dst: '10.88.0.0/16', gateway: '192.168.1.9', dev: 'eth0' },
    ];
    const owned = [
      { kind: 'route', id: '10.77.0.0/16 metric 0', prior: null },
      { kind: 'route', id: '10.88.0.0/16 metric 0', prior: ['10.88.0.0/16', 'via', '192.168.1.254', 'dev', 'eth0'] },
    ];
    const changes = routes.plan(
      withRoutes([{ to: '10.77.0.0/16', via: '192.168.1.1', metric: 50 }]),
      facts(table),
      cluster,
      owned,
    );
    expect(changes.map((c) => [c.target, c.after, rendered(c).apply.join('; '), (c.releases ?? []).length])).toEqual([
      ['10.77.0.0/16 metric 50', 'via 192.168.1.1', 'ip route replace 10.77.0.0/16 via 192.168.1.1 metric 50', 0],
      ['10.77.0.0/16', 'absent', 'ip route del 10.77.0.0/16 metric 0', 1],
      [
        '10.88.0.0/16',
        'restored (via 192.168.1.254 dev eth0)',
        'ip route replace 10.88.0.0/16 via 192.168.1.254 dev eth0',
        1,
      ],
    ]);
    // A route it does not own is never touched.
    expect(routes.plan(withRoutes([]), facts(table), cluster, [])).toEqual([]);
  });
});

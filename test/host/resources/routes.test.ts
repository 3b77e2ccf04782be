import { routes } from '../../../src/host/resources/routes';
import { recordedFacts, rendered } from './facts-fixtures';
import { model } from './model';

const { cluster, node } = model();

describe('route kind on recorded ip -j route facts', () => {
  it('adds the static and the default route; revert deletes exactly them', () => {
    expect(routes.plan(node, recordedFacts('bare'), cluster).map(rendered)).toEqual([
      { apply: ['ip route replace 192.168.2.0/24 via 192.168.1.1'], revert: ['ip route del 192.168.2.0/24'] },
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

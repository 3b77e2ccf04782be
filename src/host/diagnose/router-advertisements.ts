/**
 * forwarding.accept-ra: the IPv6 trap (src/host/router-advertisements.ts). On a node that forwards IPv6 (all or any
 * interface), a default route learnt from a router advertisement (or any default route with a lifetime) on an
 * interface whose accept_ra is not 2 is a warning: where that interface forwards, advertisements are ignored and the
 * route will not be renewed (it expires); elsewhere the next write of a forwarding key (a reboot's sysctl, a
 * bootstrap) deletes it at once. A node with no such route, or that forwards nothing, gets no finding at all.
 */
import { describeRoute } from '../lockout';
import { mainRoutes } from '../resources/ip-facts';
import { acceptRaKey, ipv6Conf, raDefaultRoutes } from '../router-advertisements';
import { ok, RUN_BOOTSTRAP, warn, type Finding, type NodeCheck } from './types';

const CHECK = 'forwarding.accept-ra';

export const routerAdvertisementChecks: NodeCheck = ({ self }): Finding[] => {
  const { node, index, facts } = self;
  const conf = facts.get(ipv6Conf);
  const forwarding = [...conf.forwarding].filter(([iface, value]) => iface !== 'default' && value !== 0);
  const learnt = raDefaultRoutes(mainRoutes(facts, 6));
  if (forwarding.length === 0 || learnt.length === 0) return [];
  const on = forwarding.map(([iface]) => `net.ipv6.conf.${iface}.forwarding`).join(', ');
  return learnt.map((route) => {
    const dev = route.dev!;
    const acceptRa = conf.acceptRa.get(dev);
    const what = `${describeRoute(route, true)}${route.expires ? ` (expires in ${route.expires} s)` : ''}`;
    if (acceptRa === 2)
      return ok(CHECK, `${node.name}: ${what} is kept while IPv6 forwarding is on: accept_ra is 2 on ${dev}`);
    const forwards = (conf.forwarding.get(dev) ?? 0) !== 0;
    return warn(
      CHECK,
      `${node.name}: IPv6 forwarding is on (${on}) and accept_ra is ${acceptRa ?? 'unknown'} on ${dev}: ` +
        (forwards
          ? `${dev} ignores router advertisements, so ${what} will not be renewed`
          : `the next write of a forwarding key (a reboot's sysctl, a bootstrap) deletes ${what}`) +
        ', a default route learnt from a router advertisement',
      `add sysctls: { ${acceptRaKey(dev)}: 2 } to nodes[${index}] (${node.name}) and ${RUN_BOOTSTRAP}, or give it a static IPv6 default route`,
      { observed: `accept_ra ${acceptRa ?? 'unknown'}`, expected: 'accept_ra 2' },
    );
  });
};

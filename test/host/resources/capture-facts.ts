/**
 * Records the fact outputs that the unit tests of the resource kinds plan against, from a real sandboxed node
 * (real `ip -j`, `iptables-save`, sysctl and file reads, not invented ones). Re-run after changing a fact command:
 *   npx tsx test/host/resources/capture-facts.ts
 * States: bare (the node as the lab hands it over), converged (after applying the plan), drifted (converged, then
 * changed by hand: see DRIFT).
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import type { FactSet } from '../../../src/host/fact';
import { resourceKinds } from '../../../src/host/resources';
import { LAN_SETUP, model } from './model';
import { Sandbox } from './sandbox';

export const DRIFT = [
  'ip route replace 192.168.2.0/24 via 192.168.1.254 dev eth0 proto static',
  'ip link set v-net-0 down',
  'ip -n red route del default',
  'ip addr del 192.168.1.12/24 dev eth0',
  'ip link set eth0 mtu 1500',
  'sysctl -q -w net.ipv4.ip_forward=0',
  'iptables -t nat -D POSTROUTING -s 10.10.0.0/24 -o eth0 -m comment --comment netstrap:masquerade:10.10.0.0/24:out=eth0 -j MASQUERADE',
  'iptables -t nat -A POSTROUTING -s 10.99.0.0/24 -m comment --comment netstrap:masquerade:10.99.0.0/24 -j MASQUERADE',
  'sed -i "s/^192.168.2.11\\t/192.168.2.99\\t/" /etc/hosts',
  'mkdir -p /run/systemd/resolve',
  'printf "nameserver 127.0.0.53\\noptions edns0 trust-ad\\n" > /run/systemd/resolve/stub-resolv.conf',
  'rm -f /etc/resolv.conf',
  'ln -s ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf',
  'rm -f /etc/cni/net.d/10-kernel.conflist',
].join('\n');

function toJson(facts: FactSet): string {
  return `${JSON.stringify(facts.outputs, null, 1)}\n`;
}

async function main(): Promise<void> {
  const { cluster, node } = model();
  const box = await Sandbox.start(LAN_SETUP);
  const dir = join(__dirname, '..', '..', 'fixtures', 'host-facts');
  try {
    writeFileSync(join(dir, 'bare.json'), toJson(box.facts(node, cluster, resourceKinds)));
    const outcome = box.apply(box.plan(node, cluster, resourceKinds));
    if (!outcome.applied) throw new Error(outcome.output);
    writeFileSync(join(dir, 'converged.json'), toJson(box.facts(node, cluster, resourceKinds)));
    box.ok(DRIFT);
    writeFileSync(join(dir, 'drifted.json'), toJson(box.facts(node, cluster, resourceKinds)));
  } finally {
    await box.stop();
  }
}

if (require.main === module)
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });

/**
 * The node the resource-kind tests use: the seed's scenarios on one node (an extra address and an MTU on eth0,
 * routes, ip_forward, v-net-0 with namespaces red and blue, MASQUERADE and a DNAT port-forward, hosts, resolv.conf,
 * the bridge CNI conflist), and the sandbox setup that cables its eth0 to a LAN host.
 */
import { BOOT_SCRIPT, UNIT_FILE, UNIT_LINK } from '../../../src/host/resources/persist';
import { checkCluster } from '../../../src/model/load';
import type { Cluster, ClusterNode } from '../../../src/model/schema';

/** The node's LAN: eth0 (down, with the address the lab would give it) cabled to a LAN host in namespace lanhost. */
export const LAN_SETUP = [
  'ip netns add lanhost',
  'ip link add eth0 type veth peer name eth0 netns lanhost',
  'ip -n lanhost addr add 192.168.1.50/24 dev eth0',
  'ip -n lanhost link set eth0 up',
  'ip -n lanhost link set lo up',
  'ip addr add 192.168.1.11/24 dev eth0',
  // A NAT rule of the user's own: netstrap must leave it alone.
  'iptables -t nat -A POSTROUTING -s 172.31.0.0/16 -j MASQUERADE',
  'mkdir -p /opt/cni/bin',
  'touch /opt/cni/bin/bridge',
  'chmod +x /opt/cni/bin/bridge',
].join('\n');

export const FILES = [
  '/etc/sysctl.d/90-netstrap.conf',
  '/etc/hosts',
  '/etc/resolv.conf',
  '/etc/cni/net.d/10-kernel.conflist',
  BOOT_SCRIPT,
  UNIT_FILE,
  UNIT_LINK,
];

export function model(): { cluster: Cluster; node: ClusterNode } {
  const { cluster } = checkCluster(
    {
      name: 'kernel',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      cni: { plugin: 'bridge' },
      nodes: [
        {
          name: 'node01',
          ssh: { host: '10.250.20.11' },
          podSubnet: '10.244.1.0/24',
          interfaces: [{ name: 'eth0', addresses: ['192.168.1.11/24', '192.168.1.12/24'], mtu: 1400 }],
          sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.rp_filter': 2 },
          routes: [
            { to: '192.168.2.0/24', via: '192.168.1.1' },
            { to: 'default', via: '192.168.1.1', metric: 100 },
          ],
          bridges: [{ name: 'v-net-0', addresses: ['10.10.0.1/24'] }],
          namespaces: [
            {
              name: 'red',
              veth: { hostSide: 'veth-red', bridge: 'v-net-0', address: '10.10.0.2/24' },
              defaultRoute: '10.10.0.1',
            },
            {
              name: 'blue',
              veth: { hostSide: 'veth-blue', bridge: 'v-net-0', address: '10.10.0.3/24' },
              defaultRoute: '10.10.0.1',
            },
          ],
          nat: {
            masquerade: [{ source: '10.10.0.0/24', outInterface: 'eth0' }],
            portForwards: [{ protocol: 'tcp', port: 80, to: '10.10.0.3:80' }],
          },
          hosts: [{ ip: '192.168.2.11', names: ['node02', 'node02.lab'] }],
          resolv: { nameservers: ['192.168.1.53'], search: ['lab.example'] },
          cniConflists: true,
        },
      ],
    },
    'kernel.yaml',
  );
  return { cluster, node: cluster.nodes[0] };
}

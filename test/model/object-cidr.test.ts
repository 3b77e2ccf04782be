/** CIDRs of Kubernetes objects (ipBlock, load-balancer source ranges) as the API server reads them: src/model/cidr.ts. */
import { isStrictIpSubnet, parseObjectCidr } from '../../src/model/cidr';

const read = (text: string) => {
  const parsed = parseObjectCidr(text);
  return parsed.ok ? { network: parsed.value.networkText, hostBits: parsed.value.hostBitsSet } : parsed.error;
};

test.each([
  ['10.0.0.0/8', { network: '10.0.0.0/8', hostBits: false }],
  ['10.1.2.3/8', { network: '10.0.0.0/8', hostBits: true }],
  ['0.0.0.0/0', { network: '0.0.0.0/0', hostBits: false }],
  ['1.2.3.4/0', { network: '0.0.0.0/0', hostBits: true }],
  ['::/0', { network: '::/0', hostBits: false }],
  ['fd00:192:168::/48', { network: 'fd00:192:168::/48', hostBits: false }],
  ['FD00:0:0:1:0:0:0:5/64', { network: 'fd00:0:0:1::/64', hostBits: true }],
  ['2001:db8:0:0:1:0:0:1/128', { network: '2001:db8::1:0:0:1/128', hostBits: false }],
])('%s is the network %j', (text, expected) => expect(read(text)).toEqual(expected));

test.each([
  ['fd00:192:168::', 'invalid CIDR "fd00:192:168::": expected address/prefix such as 10.0.0.0/16 or fd00::/64'],
  ['192.168.5.6', 'invalid CIDR "192.168.5.6": expected address/prefix such as 10.0.0.0/16 or fd00::/64'],
  ['010.0.0.0/8', 'invalid CIDR "010.0.0.0/8": 010 is not an IPv4 octet (0-255, no leading zeros)'],
  ['1.2.3.4/33', 'invalid CIDR "1.2.3.4/33": prefix length 33 is out of range 0-32'],
  ['fd00::/129', 'invalid IPv6 CIDR "fd00::/129": prefix length 129 is out of range 0-128'],
  ['fd00::/064', 'invalid IPv6 CIDR "fd00::/064": prefix length 064 has a leading zero'],
  ['fe80::1%eth0/64', 'invalid IPv6 CIDR "fe80::1%eth0/64": expected address/prefix such as fd00:10::/64'],
  [
    '::ffff:10.0.0.0/104',
    'invalid IPv6 CIDR "::ffff:10.0.0.0/104": IPv4-mapped or embedded forms such as ::ffff:10.0.0.1 are not accepted: write the IPv4 address itself',
  ],
  ['foo.bar', 'invalid CIDR "foo.bar": expected address/prefix such as 10.0.0.0/16 or fd00::/64'],
])('%s is refused', (text, message) => expect(read(text)).toBe(message));

test('an except is a strict subset of its cidr: inside it, a longer prefix, the same family', () => {
  const net = (text: string) => {
    const parsed = parseObjectCidr(text);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value.network;
  };
  expect(isStrictIpSubnet(net('fd00:192:168:3::/64'), net('fd00:192:168::/48'))).toBe(true);
  expect(isStrictIpSubnet(net('fd00:192:168:2::/64'), net('fd00:192:168:1::/64'))).toBe(false);
  expect(isStrictIpSubnet(net('192.168.0.0/24'), net('192.168.0.0/24'))).toBe(false);
  expect(isStrictIpSubnet(net('192.168.9.1/32'), net('192.168.8.0/24'))).toBe(false);
  expect(isStrictIpSubnet(net('10.1.0.0/16'), net('10.0.0.0/8'))).toBe(true);
  expect(isStrictIpSubnet(net('::/96'), net('0.0.0.0/0'))).toBe(false);
  expect(isStrictIpSubnet(net('10.0.0.0/8'), net('::/0'))).toBe(false);
});

import { resolveLayout } from '../../src/model/layout';

describe('network plan', () => {
  test('defaults the DNS service IP to the 10th address of the service range', () => {
    const { layout, issues } = resolveLayout({ podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' });
    expect(issues).toEqual([]);
    expect(layout!.dnsServiceIp.toString()).toBe('10.96.0.10');
    expect(layout!.clusterDomain).toBe('cluster.local');
  });

  test.each([
    [{ podCidr: '999.1.1.1/8', serviceCidr: '10.96.0.0/12' }, 'podCidr', /999 is not an IPv4 octet/],
    [{ podCidr: '10.0.0.0/33', serviceCidr: '10.96.0.0/12' }, 'podCidr', /prefix length 33/],
    [
      { podCidr: '10.244.0.5/16', serviceCidr: '10.96.0.0/12' },
      'podCidr',
      /host bits are set; the network is 10\.244\.0\.0\/16/,
    ],
    [
      { podCidr: '10.0.0.0/8', serviceCidr: '10.96.0.0/12' },
      'serviceCidr',
      /serviceCidr 10\.96\.0\.0\/12 overlaps podCidr 10\.0\.0\.0\/8/,
    ],
    [
      { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '10.244.1.0/24' },
      'nodeCidr',
      /overlaps podCidr/,
    ],
    [
      { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', dnsServiceIp: '10.200.0.10' },
      'dnsServiceIp',
      /"10\.200\.0\.10" is outside serviceCidr 10\.96\.0\.0\/12/,
    ],
    [
      { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', dnsServiceIp: '10.96.0.300' },
      'dnsServiceIp',
      /300 is not an IPv4 octet/,
    ],
  ])('rejects %j at %s', (input, field, message) => {
    const { layout, issues } = resolveLayout(input);
    expect(layout).toBeUndefined();
    expect(issues).toEqual([expect.objectContaining({ path: [field], message: expect.stringMatching(message) })]);
  });
});

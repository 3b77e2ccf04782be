/**
 * The addresses `lab pod add` reads from a CNI result (issue 21): one per family, IPv4 first, only of interfaces
 * inside the pod's sandbox; what it prints is NAME followed by them.
 */
import { type LabPod, podAddresses, resultAddresses } from '../../src/lab/pods';

const interfaces = [{ name: 'cni0' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/run/netns/web' }];

test('a dual-stack result gives the IPv4 then the IPv6 address of the sandbox interface, whatever their order', () => {
  const result = {
    interfaces,
    ips: [
      { interface: 2, address: 'fd00:10:244::2/64', gateway: 'fd00:10:244::1' },
      { interface: 0, address: '10.244.0.1/24' },
      { interface: 2, address: '10.244.0.2/24', gateway: '10.244.0.1' },
    ],
  };
  expect(resultAddresses(result)).toEqual(['10.244.0.2', 'fd00:10:244::2']);
});

test('a single-stack result gives one address, of its family; none inside the sandbox gives none', () => {
  expect(resultAddresses({ interfaces, ips: [{ interface: 2, address: '10.244.0.2/24' }] })).toEqual(['10.244.0.2']);
  expect(resultAddresses({ interfaces, ips: [{ interface: 2, address: 'fd00:10:244::2/64' }] })).toEqual([
    'fd00:10:244::2',
  ]);
  expect(resultAddresses({ interfaces, ips: [{ interface: 1, address: '10.244.0.2/24' }] })).toEqual([]);
  // A result without interfaces (some plugins give none): every address counts.
  expect(resultAddresses({ ips: [{ address: '10.244.0.9/24' }] })).toEqual(['10.244.0.9']);
});

test('a pod recorded before dual-stack (no ips in pods.json) has its one ip', () => {
  const old = { name: 'web', ip: '10.244.0.2' } as LabPod;
  expect(podAddresses(old)).toEqual(['10.244.0.2']);
  expect(podAddresses({ ...old, ips: ['10.244.0.2', 'fd00:10:244::2'] })).toEqual(['10.244.0.2', 'fd00:10:244::2']);
});

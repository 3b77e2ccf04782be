import { Chart, Testing } from 'cdk8s';
import { Ingress } from '../../constructs/ingress';
import { NetworkPolicy } from '../../constructs/network-policy';
import { Service } from '../../constructs/service';
import { markChecked } from '../../src/model/checked';

// ClusterChart marks the entries validateCluster() has checked, and the constructors skip re-checking them
// (synth of a 20 000-object cluster file ran every per-object check twice). Unmarked props — a library user's —
// are always checked.
const badService = { name: 'web', ports: [{ port: 99999 }] };
const badPolicy = { name: 'deny', egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] } }] }] };
const badIngress = { name: 'site', rules: [{ paths: [{ path: 'no-slash', backend: { service: 'web', port: 80 } }] }] };

test("a library user's invalid props still throw", () => {
  const chart = new Chart(Testing.app(), 'test');
  expect(() => new Service(chart, 'svc', badService)).toThrow(/port 99999/);
  expect(() => new NetworkPolicy(chart, 'pol', badPolicy)).toThrow(/192\.168\.0\.0\/16/);
  expect(() => new Ingress(chart, 'ing', badIngress)).toThrow(/no-slash/);
});

test('props marked as checked by validateCluster are not checked again', () => {
  const chart = new Chart(Testing.app(), 'test');
  new Service(chart, 'svc', markChecked({ ...badService }));
  new NetworkPolicy(chart, 'pol', markChecked({ ...badPolicy }));
  new Ingress(chart, 'ing', markChecked({ ...badIngress }));
  // Nor at synth time (the Ingress backend check runs as a construct validation). Not synthesized: the objects
  // are invalid on purpose.
  expect(chart.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
  expect(chart.node.children.map((c) => c.node.id)).toEqual(['svc', 'pol', 'ing']);
});

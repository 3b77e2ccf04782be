/**
 * Issue 24: every cluster file of hosts/examples/ comes up in the lab (its own management network), converges with
 * `bootstrap`, and its own verify checks pass; one check per example proves its point (across the router, through
 * the bridge, back through the MASQUERADE, into the namespace through the DNAT, pod to pod across the router).
 */
import * as path from 'path';
import { bootstrapCluster, verifyCluster } from '../../src/host/provision';
import { podAdd } from '../../src/lab/pods';
import { describeLab, type LabHandle, repoRoot, useLab } from '../support/lab';

const example = (name: string) => path.join(repoRoot, 'hosts', 'examples', name);

/** Bootstraps: every host changed, no error; returns the checks bootstrap ran. */
async function bootstrap(lab: LabHandle) {
  const result = await bootstrapCluster(lab.model, { sshConfigFile: lab.state.sshConfigFile });
  expect(result.hosts.map((h) => [h.node, h.status, h.error ?? ''])).toEqual(
    result.hosts.map((h) => [h.node, 'changed', '']),
  );
  return result;
}

/** `netstrap verify`: every declared check, with its outcome. */
async function verify(lab: LabHandle): Promise<string[]> {
  const result = await verifyCluster(lab.model, { sshConfigFile: lab.state.sshConfigFile });
  return result.checks.map((c) => `${c.from} ${c.check} (expect ${c.expect}): ${c.status}`);
}
const allPassed = (lab: LabHandle) =>
  lab.model.cluster.verify.map((spec) => expect.stringMatching(new RegExp(`^${spec.from} .*: passed$`)));

describeLab('hosts/examples/router.yaml: a router between two LANs', () => {
  const lab = useLab(example('router.yaml'));
  test('converges and its checks pass; without forwarding on the router they fail', async () => {
    const result = await bootstrap(lab);
    expect(result.checks.map((c) => c.status)).toEqual(['passed', 'passed']);
    expect(await verify(lab)).toEqual(allPassed(lab));
    await lab.exec('router', ['sysctl', '-qw', 'net.ipv4.ip_forward=0'], { timeoutMs: 10000 });
    expect(await verify(lab)).toEqual([
      'host1 ping 192.168.2.11 (expect success): failed',
      'host2 ping 192.168.1.11 (expect success): failed',
    ]);
  }, 120000);
});

describeLab('hosts/examples/bridge-namespaces.yaml: a bridge and two namespaces', () => {
  const lab = useLab(example('bridge-namespaces.yaml'));
  test('converges and its checks pass', async () => {
    const result = await bootstrap(lab);
    expect(result.checks.every((c) => c.status === 'passed')).toBe(true);
    expect(await verify(lab)).toEqual(allPassed(lab));
  }, 120000);
});

describeLab('hosts/examples/masquerade.yaml: MASQUERADE', () => {
  const lab = useLab(example('masquerade.yaml'));
  test('converges and its checks pass; without the MASQUERADE rule the replies are lost', async () => {
    await bootstrap(lab);
    expect(await verify(lab)).toEqual(allPassed(lab));
    await lab.exec('node1', ['iptables', '-t', 'nat', '-F', 'POSTROUTING'], { timeoutMs: 10000 });
    expect((await verify(lab))[0]).toBe('node1/red ping 192.168.2.11 (expect success): failed');
  }, 120000);
});

describeLab('hosts/examples/dnat.yaml: DNAT into a namespace', () => {
  const lab = useLab(example('dnat.yaml'));
  test('converges; with a listener in blue on :80 its checks pass', async () => {
    await bootstrap(lab);
    // A bounded TCP listener in blue on :80, as a service would be.
    const listen = await lab.exec(
      'node1',
      [
        'ip',
        'netns',
        'exec',
        'blue',
        'sh',
        '-c',
        'timeout 100 /usr/bin/python3 -c "import socket\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\'192.168.15.2\', 80)); s.listen(8)\nfor _ in range(20):\n    c, a = s.accept(); c.close()" >/dev/null 2>&1 & sleep 0.5',
      ],
      { timeoutMs: 10000 },
    );
    expect(listen.status).toBe(0);
    expect(await verify(lab)).toEqual(allPassed(lab));
  }, 120000);
});

describeLab('hosts/examples/pod-network.yaml: the pod network (bridge CNI, routing: auto)', () => {
  const lab = useLab(example('pod-network.yaml'));
  test('converges; with pod web on each node its checks pass', async () => {
    await bootstrap(lab);
    const pods = [await podAdd(lab.state, 'node1', 'web'), await podAdd(lab.state, 'node2', 'web')];
    expect(pods.map((p) => p.ip)).toEqual([
      expect.stringMatching(/^10\.244\.0\./),
      expect.stringMatching(/^10\.244\.1\./),
    ]);
    expect(await verify(lab)).toEqual(allPassed(lab));
  }, 120000);
});

/**
 * Issue 25, item 5: a declared namespace that already exists on the node and holds an interface with the veth's
 * inside name (eth0) cannot get its veth. validate cannot know (it reads no node); plan and bootstrap find it in the
 * facts they read anyway (no extra round trip) and refuse the node before anything is applied, naming the field.
 */
import { netstrapAsync, snapshot } from './lab-support';
import { describeLab, fixture, testStateDir, useLab } from '../support/lab';

describeLab('a namespace that exists with an eth0 of its own (issue 25)', () => {
  const file = fixture('i25-netns-conflict.yaml');
  const lab = useLab(file);
  const stateDir = testStateDir(file);
  const REASON =
    'nodes[0].namespaces[0].veth.name (netns blue veth veth-blue): namespace "blue" already exists on node01 and holds an interface "eth0", ' +
    'while the veth\'s host side "veth-blue" is absent: the veth cannot be created; choose another veth.name or namespace name, ' +
    'or remove it (ip -n blue link del eth0); nothing was applied (--allow-disruption does not change this)';

  test('validate accepts the file; plan and bootstrap refuse the node (exit 2) and leave it untouched', async () => {
    expect((await netstrapAsync(['validate', file])).status).toBe(0);
    // What someone else made on the node: namespace blue holding an eth0 (a veth pair of its own), no veth-blue.
    const made = await lab.exec(
      'node01',
      ['sh', '-c', 'ip netns add blue && ip -n blue link add eth0 type veth peer name stray0'],
      {
        allowFailure: true,
      },
    );
    expect([made.status, made.stderr]).toEqual([0, '']);
    const before = await snapshot(lab.state, 'node01', true);

    const plan = await netstrapAsync(['plan', file, '--state-dir', stateDir]);
    expect([plan.status, plan.stdout]).toEqual([
      2,
      expect.stringContaining(
        `node01: no changes: REFUSED (bootstrap sends nothing to this node)\n  ! refused: ${REASON}\n`,
      ),
    ]);
    for (const extra of [[], ['--allow-disruption']]) {
      const run = await netstrapAsync(['bootstrap', file, '--state-dir', stateDir, '--json', ...extra]);
      const result = JSON.parse(run.stdout) as { hosts: Array<{ status: string; roundTrips: number; error: string }> };
      expect([run.status, result.hosts]).toEqual([
        2,
        [expect.objectContaining({ status: 'refused', roundTrips: 1, error: `refused: ${REASON}` })],
      ]);
    }
    expect(await snapshot(lab.state, 'node01', true)).toEqual(before);

    // Without the stray eth0, the same file converges.
    await lab.exec('node01', ['ip', '-n', 'blue', 'link', 'del', 'eth0']);
    const fixed = await netstrapAsync(['bootstrap', file, '--state-dir', stateDir]);
    expect([fixed.status, fixed.stderr.includes('refused')]).toEqual([0, false]);
  });
});

/**
 * Issue 25, item 6, against real lab nodes: `netstrap <command> … | head -1` (and a reader gone before the first
 * write) never prints a stack, and the command is not cut short: a bootstrap whose stdout is closed still converges.
 */
import { netstrapAsync } from '../host/lab-support';
import { netstrapPiped, stackOrEpipe } from '../support/closed-stdout';
import { describeLab, fixture, testStateDir, useLab } from '../support/lab';

describeLab('a closed stdout on lab nodes (issue 25)', () => {
  const file = fixture('i25-closed-stdout.yaml');
  const lab = useLab(file);
  const stateDir = testStateDir(file);

  test('bootstrap with its stdout closed converges the nodes quietly', async () => {
    const run = await netstrapPiped(['bootstrap', file, '--state-dir', stateDir], 'closed');
    expect({ status: run.status, stack: stackOrEpipe(run.stderr) }).toEqual({ status: 0, stack: [] });
    const plan = await netstrapAsync(['plan', file, '--state-dir', stateDir]);
    expect(plan.status).toBe(0);
    expect(plan.stdout).toMatch(/^node01: no changes\nnode02: no changes\n/);
  });

  test('lab down and lab up with their stdout closed: quiet, and the lab is down, then up again', async () => {
    const down = await netstrapPiped(['lab', 'down', file, '--state-dir', stateDir], 'closed');
    expect({ status: down.status, stack: stackOrEpipe(down.stderr) }).toEqual({ status: 0, stack: [] });
    const up = await netstrapPiped(['lab', 'up', file, '--state-dir', stateDir], 'head');
    expect({ status: up.status, stack: stackOrEpipe(up.stderr), first: up.stdout }).toEqual({
      status: 0,
      stack: [],
      first: expect.stringMatching(/^node01\t10\.250\.181\.11:22\tnetns /),
    });
    const status = await netstrapAsync(['lab', 'status', file, '--state-dir', stateDir]);
    expect([status.status, status.stdout]).toEqual([0, expect.stringContaining('2/2 nodes answer')]);
    // The lab is new: bootstrap it again for the commands below.
    expect((await netstrapAsync(['bootstrap', file, '--state-dir', stateDir])).status).toBe(0);
  });

  const commands: ReadonlyArray<readonly string[]> = [
    ['plan', file, '--state-dir', stateDir],
    ['verify', file, '--state-dir', stateDir],
    ['verify', file, '--state-dir', stateDir, '--json'],
    ['diagnose', file, '--state-dir', stateDir],
    ['reset', file, '--state-dir', stateDir, '--dry-run'],
    ['lab', 'status', file, '--state-dir', stateDir],
    ['lab', 'exec', file, 'node01', '--state-dir', stateDir, '--', 'seq', '1', '20000'],
  ];
  test.each(
    commands.map((args) => [args.filter((a) => ![file, '--state-dir', stateDir].includes(a)).join(' '), args] as const),
  )('netstrap %s', async (_name, args) => {
    const open = await netstrapAsync([...args]);
    expect(open.stdout).not.toBe('');
    for (const reader of ['closed', 'head'] as const) {
      const piped = await netstrapPiped(args, reader);
      expect({ reader, status: piped.status, stack: stackOrEpipe(piped.stderr) }).toEqual({
        reader,
        status: open.status,
        stack: [],
      });
      if (reader === 'head') expect(piped.stdout).toBe(`${open.stdout.split('\n')[0]}\n`);
    }
    void lab;
  });
});

/**
 * Issue 25, item 4: `expect: failure` for TCP means "the connection does not succeed". validate accepts it on a
 * path that delivers (a closed port refuses the connection); at verify, on real lab nodes, the check to a closed
 * port passes and the one to a port with a listener fails.
 */
import { netstrapAsync } from './lab-support';
import { describeLab, fixture, useLab } from '../support/lab';

interface JsonCheck {
  readonly index: number;
  readonly status: string;
  readonly detail?: string;
}

describeLab('verify: TCP expect: failure on a delivered path (issue 25)', () => {
  const file = fixture('i25-tcp-failure.yaml');
  const lab = useLab(file);

  /** A listener on node01 192.168.180.11:8081 accepting up to 10 connections, gone after 30 s at most. */
  const LISTENER = `timeout 30 /usr/bin/python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('192.168.180.11', 8081)); s.listen(10)
print('listening', flush=True)
for _ in range(10):
    c, a = s.accept(); c.close()
" > /tmp/listener-8081.out 2>&1 &
for i in $(seq 50); do grep -q listening /tmp/listener-8081.out && exit 0; sleep 0.1; done; cat /tmp/listener-8081.out; exit 1`;

  test('validate accepts both checks; verify passes the closed port and fails the open one', async () => {
    const validate = await netstrapAsync(['validate', file]);
    expect([validate.status, validate.stderr]).toEqual([0, '']);
    expect(validate.stdout).toContain(
      'verify[0]: node02 → tcp 192.168.180.11:8082: the path delivers; it passes only while nothing listens on the port',
    );

    const sshArgs = ['--ssh-config', lab.state.sshConfigFile];
    const started = await lab.exec('node01', ['sh', '-c', LISTENER], { timeoutMs: 15000, allowFailure: true });
    expect([started.status, started.stdout]).toEqual([0, '']);
    // bootstrap runs the checks once it has converged, verify again on the converged nodes: the same verdicts.
    for (const command of ['bootstrap', 'verify']) {
      const run = await netstrapAsync([command, file, ...sshArgs, '--json']);
      const result = JSON.parse(run.stdout) as { hosts: Array<{ status: string }>; checks: JsonCheck[] };
      expect([command, run.status, result.checks.map((c) => [c.index, c.status, c.detail ?? ''])]).toEqual([
        command,
        1,
        [
          [0, 'passed', ''],
          [1, 'failed', 'succeeded, expected failure'],
          [2, 'passed', ''],
        ],
      ]);
      expect(result.hosts.map((h) => h.status)).toEqual(
        command === 'bootstrap' ? ['changed', 'changed'] : ['ok', 'ok'],
      );
    }
  });
});

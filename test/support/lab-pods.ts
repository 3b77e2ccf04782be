/**
 * Probes for lab tests with pods: commands in a node or in one of its namespaces (`node01/web`), ping, and TCP
 * listeners that answer each connection with the peer address they saw (so a test sees NAT, or its absence). Both
 * families: an address with a colon is IPv6. Every listener and connection is bounded in time and count.
 */
import type { LabHandle } from './lab';

export function podProbes(lab: LabHandle) {
  /** Runs argv in a node or in one of its namespaces; returns status and output. */
  const run = async (where: string, argv: string[], timeoutMs = 15000) => {
    const [node, ns] = where.split('/');
    const r = await lab.exec(node, ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv, { timeoutMs, allowFailure: true });
    return { ok: r.status === 0, out: r.stdout + r.stderr };
  };
  /** True when one of three pings (0.3 s apart, 1 s each at most) is answered. */
  const pings = async (where: string, address: string) =>
    (await run(where, ['ping', '-c', '3', '-i', '0.3', '-W', '1', address])).ok;

  let listeners = 0;
  /** A TCP listener in `where` on ip:port answering every connection with the peer address it saw (bounded). */
  const listen = async (where: string, ip: string, port: number) => {
    const out = `/tmp/listen-${port}-${++listeners}.out`;
    const family = ip.includes(':') ? 'socket.AF_INET6' : 'socket.AF_INET';
    const script = `timeout 100 /usr/bin/python3 -c "
import socket
s = socket.socket(${family}); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('${ip}', ${port})); s.listen(8)
print('listening', flush=True)
for _ in range(50):
    c, a = s.accept(); c.sendall(a[0].encode()); c.close()
" > ${out} 2>&1 &
for i in $(seq 50); do grep -q listening ${out} && exit 0; sleep 0.1; done; cat ${out}; exit 1`;
    const r = await run(where, ['sh', '-c', script]);
    if (!r.ok) throw new Error(`listener in ${where} on ${ip}:${port}: ${r.out}`);
  };
  /** Connects from `where` to ip:port; returns the peer address the listener saw (or the error). */
  const peerSeen = async (where: string, ip: string, port: number) =>
    (
      await run(where, [
        'timeout',
        '5',
        '/usr/bin/python3',
        '-c',
        `import socket; s = socket.create_connection(('${ip}', ${port}), timeout=3); print(s.recv(100).decode())`,
      ])
    ).out.trim();
  return { run, pings, listen, peerSeen };
}

/**
 * The ssh2 transport floor: the least a Node process on netstrap's transport can do per node — start, load ssh2,
 * open one connection per node (host key checked against the lab's known_hosts, public-key auth), run `true`, and
 * exit — with the concurrency netstrap uses. Timed by bench/floors.ts like netstrap (process start-up included);
 * compiled to JavaScript first, so no TypeScript loader is timed.
 *
 *   node bench/out/ssh2-floor.js <lab state.json> <concurrency>
 *
 * Prints one JSON line: { ok, engineMs } (engineMs: first connect to last close, without start-up).
 */
import * as fs from 'fs';
import { Client } from 'ssh2';

interface LabFile {
  identityFile: string;
  knownHostsFile: string;
  nodes: Array<{ name: string; address: string; port: number }>;
}

function runTrue(node: LabFile['nodes'][number], key: Buffer, knownKeys: Map<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const fail = (error: Error) => {
      client.end();
      reject(new Error(`${node.name}: ${error.message}`));
    };
    client.on('error', fail);
    client.once('ready', () => {
      client.exec('true', (error, stream) => {
        if (error) return fail(error);
        let code: number | null = null;
        stream.on('exit', (status: number | null) => {
          code = status;
        });
        stream.on('close', () => {
          client.end();
          if (code === 0) resolve();
          else reject(new Error(`${node.name}: true exited ${code}`));
        });
        stream.resume();
        stream.end();
      });
    });
    client.connect({
      host: node.address,
      port: node.port,
      username: 'root',
      privateKey: key,
      readyTimeout: 30000,
      hostVerifier: (blob: Buffer) => knownKeys.get(node.address) === blob.toString('base64'),
      algorithms: { serverHostKey: { prepend: ['ssh-ed25519'] } as never },
    });
  });
}

async function main(): Promise<void> {
  const [stateFile, concurrencyText] = process.argv.slice(2);
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as LabFile;
  const concurrency = Number(concurrencyText);
  const key = fs.readFileSync(state.identityFile);
  // known_hosts lines: "<address>,<name> <type> <base64 key>".
  const knownKeys = new Map<string, string>();
  for (const line of fs.readFileSync(state.knownHostsFile, 'utf8').split('\n')) {
    const [names, , blob] = line.split(' ');
    if (blob) for (const name of names.split(',')) knownKeys.set(name, blob);
  }
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < state.nodes.length) await runTrue(state.nodes[next++], key, knownKeys);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, state.nodes.length) }, worker));
  console.log(JSON.stringify({ ok: state.nodes.length, engineMs: performance.now() - started }));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

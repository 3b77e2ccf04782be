/**
 * `npx tsx bench/profile.ts <file.cpuprofile>... [top]`: where V8 CPU profiles (node --cpu-prof, or
 * `npm run bench -- --profile`) spent their time — self time by package/file and by function, summed over the
 * files given (a tsx child writes one profile per thread).
 */
import * as fs from 'fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function main(): void {
  const args = process.argv.slice(2);
  const files = args.filter((a) => a.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error('usage: profile.ts <file.cpuprofile>... [top]');
  const top = Number(args.find((a) => /^\d+$/.test(a)) ?? 25);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const file of files) total += tally(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile, byFunction, byFile);
  const show = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`);
    }
  };
  console.log(`total sampled: ${(total / 1000).toFixed(0)} ms`);
  show('self time by package / file', byFile);
  show('self time by function', byFunction);
}

/** Adds one profile's self time (µs) to the two tallies; returns its total. */
function tally(profile: Profile, byFunction: Map<string, number>, byFile: Map<string, number>): number {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '') || '(native)';
    const fn = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const pkg = where.match(/node_modules\/((@[^/]+\/)?[^/]+)/)?.[1] ?? where;
    byFile.set(pkg, (byFile.get(pkg) ?? 0) + us);
  }
  return [...selfUs.values()].reduce((a, b) => a + b, 0);
}

main();

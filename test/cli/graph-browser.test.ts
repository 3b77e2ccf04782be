/**
 * The SVG of `netstrap graph` opens in a real browser: Debian's headless Chromium (chromium-headless-shell, installed
 * by scripts/install-test-deps.sh and .ci/run) loads it from a file:// URL and takes a screenshot. The picture must
 * not be blank (pixels counted with test/support/png.ts, against a blank page of the same size as the control), must
 * show the LANs' fill colour, and every node's name must be text of the SVG.
 */
import * as fs from 'fs';
import * as path from 'path';
import { $ } from 'zx/core';
import { loadClusterFile } from '../../src/model/load';
import { decodePng, nonWhitePixels, type Png } from '../support/png';
import { fixture, netstrap, repoRoot } from '../support/lab';
import { tempDirs } from '../support/temp';

const CHROMIUM = 'chromium-headless-shell';
const tempDir = tempDirs();
let dir: string;

beforeAll(async () => {
  const found = await $({ nothrow: true, quiet: true })`command -v ${CHROMIUM}`;
  if (found.exitCode !== 0) throw new Error(`${CHROMIUM} is not installed: run \`npm run test:setup\` (as root)`);
  dir = tempDir('netstrap-graph-browser-');
});

/** The SVG's size in CSS pixels (Graphviz writes points: 1pt = 4/3 px). */
function svgSize(svg: string): { width: number; height: number } {
  const match = /<svg width="([\d.]+)pt" height="([\d.]+)pt"/.exec(svg);
  if (!match) throw new Error('no width/height in pt on the <svg> element');
  return { width: Math.ceil((Number(match[1]) * 4) / 3), height: Math.ceil((Number(match[2]) * 4) / 3) };
}

/** Chromium's screenshot of a page, at the page's size (plus a margin), decoded. */
async function screenshot(page: string, width: number, height: number): Promise<Png> {
  const png = `${page}.png`;
  const argv = [
    CHROMIUM,
    '--no-sandbox',
    '--disable-gpu',
    `--user-data-dir=${path.join(dir, 'profile')}`,
    `--screenshot=${png}`,
    `--window-size=${width + 16},${height + 16}`,
    `file://${page}`,
  ];
  const run = await $({ nothrow: true, quiet: true, timeout: 60000 })`${argv}`;
  if (run.exitCode !== 0 || !fs.existsSync(png)) throw new Error(`${CHROMIUM} exited ${run.exitCode}:\n${run.stderr}`);
  return decodePng(fs.readFileSync(png));
}

/** Pixels of about this colour (each sample within `tolerance`). */
function pixelsOf(png: Png, [r, g, b]: readonly [number, number, number], tolerance = 6): number {
  let count = 0;
  for (let i = 0; i < png.pixels.length; i += png.channels) {
    const p = png.pixels;
    if (Math.abs(p[i] - r) <= tolerance && Math.abs(p[i + 1] - g) <= tolerance && Math.abs(p[i + 2] - b) <= tolerance)
      count++;
  }
  return count;
}

const LAN_FILL = [0xdb, 0xea, 0xfe] as const;

test('the control: a blank page of the same kind counts no drawn pixel', async () => {
  const page = path.join(dir, 'blank.svg');
  fs.writeFileSync(page, '<svg xmlns="http://www.w3.org/2000/svg" width="300pt" height="200pt"></svg>\n');
  const png = await screenshot(page, 400, 267);
  expect(png.width).toBe(416);
  expect(nonWhitePixels(png)).toBe(0);
});

const files = [
  'hosts/example.yaml',
  fixture('scenario-router.yaml'),
  fixture('scenario-bridge.yaml'),
  fixture('scenario-masquerade.yaml'),
  fixture('scenario-dnat.yaml'),
];

test.each(files.map((f) => [path.relative(repoRoot, f)]))(
  '%s: the SVG opens in Chromium, is not blank, and names every node',
  async (file) => {
    const page = path.join(dir, `${path.basename(file, '.yaml')}.svg`);
    const run = netstrap(['graph', file, '-o', page]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const svg = fs.readFileSync(page, 'utf8');
    const { cluster } = loadClusterFile(path.join(repoRoot, file));
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    for (const node of cluster.nodes) expect(texts).toContain(node.name);
    for (const lan of cluster.lans) expect(texts).toContain(lan.name);
    for (const ns of cluster.nodes.flatMap((n) => n.namespaces)) expect(texts).toContain(`netns ${ns.name}`);

    const { width, height } = svgSize(svg);
    const png = await screenshot(page, width, height);
    expect([png.width, png.height]).toEqual([width + 16, height + 16]);
    // Boxes, fills, lines and text cover a good part of the page; the LANs are drawn in their colour.
    const drawn = nonWhitePixels(png);
    expect(drawn / (png.width * png.height)).toBeGreaterThan(0.05);
    expect(pixelsOf(png, LAN_FILL)).toBeGreaterThan(1000 * cluster.lans.length);
    // Black text and lines: names, addresses, box borders (a few hundred pixels per box at least).
    expect(pixelsOf(png, [0, 0, 0], 60)).toBeGreaterThan(1500 * cluster.nodes.length);
  },
);

test('--netpol: the workloads and their allowed connections open in Chromium too, every workload named', async () => {
  const file = fixture('netpol-cluster.yaml');
  const page = path.join(dir, 'netpol.svg');
  const run = netstrap(['graph', file, '--netpol', '-o', page]);
  expect(run.status).toBe(0);
  const svg = fs.readFileSync(page, 'utf8');
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  for (const workload of loadClusterFile(file).cluster.kubernetes.workloads ?? [])
    expect(texts).toContain(workload.name);
  expect(texts).toEqual(expect.arrayContaining(['namespace shop', 'namespace ops', 'TCP 9000', 'TCP 5432']));
  const { width, height } = svgSize(svg);
  const png = await screenshot(page, width, height);
  expect(nonWhitePixels(png) / (png.width * png.height)).toBeGreaterThan(0.05);
  // The workload boxes' fill.
  expect(pixelsOf(png, [0xcf, 0xfa, 0xfe])).toBeGreaterThan(3000);
});

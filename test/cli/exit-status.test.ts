/**
 * The CLI returns the exit status its command set, passed explicitly (ExitStatus), never through the global
 * process.exitCode; constructs record their warnings and the app or the CLI prints them (issue 20).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { ClusterChart } from '../../constructs/cluster-chart';
import { warningsOf } from '../../constructs/warnings';
import { printChartWarnings } from '../../src/app';
import { runCaptured } from '../../src/cli/main';
import { parseClusterText } from '../../src/model/load';
import { tempDirs } from '../support/temp';

const tempDir = tempDirs();
const CLUSTER = `name: t
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
cni: { plugin: bridge }
lans:
  - { name: a, cidr: 10.1.0.0/24 }
  - { name: b, cidr: 10.2.0.0/24 }
nodes:
  - { name: n1, role: host, ssh: { host: 10.250.170.11 }, interfaces: [{ name: eth0, lan: a, addresses: [10.1.0.1/24] }] }
  - { name: n2, role: host, ssh: { host: 10.250.170.12 }, interfaces: [{ name: eth0, lan: b, addresses: [10.2.0.2/24] }] }
kubernetes:
  networkPolicies:
    - { name: db, namespace: prod, podSelector: { matchLabels: { role: db } }, policyTypes: [Ingress] }
`;
const WARNING =
  'the bridge CNI plugin does not enforce NetworkPolicies: NetworkPolicy prod/db will be accepted by the API server but have no effect';

function clusterFile(): string {
  const file = path.join(tempDir('exit-status-'), 'c.yaml');
  fs.writeFileSync(file, CLUSTER);
  return file;
}

test('a command that fails returns its status; process.exitCode is never touched', async () => {
  const file = clusterFile();
  const before = process.exitCode;
  process.exitCode = 7;
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    // n2's LAN has no route from n1: the trace is dropped, exit 1.
    expect((await runCaptured(['trace', file, 'n1', '10.2.0.2'])).code).toBe(1);
    expect(process.exitCode).toBe(7);
    // The next run starts from 0, whatever the previous one set.
    expect((await runCaptured(['trace', file, 'n1', '10.1.0.5'])).code).toBe(0);
    expect(process.exitCode).toBe(7);
  } finally {
    stdout.mockRestore();
    process.exitCode = before;
  }
});

test('ClusterChart records its warnings and prints nothing; the app and netstrap synth print them', async () => {
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  let chart: ClusterChart;
  try {
    chart = new ClusterChart(Testing.app(), 'c', { model: parseClusterText(CLUSTER, 'c.yaml') });
    expect(stderr).not.toHaveBeenCalled();
  } finally {
    stderr.mockRestore();
  }
  expect(warningsOf(chart)).toEqual([WARNING]);
  const printed: string[] = [];
  printChartWarnings(chart, (text) => printed.push(text));
  expect(printed).toEqual([`warning: ${WARNING}\n`]);
  const quiet = new ClusterChart(Testing.app(), 'c', { model: parseClusterText(CLUSTER, 'c.yaml'), quiet: true });
  expect(warningsOf(quiet)).toEqual([]);
  const synth = await runCaptured(['synth', clusterFile(), '--stdout']);
  expect(synth.code).toBe(0);
  expect(synth.stderr).toBe(`warning: ${WARNING}\n`);
});

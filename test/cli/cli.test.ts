import * as fs from 'fs';
import * as path from 'path';
import { netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';

describe('netstrap CLI', () => {
  const tempDir = tempDirs();

  test('validate prints a one-line summary for the example cluster', () => {
    const run = netstrap(['validate', 'hosts/example.yaml']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // The summary, then how far the verify checks were traced (no pod-subnet table: Weave allocates pod addresses).
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^hosts\/example\.yaml: ok: cluster example: pods 10\.244\.0\.0\/16, services 10\.96\.0\.0\/12, dns 10\.96\.0\.10/,
      ),
      'verify: 2 checks traced, none can fail as declared (netstrap trace shows each path)',
    ]);
  });

  test('validate exits 2 and names file, field and value for every error', () => {
    const dir = tempDir('netstrap-cli-');
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'name: bad\nnetwork:\n  podCidr: 999.1.1.1/8\n  serviceCidr: 10.96.0.5/12\n');
    const run = netstrap(['validate', file]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file}:3: network.podCidr: invalid CIDR "999.1.1.1/8": 999 is not an IPv4 octet`);
    expect(run.stderr).toContain(
      `${file}:4: network.serviceCidr: invalid CIDR "10.96.0.5/12": host bits are set; the network is 10.96.0.0/12`,
    );
  });

  test('unknown flags and missing arguments are usage errors (exit 2)', () => {
    expect(netstrap(['validate', '--frobnicate', 'hosts/example.yaml']).status).toBe(2);
    expect(netstrap(['validate']).status).toBe(2);
    expect(netstrap(['synth', 'a.yaml', 'b.yaml']).status).toBe(2);
  });

  test('--help works on every command', () => {
    for (const command of ['validate', 'synth', 'schema']) {
      const run = netstrap([command, '--help']);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`Usage: netstrap ${command}`);
    }
  });

  test('synth writes the manifests of the cluster file to the output directory', () => {
    const out = tempDir('netstrap-synth-');
    const run = netstrap(['synth', 'hosts/example.yaml', '-o', out]);
    expect(run.status).toBe(0);
    expect(fs.readdirSync(out)).toEqual(['example.k8s.yaml']);
  });

  test('synth of a bad file writes nothing', () => {
    const out = path.join(tempDir('netstrap-synth-'), 'out');
    const dir = tempDir('netstrap-cli-');
    fs.writeFileSync(
      path.join(dir, 'bad.yaml'),
      'name: Bad_Name\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\n',
    );
    const run = netstrap(['synth', path.join(dir, 'bad.yaml'), '-o', out]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/bad\.yaml:1: name: must be a DNS-1123 label.*\(got "Bad_Name"\)/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

/**
 * `netstrap lab down` of a lab that is not there (never brought up, or already down) has nothing to remove: exit 0
 * with a note, not a failure (issue 24, item 6). No namespace or process is made: a state directory without
 * state.json is all the lab it sees, so this runs outside the lab lock.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fixture, netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';

const tempDir = tempDirs();

test('down of a lab never brought up: exit 0, a note naming the state directory, nothing created', () => {
  const stateDir = path.join(tempDir('netstrap-lab-absent-'), 'state');
  const run = netstrap(['lab', 'down', fixture('lab-lan.yaml'), '--state-dir', stateDir]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toBe(`lab lablan: no lab in ${stateDir} (no state.json): nothing to remove\n`);
  expect(fs.existsSync(stateDir)).toBe(false);
});

test('down twice: the second finds the state directory empty and says so', () => {
  const stateDir = tempDir('netstrap-lab-absent-');
  const run = netstrap(['lab', 'down', fixture('lab-lan.yaml'), '--state-dir', stateDir]);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('nothing to remove');
});

test('a bad cluster file is still exit 2 naming file, field and value', () => {
  const file = path.join(tempDir('netstrap-lab-absent-'), 'bad.yaml');
  fs.writeFileSync(file, 'name: bad\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/33 }\n');
  const run = netstrap(['lab', 'down', file]);
  expect(run.status).toBe(2);
  expect(run.stderr).toContain(`${file}:2: network.serviceCidr: invalid CIDR "10.96.0.0/33"`);
});

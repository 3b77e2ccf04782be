import * as fs from 'fs';
import * as path from 'path';
import { parseClusterText } from '../../src/model/load';
import { parseDocuments } from '../../src/model/netpol/manifests';
import { issueLines } from '../support/errors';

const example = fs.readFileSync(path.join(__dirname, '../../hosts/example.yaml'), 'utf8');

/** The error lines parseClusterText throws for `text`, or [] when it is accepted. */
function errors(text: string, file = 'hosts/bad.yaml'): string[] {
  return issueLines(() => parseClusterText(text, file));
}

describe('cluster-file YAML parse', () => {
  test('the example parses and checks', () => {
    expect(errors(example)).toEqual([]);
  });

  test('a syntax error names the file, line and column', () => {
    expect(errors('name: lab\nnetwork:\n  podCidr: [10.244.0.0/16\n')).toEqual([
      'hosts/bad.yaml: (root): YAML: unexpected end of the stream within a flow collection at line 4, column 1',
    ]);
    expect(errors('name: lab\nnodes:\n  - name: a\n - name: b\n')).toEqual([
      'hosts/bad.yaml: (root): YAML: bad indentation of a mapping entry at line 4, column 2',
    ]);
  });

  test('a key given twice is an error, not a silent overwrite', () => {
    expect(errors(`${example}\nname: again\n`)).toEqual([
      expect.stringMatching(/^hosts\/bad\.yaml: \(root\): YAML: duplicated mapping key at line \d+, column 1$/),
    ]);
  });

  test('YAML nested thousands of levels deep is bad input, not a stack overflow', () => {
    const flow = `name: deep\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    let block = 'name: deep\nnetwork:\n';
    for (let i = 1; i <= 5000; i++) block += `${'  '.repeat(i)}a:\n`;
    for (const text of [flow, block]) {
      expect(errors(text)).toEqual(['hosts/bad.yaml: (root): YAML: nesting is too deep (at most 100 levels)']);
      expect(issueLines(() => parseDocuments(text, 'm.yaml'))).toEqual([
        'm.yaml: (root): YAML: nesting is too deep (at most 100 levels)',
      ]);
    }
  });

  test('a __proto__ key is refused, not dropped (it would turn a selector into "every pod")', () => {
    const text = example.replace('matchLabels: { role: db }', 'matchLabels: { __proto__: db }');
    expect(text).not.toEqual(example);
    expect(errors(text)).toEqual([
      'hosts/bad.yaml:83: kubernetes.networkPolicies[0].podSelector.matchLabels.__proto__: key "__proto__" is invalid: ' +
        'the name part must be 1-63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
    ]);
  });

  test('exactly one cluster document', () => {
    expect(errors(`${example}\n---\n${example}`)).toEqual([
      'hosts/bad.yaml: (root): expected exactly one YAML document (one cluster), found 2',
    ]);
    expect(errors('# only a comment\n---\n')).toEqual([
      'hosts/bad.yaml: (root): expected exactly one YAML document (one cluster), found 0',
    ]);
    // A leading `---` and trailing empty documents are fine.
    expect(errors(`---\n${example}\n---\n`)).toEqual([]);
  });

  test('YAML 1.2 core schema: a date-like value stays a string for the schema to judge', () => {
    const text = example.replace(/^name: .*$/m, 'name: 2024-01-01');
    expect(text).not.toBe(example);
    expect(errors(text)).toEqual([]);
  });
});

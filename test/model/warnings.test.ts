/**
 * The two levels of strictness (issue 19): an Issue without severity is an error (exit 2); one with severity
 * 'warning' is accepted but surely a mistake, printed as `warning: file: path: message`, never fatal.
 */
import {
  errorsOf,
  InputError,
  Issue,
  MAX_LINES,
  throwIfAny,
  under,
  warningLines,
  warningsOf,
} from '../../src/model/errors';
import { assertProps, propsIssues } from '../../src/model/props';
import { z } from 'zod';

const warning: Issue = {
  path: ['spec', 'ingress'],
  message: 'ignored: policyTypes has no Ingress',
  severity: 'warning',
};
const error: Issue = { path: ['spec', 'podSelector'], message: 'is required' };

describe('warnings', () => {
  test('throwIfAny ignores warnings and throws the errors alone', () => {
    expect(() => throwIfAny('a.yaml', [warning])).not.toThrow();
    expect(() => throwIfAny('a.yaml', [])).not.toThrow();
    let thrown: unknown;
    try {
      throwIfAny('a.yaml', [warning, error]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).lines()).toEqual(['a.yaml: spec.podSelector: is required']);
  });

  test('errorsOf and warningsOf split the issues; under() keeps the severity', () => {
    expect(errorsOf([warning, error])).toEqual([error]);
    expect(warningsOf([warning, error])).toEqual([warning]);
    expect(under(['kubernetes', 'networkPolicies', 0], [warning])).toEqual([
      { ...warning, path: ['kubernetes', 'networkPolicies', 0, 'spec', 'ingress'] },
    ]);
  });

  test('warningLines prints the warnings only, in the error shape behind "warning: ", one line each', () => {
    expect(warningLines('hosts/lab.yaml', [error, warning])).toEqual([
      'warning: hosts/lab.yaml: spec.ingress: ignored: policyTypes has no Ingress',
    ]);
    expect(warningLines('dist/a.yaml (document 2, NetworkPolicy shop/db)', [{ ...warning, message: 'a\nb' }])).toEqual([
      'warning: dist/a.yaml (document 2, NetworkPolicy shop/db): spec.ingress: a\\nb',
    ]);
    const many = Array.from({ length: MAX_LINES + 3 }, () => warning);
    const lines = warningLines('x.yaml', many);
    expect(lines).toHaveLength(MAX_LINES + 1);
    expect(lines.at(-1)).toBe('warning: x.yaml: (root): 3 more issues not shown; fix the ones above first');
  });

  test('construct props: warnings from the own checks do not throw', () => {
    const schema = z.strictObject({ name: z.string() });
    expect(propsIssues(schema, { name: 'a' }, () => [warning])).toEqual([warning]);
    expect(() => assertProps(schema, { name: 'a' }, 'NetworkPolicy "a"', () => [warning])).not.toThrow();
    expect(() => assertProps(schema, { name: 'a' }, 'NetworkPolicy "a"', () => [warning, error])).toThrow(
      'NetworkPolicy "a": spec.podSelector: is required',
    );
  });
});

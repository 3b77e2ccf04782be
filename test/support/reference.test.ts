import * as path from 'path';
import { reference, REFERENCE_DIR } from './k8s';

test('a missing reference manifest fails with one line naming it and where it is expected', () => {
  let error: Error | undefined;
  try {
    reference('weave', 'no-such-file.yaml');
  } catch (caught) {
    error = caught as Error;
  }
  const expected = path.join(REFERENCE_DIR, 'weave', 'no-such-file.yaml');
  expect(error?.message).toBe(
    `missing reference manifest weave/no-such-file.yaml: expected at ${expected} (../shared/reference beside the repository)`,
  );
  expect(error?.stack).toBe(error?.message);
});

test('a present one is its path', () => {
  expect(reference('weave')).toBe(path.join(REFERENCE_DIR, 'weave'));
});

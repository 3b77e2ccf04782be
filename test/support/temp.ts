/** Test support: temporary directories under os.tmpdir() that are removed after the test file (or describe) ends. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Returns a maker of fresh temporary directories (`<prefix>XXXXXX`); every directory it made is removed by an
 * afterAll hook of the enclosing scope. Call it at the top level of a test file or of a describe block.
 */
export function tempDirs(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}

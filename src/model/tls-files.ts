/**
 * Reading an Ingress TLS entry's certFile and keyFile (the cluster file's, or Ingress props'): the one place the
 * model reads them, so the checks in ./checks/ stay free of I/O (they take {@link tlsFileIssues} as context).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { IngressTlsSpec } from './checks/ingress';
import { Issue, show } from './errors';

/** Largest certFile or keyFile read (a certificate chain is a few KB). */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

/** The certificate and key of a TLS entry read from disk, or the issues (missing file, not PEM). */
export function readTlsFiles(tls: IngressTlsSpec, baseDir: string): { issues: Issue[]; cert?: Buffer; key?: Buffer } {
  const issues: Issue[] = [];
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    const missing = tls.certFile === undefined ? 'certFile' : 'keyFile';
    issues.push({
      path: [missing],
      message: `${missing} is required with ${missing === 'certFile' ? 'keyFile' : 'certFile'} ${show(tls.certFile ?? tls.keyFile)}: a TLS Secret needs both`,
    });
    return { issues };
  }
  if (tls.certFile === undefined || tls.keyFile === undefined) return { issues };
  const read = (field: 'certFile' | 'keyFile', file: string, marker: RegExp, what: string): Buffer | undefined => {
    const full = path.resolve(baseDir, file);
    let data: Buffer;
    try {
      // A regular file of at most 1 MiB: /dev/zero or a FIFO would be read forever, a huge file into memory.
      const stat = fs.statSync(full);
      if (!stat.isFile()) {
        issues.push({
          path: [field],
          message: `${field} ${show(file)} (${full.length > 200 ? `…${full.slice(-200)}` : full}) is not a regular file`,
        });
        return undefined;
      }
      if (stat.size > MAX_TLS_FILE_BYTES) {
        issues.push({
          path: [field],
          message: `${field} ${show(file)} is ${stat.size} bytes; a PEM file may hold at most ${MAX_TLS_FILE_BYTES} (1 MiB)`,
        });
        return undefined;
      }
      data = fs.readFileSync(full);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      issues.push({
        path: [field],
        message: `cannot read ${field} ${show(file)} (${full.length > 200 ? `…${full.slice(-200)}` : full}): ${code === 'ENOENT' ? 'no such file' : (code ?? (error as Error).message.slice(0, 100))}`,
      });
      return undefined;
    }
    if (!marker.test(data.toString('latin1'))) {
      issues.push({
        path: [field],
        message: `${field} ${show(file)} (${full.length > 200 ? `…${full.slice(-200)}` : full}) is not a PEM ${what}`,
      });
      return undefined;
    }
    return data;
  };
  const cert = read(
    'certFile',
    tls.certFile,
    /-----BEGIN CERTIFICATE-----/,
    'certificate (-----BEGIN CERTIFICATE-----)',
  );
  const key = read(
    'keyFile',
    tls.keyFile,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    'private key (-----BEGIN ... PRIVATE KEY-----)',
  );
  return { issues, cert, key };
}

/** The issues of reading a TLS entry's files relative to `baseDir` (for IngressContext.tlsFiles). */
export function tlsFileIssues(baseDir: string): (tls: IngressTlsSpec) => Issue[] {
  return (tls) => readTlsFiles(tls, baseDir).issues;
}

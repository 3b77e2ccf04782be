import { App, Chart, Testing } from 'cdk8s';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Ingress, REWRITE_TARGET_ANNOTATION } from '../../constructs/ingress';
import { Service } from '../../constructs/service';
import { rejection } from '../support/errors';
import { findObject, synthValid } from '../support/k8s';

let certDir: string;
beforeAll(() => {
  // A real self-signed certificate, as a user would have.
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=wear.my-site.com',
      '-keyout',
      path.join(certDir, 'tls.key'),
      '-out',
      path.join(certDir, 'tls.crt'),
    ],
    { stdio: 'ignore' },
  );
});
afterAll(() => fs.rmSync(certDir, { recursive: true, force: true }));

function services(c: Chart): { wear: Service; watch: Service } {
  return {
    wear: new Service(c, 'wear-service', {
      selector: { app: 'wear' },
      ports: [{ name: 'http', port: 8282, targetPort: 8080 }],
    }),
    watch: new Service(c, 'watch-service', { selector: { app: 'video' }, ports: [{ port: 8282, targetPort: 8080 }] }),
  };
}

describe('Ingress', () => {
  test('hosts, paths, backends by construct, port number or port name, TLS secret name, rewrite-target', () => {
    const c = new Chart(Testing.app(), 'test');
    const { wear, watch } = services(c);
    new Ingress(c, 'ingress-wear-watch', {
      ingressClassName: 'nginx',
      rewriteTarget: '/',
      tls: [{ hosts: ['wear.my-site.com', 'travel.my-site.com'], secretName: 'my-site-tls' }],
      rules: [
        { host: 'wear.my-site.com', paths: [{ path: '/', backend: { service: wear, port: 'http' } }] },
        {
          host: 'travel.my-site.com',
          paths: [{ path: '/watch', pathType: 'Exact', backend: { service: watch, port: 8282 } }],
        },
      ],
    });
    const ingress = findObject(synthValid(c), 'Ingress', 'ingress-wear-watch');
    expect(ingress.metadata).toEqual({ name: 'ingress-wear-watch', annotations: { [REWRITE_TARGET_ANNOTATION]: '/' } });
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['wear.my-site.com', 'travel.my-site.com'], secretName: 'my-site-tls' }],
      rules: [
        {
          host: 'wear.my-site.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'wear-service', port: { name: 'http' } } } },
            ],
          },
        },
        {
          host: 'travel.my-site.com',
          http: {
            paths: [
              {
                path: '/watch',
                pathType: 'Exact',
                backend: { service: { name: 'watch-service', port: { number: 8282 } } },
              },
            ],
          },
        },
      ],
    });
  });

  test('certFile + keyFile become a kubernetes.io/tls Secret with the files base64-encoded', () => {
    const c = new Chart(Testing.app(), 'test');
    const { wear } = services(c);
    new Ingress(c, 'web', {
      namespace: 'default',
      defaultBackend: { service: wear, port: 8282 },
      tls: [{ hosts: ['wear.my-site.com'], secretName: 'wear-tls', certFile: 'tls.crt', keyFile: 'tls.key' }],
      baseDir: certDir,
    });
    const objects = synthValid(c);
    const secret = findObject(objects, 'Secret', 'wear-tls');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(secret.metadata.namespace).toBe('default');
    expect(Buffer.from(secret.data['tls.crt'], 'base64')).toEqual(fs.readFileSync(path.join(certDir, 'tls.crt')));
    expect(Buffer.from(secret.data['tls.key'], 'base64')).toEqual(fs.readFileSync(path.join(certDir, 'tls.key')));
    const ingress = findObject(objects, 'Ingress', 'web');
    expect(ingress.spec.defaultBackend).toEqual({ service: { name: 'wear-service', port: { number: 8282 } } });
    expect('rules' in ingress.spec).toBe(false);
  });

  test('a missing certificate file names the field and the path', () => {
    const c = new Chart(Testing.app(), 'test');
    const { wear } = services(c);
    const missing = path.join(certDir, 'nope.crt');
    expect(
      rejection(
        () =>
          new Ingress(c, 'web', {
            defaultBackend: { service: wear, port: 8282 },
            tls: [{ hosts: ['a.example.com'], secretName: 's', certFile: 'nope.crt', keyFile: 'tls.key' }],
            baseDir: certDir,
          }),
      ),
    ).toBe(`Ingress "web": tls[0].certFile: cannot read certFile "nope.crt" (${missing}): no such file`);
    expect(
      rejection(
        () =>
          new Ingress(c, 'web', {
            defaultBackend: { service: wear, port: 8282 },
            tls: [{ hosts: ['a.example.com'], secretName: 's', certFile: 'tls.key', keyFile: 'tls.crt' }],
            baseDir: certDir,
          }),
      ),
    ).toMatch(/tls\[0\]\.certFile: certFile "tls.key" \(.*tls.key\) is not a PEM certificate/);
  });

  test('a backend Service construct must expose the port and live in the same namespace', () => {
    const c = new Chart(Testing.app(), 'test');
    const { wear } = services(c);
    expect(
      rejection(() => new Ingress(c, 'a', { rules: [{ paths: [{ backend: { service: wear, port: 80 } }] }] })),
    ).toBe(
      'Ingress "a": rules[0].paths[0].backend.port: Service "wear-service" has no port 80; it exposes 8282 ("http")',
    );
    expect(
      rejection(
        () =>
          new Ingress(c, 'b', { namespace: 'shop', rules: [{ paths: [{ backend: { service: wear, port: 8282 } }] }] }),
      ),
    ).toBe(
      'Ingress "b": rules[0].paths[0].backend.service: Service "wear-service" is in namespace "default", but an Ingress can only route to Services of its own namespace "shop"',
    );
  });

  test("a backend given by name is checked against the app's Services when it is synthesized", () => {
    const app = new App({ outdir: path.join(certDir, 'out') });
    const c = new Chart(app, 'test');
    new Ingress(c, 'early', {
      rules: [{ host: 'a.example.com', paths: [{ backend: { service: 'later', port: 'web' } }] }],
    });
    new Ingress(c, 'ghost', {
      rules: [{ host: 'b.example.com', paths: [{ backend: { service: 'nobody', port: 80 } }] }],
    });
    new Service(c, 'later', { ports: [{ name: 'web', port: 80 }] });
    expect(() => app.synth()).toThrow(
      /Ingress "ghost": rules\[0\]\.paths\[0\]\.backend\.service: Service "nobody" is not defined in namespace "default"/,
    );
    expect(c.node.findChild('early').node.validate()).toEqual([]);
  });

  test('two Ingresses of one class may not route the same host and path', () => {
    const c = new Chart(Testing.app(), 'test');
    const { wear, watch } = services(c);
    new Ingress(c, 'a', {
      ingressClassName: 'nginx',
      rules: [{ host: 'x.example.com', paths: [{ path: '/api', backend: { service: wear, port: 8282 } }] }],
    });
    // Another class, or another pathType, is another route.
    new Ingress(c, 'b', {
      ingressClassName: 'traefik',
      rules: [{ host: 'x.example.com', paths: [{ path: '/api', backend: { service: watch, port: 8282 } }] }],
    });
    new Ingress(c, 'c', {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'x.example.com',
          paths: [{ path: '/api', pathType: 'Exact', backend: { service: watch, port: 8282 } }],
        },
      ],
    });
    expect(
      rejection(
        () =>
          new Ingress(c, 'd', {
            ingressClassName: 'nginx',
            rules: [{ host: 'x.example.com', paths: [{ path: '/api', backend: { service: watch, port: 8282 } }] }],
          }),
      ),
    ).toBe(
      'Ingress "d": rules[0].paths[0].path: host "x.example.com" path "/api" (Prefix) of class "nginx" is routed twice: by Ingress default/a and by Ingress default/d',
    );
    expect(synthValid(c).filter((o) => o.kind === 'Ingress')).toHaveLength(3);
  });
});

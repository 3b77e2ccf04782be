/**
 * Issue 25, item 5: rewriteTarget and every nginx.ingress.kubernetes.io annotation are accepted only as
 * ingress-nginx's own annotation validation accepts them (src/model/checks/nginx-annotations.ts). The patterns
 * rewritten to run in linear time are compared with ingress-nginx's verbatim ones on every short string.
 */
import fc from 'fast-check';
import { parseClusterText } from '../../src/model/load';
import {
  corsOriginAccepted,
  NGINX_ANNOTATIONS,
  nginxAnnotationProblem,
  PATTERNS,
} from '../../src/model/checks/nginx-annotations';
import { issueLines } from '../support/errors';

const INGRESS = (extra: string) => `name: c
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
kubernetes:
  services: [{ name: s, ports: [{ port: 80 }] }]
  ingresses:
    - name: i
      defaultBackend: { service: s, port: 80 }
${extra}`;
const load = (extra: string) => parseClusterText(INGRESS(extra), 'c.yaml');
const problems = (extra: string) => issueLines(() => load(extra));
const warnings = (extra: string) => load(extra).warnings.map((w) => `${w.path.join('.')}: ${w.message}`);

describe('rewriteTarget', () => {
  test.each(['/', '/$1', '/api/$2/x', 'v1/$1', '/a-b_c.d~e:f'])('%j is accepted', (target) => {
    expect(problems(`      rewriteTarget: ${JSON.stringify(target)}\n`)).toEqual([]);
  });
  test.each([
    ['a space', '/a b'],
    ['a NUL', '/a\u0000b'],
    ['a backtick', '/`id`'],
    ['a semicolon', '/x; return 200'],
    ['a line break', '/x\nreturn 200'],
    ['a quote', '/x"'],
  ])('%s is refused, naming the field and the value', (_what, target) => {
    const lines = problems(`      rewriteTarget: ${JSON.stringify(target)}\n`);
    expect(lines).toEqual([
      `c.yaml:8: kubernetes.ingresses[0].rewriteTarget: rewriteTarget (nginx.ingress.kubernetes.io/rewrite-target) ${JSON.stringify(target).replace(/\n/g, '\\n')} is refused by ingress-nginx's annotation validation: it must be an optional "/" then letters, digits and - . _ ~ / : $ (captures as $1)`.replace(
        /\\u0000/,
        '\\u0000',
      ),
    ]);
  });
  test('empty: ingress-nginx ignores it, a warning', () => {
    expect(warnings('      rewriteTarget: ""\n')).toEqual([
      'kubernetes.ingresses.0.rewriteTarget: rewriteTarget (nginx.ingress.kubernetes.io/rewrite-target) is empty: ingress-nginx ignores it',
    ]);
  });
});

describe('nginx.ingress.kubernetes.io annotations', () => {
  test('a value the controller refuses is an error at its key; accepted ones, aliases included, pass', () => {
    const lines = problems(`      annotations:
        nginx.ingress.kubernetes.io/proxy-body-size: "10m; allow all"
        nginx.ingress.kubernetes.io/ssl-redirect: "yes"
        nginx.ingress.kubernetes.io/proxy-read-timeout: "3600"
        nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/8, 192.168.1.1"
        nginx.ingress.kubernetes.io/denylist-source-range: "10.0.0.0/8,evil"
        nginx.ingress.kubernetes.io/cors-allow-origin: "https://*.example.com:8443, null"
        example.com/other: "anything at all; \`x\`"
`);
    expect(lines).toEqual([
      'c.yaml:9: kubernetes.ingresses[0].annotations["nginx.ingress.kubernetes.io/proxy-body-size"]: annotation nginx.ingress.kubernetes.io/proxy-body-size "10m; allow all" is refused by ingress-nginx\'s annotation validation: it must be a size such as 1000, 100k, 10m or 1g',
      'c.yaml:10: kubernetes.ingresses[0].annotations["nginx.ingress.kubernetes.io/ssl-redirect"]: annotation nginx.ingress.kubernetes.io/ssl-redirect "yes" is refused by ingress-nginx\'s annotation validation: it must be a boolean as Go reads it: true, false, 1, 0, t, f, TRUE, False …',
      'c.yaml:13: kubernetes.ingresses[0].annotations["nginx.ingress.kubernetes.io/denylist-source-range"]: annotation nginx.ingress.kubernetes.io/denylist-source-range "10.0.0.0/8,evil" is refused by ingress-nginx\'s annotation validation: it must be comma-separated IP addresses or CIDRs; "evil" is neither',
    ]);
  });

  test('an unknown name, an empty value and a snippet are warnings', () => {
    expect(
      warnings(`      annotations:
        nginx.ingress.kubernetes.io/rewrite-targte: /
        nginx.ingress.kubernetes.io/use-regex: ""
        nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers 'X: y';"
`),
    ).toEqual([
      'kubernetes.ingresses.0.annotations.nginx.ingress.kubernetes.io/rewrite-targte: annotation nginx.ingress.kubernetes.io/rewrite-targte: ingress-nginx reads no annotation "rewrite-targte" and ignores it (a typo?)',
      'kubernetes.ingresses.0.annotations.nginx.ingress.kubernetes.io/use-regex: annotation nginx.ingress.kubernetes.io/use-regex is empty: ingress-nginx ignores it',
      "kubernetes.ingresses.0.annotations.nginx.ingress.kubernetes.io/configuration-snippet: annotation nginx.ingress.kubernetes.io/configuration-snippet is pasted into nginx.conf unchecked (risk Critical): ingress-nginx from v1.12 refuses it unless the controller's annotations-risk-level is Critical",
    ]);
  });

  test('validators as in validators.go: Go booleans and integers, trimmed options, removed spaces, line breaks', () => {
    expect(nginxAnnotationProblem('use-regex', 'True')).toBeUndefined();
    expect(nginxAnnotationProblem('proxy-read-timeout', '+60')).toBeUndefined();
    expect(nginxAnnotationProblem('proxy-read-timeout', '9223372036854775808')).toBe(
      'is out of the range of a 64-bit integer',
    );
    expect(nginxAnnotationProblem('backend-protocol', ' HTTPS ')).toBeUndefined();
    expect(nginxAnnotationProblem('load-balance', 'EWMA')).toBe(
      'must be one of round_robin, chash, chashsubset, sticky_balanced, sticky_persistent, ewma',
    );
    expect(nginxAnnotationProblem('auth-secret', 'ns/ my-secret')).toBeUndefined();
    expect(nginxAnnotationProblem('auth-realm', 'Realm\nx')).toBe('must be letters, digits and - . _ ~ / : and spaces');
    expect(nginxAnnotationProblem('proxy-cookie-domain', 'a.example\nb.example')).toBe('must not contain a line break');
    expect(nginxAnnotationProblem('auth-url', 'http://auth.svc/x?a=$host\r\n')).toMatch(/^must be a URL/);
    expect(nginxAnnotationProblem('default-backend', 'Bad_Name')).toMatch(/^must be a Service name/);
    expect(nginxAnnotationProblem('auth-tls-match-cn', 'CN=(unclosed')).toMatch(/^must be "CN=" and a valid regular/);
    expect(Object.keys(NGINX_ANNOTATIONS)).toHaveLength(136);
  });
});

describe('the linear-time patterns accept exactly what ingress-nginx’s verbatim ones accept', () => {
  // ingress-nginx's patterns, verbatim (fine for JavaScript's backtracking on short strings only).
  const verbatim = {
    corsMethods: /^([A-Za-z]+,?[\t\n\f\r ]?)+$/,
    corsExposeHeaders: /^(([A-Za-z0-9\-_]+|\*),?[\t\n\f\r ]?)+$/,
    sslCiphers: /^(?:(?:[A-Za-z0-9!:+\-_])*(?:@STRENGTH)*(?:@SECLEVEL=[0-5])*(?:@STRENGTH)*)*$/,
    corsOrigin: /^((((([a-z]+:\/\/)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?,?)|null)+)|\*)?$/,
  };
  const strings = (alphabet: string[]) =>
    fc.array(fc.constantFrom(...alphabet), { maxLength: 10 }).map((parts) => parts.join(''));
  const run = (alphabet: string[], fast: (s: string) => boolean, slow: RegExp) =>
    fc.assert(
      fc.property(strings(alphabet), (s) => fast(s) === slow.test(s)),
      { numRuns: 3000 },
    );

  test('cors-allow-methods', () => {
    run(['G', 'et', ',', ' ', '\t', '1', '-'], (s) => PATTERNS.corsMethods.test(s), verbatim.corsMethods);
  });
  test('cors-expose-headers', () => {
    run(['X', '-a', '*', ',', ' ', '_', '!'], (s) => PATTERNS.corsExposeHeaders.test(s), verbatim.corsExposeHeaders);
  });
  test('ssl-ciphers', () => {
    run(
      ['A', ':', '!', '@STRENGTH', '@SECLEVEL=1', '@SECLEVEL=9', '@', '+'],
      (s) => PATTERNS.sslCiphers.test(s),
      verbatim.sslCiphers,
    );
  });
  test('cors-allow-origin', () => {
    run(
      ['h', 'A', '1', ':', '/', '//', '*', '.', ',', 'null', '-', '://', ' '],
      corsOriginAccepted,
      verbatim.corsOrigin,
    );
  });

  test('a hostile 200 000-character value is judged in milliseconds by every validator', () => {
    const hostile = [
      'a'.repeat(200_000) + '!',
      `${'a,'.repeat(100_000)}!`,
      `${'h://'.repeat(50_000)}!`,
      `${'A'.repeat(200_000)}@`,
    ];
    const started = Date.now();
    for (const name of Object.keys(NGINX_ANNOTATIONS)) for (const value of hostile) nginxAnnotationProblem(name, value);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

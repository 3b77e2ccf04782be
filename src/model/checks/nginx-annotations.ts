/**
 * ingress-nginx's own annotation validation, in TypeScript: every `nginx.ingress.kubernetes.io/*` annotation of an
 * Ingress (and `rewriteTarget`, which becomes one) is accepted only when the controller's validator accepts it.
 * Annotation values end up in nginx.conf, so a value the controller would refuse — or, before its validation
 * existed (v1.9), paste unchecked — is an error here. Source: kubernetes/ingress-nginx
 * internal/ingress/annotations/parser/validators.go and each annotation group's `Validator` and `Risk` (main.go of
 * internal/ingress/annotations/<group>/), as of controller v1.15.
 *
 * As the controller does: an empty value is not validated (it is ignored: a warning here), ValidateRegex refuses a
 * line break whatever the pattern, and some validators remove spaces first. Go's regexp (RE2) runs in linear time;
 * the patterns whose verbatim JavaScript form could backtrack for seconds on a hostile value (nested repetition)
 * are written as equivalent unambiguous patterns or a scan, checked against the verbatim ones in
 * test/model/nginx-annotations.test.ts.
 */
import { isIPv6 } from 'net';
import { parseAddress } from '../cidr';
import { Issue, show } from '../errors';

export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

/** A validator returns what is wrong with a value, or undefined when ingress-nginx accepts it. */
type Validator = (value: string) => string | undefined;

// Character sets of validators.go (alphaNumericChars, regexEnabledChars, urlEnabledChars), as class contents.
const ALNUM = String.raw`\-._~a-zA-Z0-9/:`;
const REGEX_CHARS = String.raw`\^$\[\](){}*+?|&=\\`;
const URL_CHARS = ',:?&=';
const GO_SPACE = String.raw`\t\n\f\r `; // Go's \s
const LINE_BREAK = /\r|\n/; // MaliciousRegex

const anchored = (cls: string) => new RegExp(`^[${cls}]*$`);
export const PATTERNS = {
  isValidRegex: anchored(`/${ALNUM}${REGEX_CHARS}`),
  size: /^\d+[bkmg]?$/i,
  url: anchored(`${ALNUM}${URL_CHARS}`),
  basicChars: anchored(`/${ALNUM}`),
  extendedChars: anchored(`/${ALNUM}, `),
  charsWithSpace: anchored(`/${ALNUM} `),
  nginxVariable: /^[A-Za-z0-9\-_${}]*$/,
  regexPathWithCapture: new RegExp(`^/?[${ALNUM}/$]*$`),
  headersVariable: /^[A-Za-z0-9\-_, ]*$/,
  urlWithNginxVariable: anchored(`${ALNUM}, ${URL_CHARS}$`),
  // The groups' own patterns (Go's MatchString: unanchored ones match anywhere, as RegExp.test does).
  authType: /basic|digest/,
  authSecretType: /auth-file|auth-map/,
  method: /^(GET|HEAD|POST|PUT|PATCH|DELETE|CONNECT|OPTIONS|TRACE)$/,
  authVerifyClient: /^(on|off|optional|optional_no_ca)$/,
  redirect: /^(@[A-Za-z0-9_-]+|((https?:\/\/)?[A-Za-z0-9\-.]+(:\d+)?)?(\/[A-Za-z0-9\-_.]+)*\/?)$/,
  connectionHeader: /^(close|keep-alive)$/,
  // ^([A-Za-z]+,?\s?)+$ without the nested repetition: runs of letters, one separator between and after them.
  corsMethods: new RegExp(
    `^[A-Za-z]+(?:(?:,[${GO_SPACE}]?|[${GO_SPACE}])[A-Za-z]+)*(?:,[${GO_SPACE}]?|[${GO_SPACE}])?$`,
  ),
  // ^(([A-Za-z0-9\-\_]+|\*),?\s?)+$ likewise.
  corsExposeHeaders: new RegExp(
    `^[A-Za-z0-9\\-_*]+(?:(?:,[${GO_SPACE}]?|[${GO_SPACE}])[A-Za-z0-9\\-_*]+)*(?:,[${GO_SPACE}]?|[${GO_SPACE}])?$`,
  ),
  httpErrors: /^(?:[4,5]\d{2},?)*$/,
  fastCgiIndex: /^[A-Za-z0-9.\-_]+$/,
  onOff: /^(on|off)$/,
  operationName: /^[A-Za-z0-9_-]*$/,
  cookieDomain: new RegExp(
    `^(off|[${String.raw`\-._~a-zA-Z0-9/:`}]+[${GO_SPACE}]+[${String.raw`\-._~a-zA-Z0-9/:`}]+)$`,
  ),
  nextUpstream: new RegExp(
    `^((error|timeout|invalid_header|http_500|http_502|http_503|http_504|http_403|http_404|http_429|non_idempotent|off)[${GO_SPACE}]?)+$`,
  ),
  sslCiphersProxy: /^[A-Za-z0-9+:_\-!]*$/,
  sslProtocols: /^(TLSv1\.2|TLSv1\.3| )*$/,
  cookieExpires: /(^0|-?[1-9]\d*$)/,
  // ^(?:(?:[A-Za-z0-9!:+\-_])*(?:@STRENGTH)*(?:@SECLEVEL=[0-5])*(?:@STRENGTH)*)*$ without the nested repetition.
  sslCiphers: /^(?:[A-Za-z0-9!:+\-_]|@STRENGTH|@SECLEVEL=[0-5])*$/,
  hashBy: /^[A-Za-z0-9\-_${}]*$/,
} as const;

/**
 * ^((((([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?,?)|null)+)|\*)?$ (cors-allow-origin) as a scan: origins may follow
 * each other with or without a comma, so the pattern holds exactly when every ':' starts a port (digits) or a
 * scheme's "://" after a lower-case letter, every '/' belongs to such a "://", every '*' is followed by '.', and
 * everything else is a letter, digit, '-', '.' or ','; or the value is '*'.
 */
export function corsOriginAccepted(value: string): boolean {
  if (value === '*') return true;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (/[A-Za-z0-9\-.,]/.test(c)) continue;
    if (c === '*' && value[i + 1] === '.') continue;
    if (c === ':' && /[0-9]/.test(value[i + 1] ?? '')) continue;
    if (c === ':' && value.startsWith('//', i + 1) && /[a-z]/.test(value[i - 1] ?? '')) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Validators (validators.go)

/** ValidateRegex: the value (spaces removed first when `removeSpace`) matches, and has no line break. */
function regex(pattern: RegExp | ((value: string) => boolean), allowed: string, removeSpace: boolean): Validator {
  const test = typeof pattern === 'function' ? pattern : (value: string) => pattern.test(value);
  return (raw) => {
    const value = removeSpace ? raw.replaceAll(' ', '') : raw;
    if (!test(value)) return `must be ${allowed}`;
    return LINE_BREAK.test(value) ? 'must not contain a line break' : undefined;
  };
}

const GO_BOOLS = ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'];
/** strconv.ParseBool. */
const bool: Validator = (value) =>
  GO_BOOLS.includes(value) ? undefined : 'must be a boolean as Go reads it: true, false, 1, 0, t, f, TRUE, False …';

const INT64_MAX = 2n ** 63n - 1n;
/** strconv.Atoi on a 64-bit controller: optional sign, decimal digits, within int64. */
const int: Validator = (value) => {
  if (!/^[+-]?[0-9]+$/.test(value)) return 'must be a whole number (decimal digits, optional sign)';
  const n = BigInt(value);
  return n > INT64_MAX || n < -INT64_MAX - 1n ? 'is out of the range of a 64-bit integer' : undefined;
};

/** Go's net.ParseIP for IPv4 (four decimal numbers 0-255, no leading zeros): what cidr.ts's parseAddress takes. */
const goIPv4 = (text: string) => parseAddress(text).ok;
const goIP = (text: string) => goIPv4(text) || (isIPv6(text) && !text.includes('%'));
/** ValidateCIDRs (net.ParseCIDRs): comma-separated addresses or CIDRs, each trimmed. */
const cidrs: Validator = (value) => {
  for (const part of value.split(',')) {
    const spec = part.trim();
    const slash = spec.indexOf('/');
    const ok =
      slash < 0
        ? goIP(spec)
        : goIP(spec.slice(0, slash)) &&
          /^[0-9]{1,3}$/.test(spec.slice(slash + 1)) &&
          Number(spec.slice(slash + 1)) <= (goIPv4(spec.slice(0, slash)) ? 32 : 128);
    if (!ok) return `must be comma-separated IP addresses or CIDRs; ${show(spec)} is neither`;
  }
  return undefined;
};

/** ValidateOptions. */
function options(list: readonly string[], caseSensitive: boolean, trim: boolean): Validator {
  return (raw) => {
    let value = trim ? raw.trim() : raw;
    if (!caseSensitive) value = value.toLowerCase();
    return list.includes(value) ? undefined : `must be one of ${list.join(', ')}`;
  };
}

const SERVER_NAME = 'a server name of letters, digits, - . _ ~ / : and regex characters ^ $ [ ] ( ) { } * + ? | & = \\';
/** ValidateServerName. */
const serverName: Validator = (value) =>
  PATTERNS.isValidRegex.test(value.trim()) ? undefined : `must be ${SERVER_NAME}`;
/** ValidateArrayOfServerName. */
const serverNames: Validator = (value) => {
  for (const name of value.split(',')) if (serverName(name)) return `must be comma-separated; each ${SERVER_NAME}`;
  return undefined;
};
/** ValidateServiceName: a DNS-1035 label. */
const serviceName: Validator = (value) =>
  /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(value) && value.length <= 63
    ? undefined
    : 'must be a Service name (DNS-1035 label: lower-case letters, digits and "-", starting with a letter)';
/** CommonNameAnnotationValidator: "CN=" and a regular expression (JavaScript's syntax stands in for Go's here). */
const commonName: Validator = (value) => {
  if (!value.startsWith('CN=')) return 'must start with "CN=" followed by a regular expression';
  try {
    new RegExp(value.slice(3));
    return undefined;
  } catch (error) {
    return `must be "CN=" and a valid regular expression: ${(error as Error).message}`;
  }
};
/** ValidateNull: the snippets; whatever they hold goes into nginx.conf (see `risk`). */
const any: Validator = () => undefined;

const BASIC = 'letters, digits and - . _ ~ / :';
const basic = (removeSpace = true) => regex(PATTERNS.basicChars, BASIC, removeSpace);
const url = (removeSpace = true) => regex(PATTERNS.url, `${BASIC} , ? & =`, removeSpace);
const size = regex(PATTERNS.size, 'a size such as 1000, 100k, 10m or 1g', true);
const path = regex(PATTERNS.regexPathWithCapture, `an optional "/" then ${BASIC} $ (captures as $1)`, false);
const nginxVariable = regex(PATTERNS.nginxVariable, 'letters, digits, - _ $ { }', true);
const headers = regex(PATTERNS.headersVariable, 'header names separated by ","', true);
const urlWithVariables = regex(PATTERNS.urlWithNginxVariable, `a URL of ${BASIC} , ? & = $ and spaces`, true);
const onOff = regex(PATTERNS.onOff, 'on or off', true);

type Risk = 'Low' | 'Medium' | 'High' | 'Critical';
interface AnnotationRule {
  readonly validate: Validator;
  readonly risk: Risk;
}
const rule = (validate: Validator, risk: Risk): AnnotationRule => ({ validate, risk });

/** Every annotation ingress-nginx reads (the part after the prefix), with its validator and risk. */
export const NGINX_ANNOTATIONS: Readonly<Record<string, AnnotationRule>> = {
  'server-alias': rule(serverNames, 'High'),
  'auth-secret': rule(basic(), 'Medium'),
  'auth-secret-type': rule(regex(PATTERNS.authSecretType, 'auth-file or auth-map', true), 'Low'),
  'auth-realm': rule(regex(PATTERNS.charsWithSpace, `${BASIC} and spaces`, false), 'Medium'),
  'auth-type': rule(regex(PATTERNS.authType, 'basic or digest', true), 'Low'),
  'auth-url': rule(urlWithVariables, 'High'),
  'auth-method': rule(regex(PATTERNS.method, 'an HTTP method such as GET', true), 'Low'),
  'auth-signin': rule(urlWithVariables, 'High'),
  'auth-signin-redirect-param': rule(url(), 'Medium'),
  'auth-snippet': rule(any, 'Critical'),
  'auth-cache-key': rule(nginxVariable, 'Medium'),
  'auth-keepalive': rule(int, 'Low'),
  'auth-keepalive-share-vars': rule(bool, 'Low'),
  'auth-keepalive-requests': rule(int, 'Low'),
  'auth-keepalive-timeout': rule(int, 'Low'),
  'auth-cache-duration': rule(regex(PATTERNS.extendedChars, `${BASIC} , and spaces`, false), 'Medium'),
  'auth-response-headers': rule(headers, 'Medium'),
  'auth-proxy-set-headers': rule(basic(), 'Medium'),
  'auth-request-redirect': rule(url(), 'Medium'),
  'auth-always-set-cookie': rule(bool, 'Low'),
  'enable-global-auth': rule(bool, 'Low'),
  'auth-tls-secret': rule(basic(), 'Medium'),
  'auth-tls-verify-client': rule(
    regex(PATTERNS.authVerifyClient, 'on, off, optional or optional_no_ca', true),
    'Medium',
  ),
  'auth-tls-verify-depth': rule(int, 'Low'),
  'auth-tls-error-page': rule(regex(PATTERNS.redirect, 'a URL or an @location', true), 'High'),
  'auth-tls-pass-certificate-to-upstream': rule(bool, 'Low'),
  'auth-tls-match-cn': rule(commonName, 'High'),
  'backend-protocol': rule(options(['auto_http', 'http', 'https', 'grpc', 'grpcs', 'fcgi'], false, true), 'Low'),
  canary: rule(bool, 'Low'),
  'canary-weight': rule(int, 'Low'),
  'canary-weight-total': rule(int, 'Low'),
  'canary-by-header': rule(basic(), 'Medium'),
  'canary-by-header-value': rule(basic(), 'Medium'),
  'canary-by-header-pattern': rule(regex(PATTERNS.isValidRegex, SERVER_NAME, false), 'Medium'),
  'canary-by-cookie': rule(basic(), 'Medium'),
  'client-body-buffer-size': rule(size, 'Low'),
  'connection-proxy-header': rule(regex(PATTERNS.connectionHeader, 'close or keep-alive', true), 'Low'),
  'enable-cors': rule(bool, 'Low'),
  'cors-allow-origin': rule(
    regex(corsOriginAccepted, 'origins such as https://*.example.com:443, or *', true),
    'Medium',
  ),
  'cors-allow-headers': rule(headers, 'Medium'),
  'cors-allow-methods': rule(regex(PATTERNS.corsMethods, 'HTTP methods separated by ","', true), 'Medium'),
  'cors-allow-credentials': rule(bool, 'Low'),
  'cors-expose-headers': rule(regex(PATTERNS.corsExposeHeaders, 'header names or * separated by ","', true), 'Medium'),
  'cors-max-age': rule(int, 'Low'),
  'custom-headers': rule(basic(), 'Medium'),
  'custom-http-errors': rule(regex(PATTERNS.httpErrors, 'HTTP error codes 4xx/5xx separated by ","', true), 'Low'),
  'default-backend': rule(serviceName, 'Low'),
  'disable-proxy-intercept-errors': rule(bool, 'Low'),
  'fastcgi-index': rule(regex(PATTERNS.fastCgiIndex, 'letters, digits and . - _', true), 'Medium'),
  'fastcgi-params-configmap': rule(basic(), 'Medium'),
  'http2-push-preload': rule(bool, 'Low'),
  'allowlist-source-range': rule(cidrs, 'Medium'),
  'denylist-source-range': rule(cidrs, 'Medium'),
  'load-balance': rule(
    options(['round_robin', 'chash', 'chashsubset', 'sticky_balanced', 'sticky_persistent', 'ewma'], true, true),
    'Low',
  ),
  'enable-access-log': rule(bool, 'Low'),
  'enable-rewrite-log': rule(bool, 'Low'),
  'mirror-request-body': rule(onOff, 'Low'),
  'mirror-target': rule(serverName, 'High'),
  'mirror-host': rule(serverName, 'High'),
  'enable-modsecurity': rule(bool, 'Low'),
  'enable-owasp-core-rules': rule(bool, 'Low'),
  'modsecurity-transaction-id': rule(nginxVariable, 'High'),
  'modsecurity-snippet': rule(any, 'Critical'),
  'enable-opentelemetry': rule(bool, 'Low'),
  'opentelemetry-trust-incoming-span': rule(bool, 'Low'),
  'opentelemetry-operation-name': rule(regex(PATTERNS.operationName, 'letters, digits, _ and -', true), 'Medium'),
  'use-port-in-redirects': rule(bool, 'Low'),
  'proxy-connect-timeout': rule(int, 'Low'),
  'proxy-send-timeout': rule(int, 'Low'),
  'proxy-read-timeout': rule(int, 'Low'),
  'proxy-buffers-number': rule(int, 'Low'),
  'proxy-buffer-size': rule(size, 'Low'),
  'proxy-busy-buffers-size': rule(size, 'Low'),
  'proxy-cookie-path': rule(url(), 'Medium'),
  'proxy-cookie-domain': rule(
    regex(PATTERNS.cookieDomain, 'off, or two domains separated by a space', false),
    'Medium',
  ),
  'proxy-body-size': rule(size, 'Medium'),
  'proxy-next-upstream': rule(
    regex(PATTERNS.nextUpstream, 'cases such as "error timeout http_502" (or off)', false),
    'Medium',
  ),
  'proxy-next-upstream-timeout': rule(int, 'Low'),
  'proxy-next-upstream-tries': rule(int, 'Low'),
  'proxy-request-buffering': rule(options(['on', 'off'], true, true), 'Low'),
  'proxy-redirect-from': rule(url(), 'Medium'),
  'proxy-redirect-to': rule(url(), 'Medium'),
  'proxy-buffering': rule(options(['on', 'off'], true, true), 'Low'),
  'proxy-http-version': rule(options(['1.0', '1.1'], true, true), 'Low'),
  'proxy-max-temp-file-size': rule(size, 'Low'),
  'proxy-ssl-secret': rule(basic(), 'Medium'),
  'proxy-ssl-ciphers': rule(
    regex(PATTERNS.sslCiphersProxy, 'OpenSSL cipher names (letters, digits, + : _ - !)', true),
    'Medium',
  ),
  'proxy-ssl-protocols': rule(regex(PATTERNS.sslProtocols, 'TLSv1.2 and/or TLSv1.3', true), 'Low'),
  'proxy-ssl-name': rule(serverName, 'High'),
  'proxy-ssl-verify': rule(onOff, 'Low'),
  'proxy-ssl-verify-depth': rule(int, 'Low'),
  'proxy-ssl-server-name': rule(onOff, 'Low'),
  'limit-rate': rule(int, 'Low'),
  'limit-rate-after': rule(int, 'Low'),
  'limit-rpm': rule(int, 'Low'),
  'limit-rps': rule(int, 'Low'),
  'limit-connections': rule(int, 'Low'),
  'limit-burst-multiplier': rule(int, 'Low'),
  'limit-allowlist': rule(cidrs, 'Low'),
  'from-to-www-redirect': rule(bool, 'Low'),
  'temporal-redirect': rule(url(false), 'Medium'),
  'temporal-redirect-code': rule(int, 'Low'),
  'permanent-redirect': rule(url(false), 'Medium'),
  'permanent-redirect-code': rule(int, 'Low'),
  'relative-redirects': rule(bool, 'Low'),
  'rewrite-target': rule(path, 'Medium'),
  'ssl-redirect': rule(bool, 'Low'),
  'preserve-trailing-slash': rule(bool, 'Medium'),
  'force-ssl-redirect': rule(bool, 'Medium'),
  'use-regex': rule(bool, 'Low'),
  'app-root': rule(path, 'Medium'),
  satisfy: rule(options(['any', 'all'], true, true), 'Low'),
  'server-snippet': rule(any, 'Critical'),
  'service-upstream': rule(bool, 'Low'),
  affinity: rule(options(['cookie'], true, true), 'Low'),
  'affinity-mode': rule(options(['balanced', 'persistent'], true, true), 'Medium'),
  'affinity-canary-behavior': rule(options(['sticky', 'legacy'], true, true), 'Low'),
  'session-cookie-name': rule(basic(), 'Medium'),
  'session-cookie-secure': rule(bool, 'Low'),
  'session-cookie-expires': rule(regex(PATTERNS.cookieExpires, 'a number of seconds', true), 'Medium'),
  'session-cookie-max-age': rule(regex(PATTERNS.cookieExpires, 'a number of seconds', false), 'Medium'),
  'session-cookie-path': rule(url(), 'Medium'),
  'session-cookie-domain': rule(basic(), 'Medium'),
  'session-cookie-samesite': rule(options(['none', 'lax', 'strict'], false, true), 'Low'),
  'session-cookie-conditional-samesite-none': rule(bool, 'Low'),
  'session-cookie-change-on-failure': rule(bool, 'Low'),
  'configuration-snippet': rule(any, 'Critical'),
  'ssl-prefer-server-ciphers': rule(bool, 'Low'),
  'ssl-ciphers': rule(regex(PATTERNS.sslCiphers, 'an OpenSSL cipher list', true), 'Low'),
  'ssl-passthrough': rule(bool, 'Low'),
  'stream-snippet': rule(any, 'Critical'),
  'upstream-hash-by': rule(regex(PATTERNS.hashBy, 'letters, digits, - _ $ { }', true), 'High'),
  'upstream-hash-by-subset': rule(bool, 'Low'),
  'upstream-hash-by-subset-size': rule(int, 'Low'),
  'upstream-vhost': rule(serverName, 'High'),
  'x-forwarded-prefix': rule(regex(PATTERNS.regexPathWithCapture, `${BASIC} $`, true), 'Medium'),
};

/** Old names ingress-nginx still reads for an annotation (AnnotationAliases). */
const ALIASES: Readonly<Record<string, string>> = {
  'whitelist-source-range': 'allowlist-source-range',
  'limit-whitelist': 'limit-allowlist',
};

/** What ingress-nginx's validation says of one annotation value, or undefined when it accepts it. */
export function nginxAnnotationProblem(name: string, value: string): string | undefined {
  const known = NGINX_ANNOTATIONS[ALIASES[name] ?? name];
  return known?.validate(value);
}

/**
 * The issues of an Ingress's ingress-nginx annotations and its rewriteTarget (paths relative to the Ingress):
 * a value ingress-nginx's validation refuses is an error; an empty value (ignored by the controller), an annotation
 * name it does not read (a typo?) and a snippet (pasted into nginx.conf unchecked; refused by controllers from v1.12
 * unless annotations-risk-level is Critical) are warnings.
 */
export function nginxAnnotationIssues(spec: {
  readonly annotations?: Readonly<Record<string, string>>;
  readonly rewriteTarget?: string;
}): Issue[] {
  const issues: Issue[] = [];
  const check = (name: string, value: string, at: ReadonlyArray<string>, what: string) => {
    const canonical = ALIASES[name] ?? name;
    const known = NGINX_ANNOTATIONS[canonical];
    if (!known) {
      issues.push({
        path: at,
        message: `${what}: ingress-nginx reads no annotation ${show(name)} and ignores it (a typo?)`,
        severity: 'warning',
      });
      return;
    }
    if (value === '') {
      issues.push({ path: at, message: `${what} is empty: ingress-nginx ignores it`, severity: 'warning' });
      return;
    }
    const problem = known.validate(value);
    if (problem) {
      issues.push({
        path: at,
        message: `${what} ${show(value)} is refused by ingress-nginx's annotation validation: it ${problem}`,
      });
    } else if (known.risk === 'Critical') {
      issues.push({
        path: at,
        message: `${what} is pasted into nginx.conf unchecked (risk Critical): ingress-nginx from v1.12 refuses it unless the controller's annotations-risk-level is Critical`,
        severity: 'warning',
      });
    }
  };
  for (const key of Object.keys(spec.annotations ?? {})) {
    if (!key.startsWith(NGINX_ANNOTATION_PREFIX)) continue;
    // Set through rewriteTarget too: checked once, below (a different value is a contradiction, checkIngress).
    if (key === `${NGINX_ANNOTATION_PREFIX}rewrite-target` && spec.rewriteTarget !== undefined) continue;
    check(key.slice(NGINX_ANNOTATION_PREFIX.length), spec.annotations![key], ['annotations', key], `annotation ${key}`);
  }
  if (spec.rewriteTarget !== undefined)
    check(
      'rewrite-target',
      spec.rewriteTarget,
      ['rewriteTarget'],
      `rewriteTarget (${NGINX_ANNOTATION_PREFIX}rewrite-target)`,
    );
  return issues;
}

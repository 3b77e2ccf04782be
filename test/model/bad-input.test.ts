/**
 * Bad input, case by case: every case names the exact field path and a message naming the offending value.
 * Cluster-file cases run in-process through checkCluster (fast); then all cases of a group are written into one
 * file and run through `bin/netstrap validate`, which must exit 2 and print exactly the expected
 * `file: path: message` lines (a few CLI spawns check the whole table).
 */
import { Chart, Testing } from 'cdk8s';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump as stringify } from 'js-yaml';
import { ClusterNetwork } from '../../constructs/cluster-network';
import { Ingress } from '../../constructs/ingress';
import { NetworkPolicy } from '../../constructs/network-policy';
import { Service } from '../../constructs/service';
import { InputError } from '../../src/model/errors';
import { checkCluster } from '../../src/model/load';
import { withLine } from '../support/lines';
import { issueLines, thrown } from '../support/errors';
import { netstrap } from '../support/lab';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstrap-bad-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Kind = 'services' | 'ingresses' | 'networkPolicies';
type Raw = Record<string, any>;

/** A valid cluster (the Services, Ingress and NetworkPolicy of the walk-through) that each case adds one object to. */
function base(): Raw {
  return {
    name: 'bad',
    network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    kubernetes: {
      services: [
        { name: 'back-end', selector: { app: 'myapp' }, ports: [{ port: 80, targetPort: 80 }] },
        { name: 'myapp-service', type: 'NodePort', selector: { app: 'myapp' }, ports: [{ port: 80, nodePort: 30008 }] },
        { name: 'wear-service', selector: { app: 'wear' }, ports: [{ name: 'http', port: 8282, targetPort: 8080 }] },
      ],
      ingresses: [
        {
          name: 'ingress-wear-watch',
          ingressClassName: 'nginx',
          rules: [
            { host: 'wear.my-site.com', paths: [{ path: '/', backend: { service: 'wear-service', port: 8282 } }] },
          ],
        },
      ],
      networkPolicies: [
        {
          name: 'test-network-policy',
          podSelector: { matchLabels: { role: 'db' } },
          ingress: [
            {
              from: [
                { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
                { podSelector: { matchLabels: { role: 'frontend' } } },
              ],
            },
          ],
        },
      ],
    },
  };
}

/** One bad object added to the base cluster; `at` is the field path inside it; `message` the whole message. */
interface ObjectCase {
  what: string;
  kind: Kind;
  object: Raw;
  at: string;
  message: string;
}

const missingCert = path.join(dir, 'certs', 'missing.crt');
fs.mkdirSync(path.join(dir, 'certs'));
fs.writeFileSync(
  path.join(dir, 'certs', 'good.key'),
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n',
);
const objectCases: ObjectCase[] = [
  // Services
  {
    what: 'NodePort below the range',
    kind: 'services',
    object: { name: 'np-low', type: 'NodePort', selector: { a: 'b' }, ports: [{ port: 80, nodePort: 29999 }] },
    at: '.ports[0].nodePort',
    message: 'nodePort 29999 is outside the NodePort range 30000-32767',
  },
  {
    what: 'NodePort taken by another Service',
    kind: 'services',
    object: { name: 'np-dup', type: 'NodePort', selector: { a: 'b' }, ports: [{ port: 81, nodePort: 30008 }] },
    at: '.ports[0].nodePort',
    message: 'nodePort 30008 is used twice: by Service default/myapp-service and by Service default/np-dup',
  },
  {
    what: 'nodePort on a ClusterIP Service',
    kind: 'services',
    object: { name: 'np-clusterip', selector: { a: 'b' }, ports: [{ port: 80, nodePort: 30100 }] },
    at: '.ports[0].nodePort',
    message: 'nodePort 30100 is only allowed for NodePort and LoadBalancer Services (this one is ClusterIP)',
  },
  {
    what: 'cluster IP outside serviceCidr',
    kind: 'services',
    object: { name: 'ip-out', clusterIP: '10.200.0.1', ports: [{ port: 80 }] },
    at: '.clusterIP',
    message: 'clusterIP "10.200.0.1" is outside serviceCidr 10.96.0.0/12',
  },
  {
    what: 'cluster IP of the DNS Service',
    kind: 'services',
    object: { name: 'ip-dns', clusterIP: '10.96.0.10', ports: [{ port: 53 }] },
    at: '.clusterIP',
    message:
      'clusterIP "10.96.0.10" is used twice: by the kube-dns Service (network.dnsServiceIp) and by Service default/ip-dns',
  },
  {
    what: 'cluster IP that is no address',
    kind: 'services',
    object: { name: 'ip-bad', clusterIP: '10.96.0.300', ports: [{ port: 80 }] },
    at: '.clusterIP',
    message:
      'invalid IPv4 address "10.96.0.300": 300 is not an IPv4 octet (0-255, no leading zeros) (or "None" for a headless Service)',
  },
  {
    what: 'ExternalName without externalName',
    kind: 'services',
    object: { name: 'ext-none', type: 'ExternalName' },
    at: '.externalName',
    message: 'is required for a Service of type "ExternalName" (the DNS name it aliases)',
  },
  {
    what: 'ClusterIP Service without ports',
    kind: 'services',
    object: { name: 'no-ports', selector: { a: 'b' } },
    at: '.ports',
    message:
      'a Service of type "ClusterIP" needs at least one port (only ExternalName and headless Services may have none)',
  },
  {
    what: 'Service name starting with a digit',
    kind: 'services',
    object: { name: '9lives', ports: [{ port: 80 }] },
    at: '.name',
    message:
      '"9lives" is not a valid DNS-1035 label: use lower-case letters, digits and "-", starting with a letter and ending with a letter or digit',
  },
  {
    what: 'Service defined twice',
    kind: 'services',
    object: { name: 'back-end', ports: [{ port: 8080 }] },
    at: '.name',
    message: 'Service default/back-end is defined twice (also kubernetes.services[0])',
  },
  {
    what: 'unnamed ports in a multi-port Service',
    kind: 'services',
    object: { name: 'two-ports', ports: [{ name: 'http', port: 80 }, { port: 443 }] },
    at: '.ports[1].name',
    message: 'port 443 needs a name: every port of a Service with several ports must be named',
  },
  {
    what: 'selector label value with a space',
    kind: 'services',
    object: { name: 'sel-bad', selector: { app: 'front end' }, ports: [{ port: 80 }] },
    at: '.selector.app',
    message:
      'label value "front end" is invalid: at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  },
  {
    what: 'externalTrafficPolicy on a ClusterIP Service',
    kind: 'services',
    object: { name: 'etp', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] },
    at: '.externalTrafficPolicy',
    message: 'externalTrafficPolicy "Local" only applies to NodePort and LoadBalancer Services (this one is ClusterIP)',
  },
  {
    what: 'headless LoadBalancer',
    kind: 'services',
    object: { name: 'lb-headless', type: 'LoadBalancer', clusterIP: 'None', ports: [{ port: 80 }] },
    at: '.clusterIP',
    message: 'clusterIP "None" (headless) is not allowed for a Service of type LoadBalancer',
  },
  {
    what: 'same port twice',
    kind: 'services',
    object: {
      name: 'port-twice',
      ports: [
        { name: 'a', port: 80 },
        { name: 'b', port: 80 },
      ],
    },
    at: '.ports[1].port',
    message: 'port 80/TCP is listed twice (also ports[0])',
  },
  // Ingresses
  {
    what: 'backend Service not defined',
    kind: 'ingresses',
    object: {
      name: 'ing-ghost',
      rules: [{ host: 'ghost.example.com', paths: [{ backend: { service: 'nowhere', port: 80 } }] }],
    },
    at: '.rules[0].paths[0].backend.service',
    message:
      'Service "nowhere" is not defined in namespace "default": define it with the Ingress (kubernetes.services)',
  },
  {
    what: 'backend Service in another namespace',
    kind: 'ingresses',
    object: {
      name: 'ing-ns',
      namespace: 'shop',
      rules: [{ host: 'ns.example.com', paths: [{ backend: { service: 'wear-service', port: 8282 } }] }],
    },
    at: '.rules[0].paths[0].backend.service',
    message:
      'Service "wear-service" is not defined in namespace "shop": define it with the Ingress (kubernetes.services)',
  },
  {
    what: 'backend port number not exposed',
    kind: 'ingresses',
    object: {
      name: 'ing-port',
      rules: [{ host: 'port.example.com', paths: [{ backend: { service: 'wear-service', port: 9999 } }] }],
    },
    at: '.rules[0].paths[0].backend.port',
    message: 'Service "wear-service" has no port 9999; it exposes 8282 ("http")',
  },
  {
    what: 'backend port name not exposed',
    kind: 'ingresses',
    object: {
      name: 'ing-port-name',
      rules: [{ host: 'pn.example.com', paths: [{ backend: { service: 'wear-service', port: 'metrics' } }] }],
    },
    at: '.rules[0].paths[0].backend.port',
    message: 'Service "wear-service" has no port "metrics"; it exposes 8282 ("http")',
  },
  {
    what: 'host and path routed twice in one class',
    kind: 'ingresses',
    object: {
      name: 'ing-dup',
      ingressClassName: 'nginx',
      rules: [{ host: 'wear.my-site.com', paths: [{ path: '/', backend: { service: 'back-end', port: 80 } }] }],
    },
    at: '.rules[0].paths[0].path',
    message:
      'host "wear.my-site.com" path "/" (Prefix) of class "nginx" is routed twice: by Ingress default/ingress-wear-watch and by Ingress default/ing-dup',
  },
  {
    what: 'relative Prefix path',
    kind: 'ingresses',
    object: {
      name: 'ing-rel',
      rules: [{ host: 'rel.example.com', paths: [{ path: 'api', backend: { service: 'back-end', port: 80 } }] }],
    },
    at: '.rules[0].paths[0].path',
    message: 'path "api" must be an absolute path starting with "/"',
  },
  {
    what: 'path with //',
    kind: 'ingresses',
    object: {
      name: 'ing-slashes',
      rules: [{ host: 'sl.example.com', paths: [{ path: '/a//b', backend: { service: 'back-end', port: 80 } }] }],
    },
    at: '.rules[0].paths[0].path',
    message: 'path "/a//b" must not contain "//" (pathType Prefix)',
  },
  {
    what: 'host that is an IP address',
    kind: 'ingresses',
    object: { name: 'ing-ip', rules: [{ host: '10.0.0.1', paths: [{ backend: { service: 'back-end', port: 80 } }] }] },
    at: '.rules[0].host',
    message: 'host "10.0.0.1" must be a DNS name, not an IP address',
  },
  {
    what: 'upper-case host',
    kind: 'ingresses',
    object: {
      name: 'ing-upper',
      rules: [{ host: 'Shop.example.com', paths: [{ backend: { service: 'back-end', port: 80 } }] }],
    },
    at: '.rules[0].host',
    message:
      'host "Shop.example.com" must be a DNS-1123 subdomain (lower-case letters, digits, "-" and "."), optionally starting with "*."',
  },
  {
    what: 'missing certificate file',
    kind: 'ingresses',
    object: {
      name: 'ing-cert',
      defaultBackend: { service: 'back-end', port: 80 },
      tls: [
        {
          hosts: ['cert.example.com'],
          secretName: 'cert-tls',
          certFile: 'certs/missing.crt',
          keyFile: 'certs/good.key',
        },
      ],
    },
    at: '.tls[0].certFile',
    message: `cannot read certFile "certs/missing.crt" (${missingCert}): no such file`,
  },
  {
    what: 'keyFile without certFile',
    kind: 'ingresses',
    object: {
      name: 'ing-key',
      defaultBackend: { service: 'back-end', port: 80 },
      tls: [{ hosts: ['key.example.com'], secretName: 'key-tls', keyFile: 'tls.key' }],
    },
    at: '.tls[0].certFile',
    message: 'certFile is required with keyFile "tls.key": a TLS Secret needs both',
  },
  {
    what: 'neither rules nor defaultBackend',
    kind: 'ingresses',
    object: { name: 'ing-empty' },
    at: '.rules',
    message: 'rules [] is empty and there is no defaultBackend: an Ingress needs one of them',
  },
  {
    what: 'rewriteTarget contradicting the annotation',
    kind: 'ingresses',
    object: {
      name: 'ing-rewrite',
      rewriteTarget: '/',
      annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' },
      defaultBackend: { service: 'back-end', port: 80 },
    },
    at: '.rewriteTarget',
    message: 'rewriteTarget "/" contradicts annotation nginx.ingress.kubernetes.io/rewrite-target: "/$2"',
  },
  // NetworkPolicies
  {
    what: 'ipBlock and namespaceSelector in one peer',
    kind: 'networkPolicies',
    object: {
      name: 'np-and',
      ingress: [
        {
          from: [{ ipBlock: { cidr: '172.17.0.0/16' }, namespaceSelector: { matchLabels: { project: 'myproject' } } }],
        },
      ],
    },
    at: '.ingress[0].from[0]',
    message:
      'ipBlock "172.17.0.0/16" is combined with namespaceSelector in one peer: items in a from/to list are ORed and the selectors inside one item are ANDed; an ipBlock cannot be combined with a selector, so write them as separate list items',
  },
  {
    what: 'except outside its cidr',
    kind: 'networkPolicies',
    object: {
      name: 'np-except',
      ingress: [{ from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.18.1.0/24'] } }] }],
    },
    at: '.ingress[0].from[0].ipBlock.except[0]',
    message: 'except "172.18.1.0/24" must be a strict subset of cidr "172.17.0.0/16"',
  },
  {
    what: 'except equal to its cidr',
    kind: 'networkPolicies',
    object: {
      name: 'np-except-eq',
      ingress: [{ from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.0.0/16'] } }] }],
    },
    at: '.ingress[0].from[0].ipBlock.except[0]',
    message: 'except "172.17.0.0/16" must be a strict subset of cidr "172.17.0.0/16"',
  },
  {
    what: 'endPort below port',
    kind: 'networkPolicies',
    object: { name: 'np-range', egress: [{ ports: [{ protocol: 'TCP', port: 32768, endPort: 32000 }] }] },
    at: '.egress[0].ports[0].endPort',
    message: 'endPort 32000 must be greater than or equal to port 32768',
  },
  {
    what: 'endPort with a named port',
    kind: 'networkPolicies',
    object: { name: 'np-named-range', egress: [{ ports: [{ port: 'http', endPort: 90 }] }] },
    at: '.egress[0].ports[0].endPort',
    message: 'endPort 90 may only be used with a numeric port, not the named port "http"',
  },
  {
    what: 'port above 65535',
    kind: 'networkPolicies',
    object: { name: 'np-port', ingress: [{ ports: [{ port: 70000 }] }] },
    at: '.ingress[0].ports[0].port',
    message: 'port 70000 must be a whole number 1-65535',
  },
  {
    what: 'invalid named port',
    kind: 'networkPolicies',
    object: { name: 'np-port-name', ingress: [{ ports: [{ port: 'http_port' }] }] },
    at: '.ingress[0].ports[0].port',
    message:
      'port name "http_port" is invalid: 1-15 lower-case letters, digits and "-" with at least one letter, no "--", not starting or ending with "-"',
  },
  {
    what: 'label key with two slashes',
    kind: 'networkPolicies',
    object: { name: 'np-key', podSelector: { matchLabels: { 'a/b/c': 'x' } } },
    at: '.podSelector.matchLabels["a/b/c"]',
    message: 'key "a/b/c" may contain at most one "/"',
  },
  {
    what: 'In without values',
    kind: 'networkPolicies',
    object: { name: 'np-in', podSelector: { matchExpressions: [{ key: 'tier', operator: 'In' }] } },
    at: '.podSelector.matchExpressions[0].values',
    message: 'operator "In" needs at least one value',
  },
  {
    what: 'empty peer',
    kind: 'networkPolicies',
    object: { name: 'np-empty-peer', ingress: [{ from: [{}] }] },
    at: '.ingress[0].from[0]',
    message:
      'an empty peer {} selects nothing: give an ipBlock, namespaceSelector or podSelector (leave the whole from/to list out to allow everything)',
  },
  {
    what: 'NetworkPolicy defined twice',
    kind: 'networkPolicies',
    object: { name: 'test-network-policy', podSelector: {} },
    at: '.name',
    message: 'NetworkPolicy default/test-network-policy is defined twice (also kubernetes.networkPolicies[0])',
  },
];

/** The base cluster plus `cases`' objects; returns the raw cluster and each case's expected path prefix. */
function withObjects(cases: ObjectCase[]): { raw: Raw; prefixes: string[] } {
  const raw = base();
  const prefixes = cases.map((c) => {
    const list = raw.kubernetes[c.kind] as Raw[];
    list.push(c.object);
    return `kubernetes.${c.kind}[${list.length - 1}]`;
  });
  return { raw, prefixes };
}

/** The lines checkCluster reports for a raw cluster (none when it is valid). */
function lines(raw: unknown, file = path.join(dir, 'bad.yaml')): string[] {
  return issueLines(() => checkCluster(raw, file, dir));
}

test('the base cluster is valid (so every case below fails for its own reason only)', () => {
  expect(lines(base())).toEqual([]);
});

describe('bad Services, Ingresses and NetworkPolicies in a cluster file', () => {
  const file = path.join(dir, 'bad.yaml');
  test.each(objectCases.map((c) => [c.what, c] as const))('%s', (_what, c) => {
    const { raw, prefixes } = withObjects([c]);
    expect(lines(raw, file)).toEqual([`${file}: ${prefixes[0]}${c.at}: ${c.message}`]);
  });

  test('all of them in one file: `netstrap validate` exits 2 and prints exactly these lines', () => {
    const { raw, prefixes } = withObjects(objectCases);
    const objectsFile = path.join(dir, 'objects.yaml');
    fs.writeFileSync(objectsFile, stringify(raw));
    // Each line carries the line of its field in the file written (issue 24).
    const expected = objectCases
      .map((c, i) => `${objectsFile}: ${prefixes[i]}${c.at}: ${c.message}`)
      .map(withLine(objectsFile, stringify(raw)));
    const run = netstrap(['validate', objectsFile]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n').sort()).toEqual([...expected].sort());
  });
});

/** Cases caught by the schema (shape, enums, names): the message ends with the value found. */
interface SchemaCase {
  what: string;
  kind: Kind;
  object: Raw;
  at: string;
  message: string;
}
const schemaCases: SchemaCase[] = [
  {
    what: 'upper-case Service name',
    kind: 'services',
    object: { name: 'Web', ports: [{ port: 80 }] },
    at: '.name',
    message:
      'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters (got "Web")',
  },
  {
    what: 'lower-case protocol',
    kind: 'services',
    object: { name: 'proto', ports: [{ port: 80, protocol: 'tcp' }] },
    at: '.ports[0].protocol',
    message: 'Invalid option: expected one of "TCP"|"UDP"|"SCTP" (got "tcp")',
  },
  {
    what: 'misspelt field',
    kind: 'services',
    object: { name: 'typo', type: 'NodePort', ports: [{ port: 80, nodeport: 30080 }] },
    at: '.ports[0]',
    message: 'unknown field "nodeport"',
  },
  {
    what: 'quoted port number',
    kind: 'services',
    object: { name: 'quoted', ports: [{ port: '80' }] },
    at: '.ports[0].port',
    message: 'Invalid input: expected number, received string (got "80")',
  },
  {
    what: 'lower-case pathType',
    kind: 'ingresses',
    object: {
      name: 'path-type',
      rules: [{ paths: [{ pathType: 'prefix', backend: { service: 'back-end', port: 80 } }] }],
    },
    at: '.rules[0].paths[0].pathType',
    message: 'Invalid option: expected one of "Prefix"|"Exact"|"ImplementationSpecific" (got "prefix")',
  },
  {
    what: 'upper-case NetworkPolicy name',
    kind: 'networkPolicies',
    object: { name: 'DenyAll' },
    at: '.name',
    message:
      'must be a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit (got "DenyAll")',
  },
  {
    what: 'lower-case policy type',
    kind: 'networkPolicies',
    object: { name: 'types', policyTypes: ['ingress'] },
    at: '.policyTypes[0]',
    message: 'Invalid option: expected one of "Ingress"|"Egress" (got "ingress")',
  },
];

describe('cluster-file shape errors', () => {
  const file = path.join(dir, 'bad.yaml');
  test.each(schemaCases.map((c) => [c.what, c] as const))('%s', (_what, c) => {
    const { raw, prefixes } = withObjects([c]);
    expect(lines(raw, file)).toEqual([`${file}: ${prefixes[0]}${c.at}: ${c.message}`]);
  });

  test('all of them in one file through the CLI', () => {
    const { raw, prefixes } = withObjects(schemaCases);
    const schemaFile = path.join(dir, 'schema.yaml');
    fs.writeFileSync(schemaFile, stringify(raw));
    const run = netstrap(['validate', schemaFile]);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n').sort()).toEqual(
      schemaCases
        .map((c, i) => `${schemaFile}: ${prefixes[i]}${c.at}: ${c.message}`)
        .map(withLine(schemaFile, stringify(raw)))
        .sort(),
    );
  });
});

/** Network plan cases: a change to `network`, the path and the message. */
const planCases: Array<{ what: string; network: Raw; at: string; message: string }> = [
  {
    what: 'pod CIDR with host bits',
    network: { podCidr: '10.244.0.5/16' },
    at: 'network.podCidr',
    message: 'invalid CIDR "10.244.0.5/16": host bits are set; the network is 10.244.0.0/16',
  },
  {
    what: 'node CIDR prefix out of range',
    network: { nodeCidr: '192.168.0.0/33' },
    at: 'network.nodeCidr',
    message: 'invalid CIDR "192.168.0.0/33": prefix length 33 is out of range 0-32',
  },
  {
    what: 'overlapping pod and service ranges',
    network: { podCidr: '10.64.0.0/10' },
    at: 'network.serviceCidr',
    message: 'serviceCidr 10.96.0.0/12 overlaps podCidr 10.64.0.0/10: pod, service and node ranges must be disjoint',
  },
  {
    what: 'DNS address outside the service range',
    network: { dnsServiceIp: '10.200.0.10' },
    at: 'network.dnsServiceIp',
    message: '"10.200.0.10" is outside serviceCidr 10.96.0.0/12: the DNS Service needs a cluster IP from that range',
  },
];

describe('bad network plans', () => {
  const file = path.join(dir, 'bad.yaml');
  test.each(planCases.map((c) => [c.what, c] as const))('%s', (_what, c) => {
    const raw = base();
    Object.assign(raw.network, c.network);
    expect(lines(raw, file)).toEqual([`${file}: ${c.at}: ${c.message}`]);
  });

  test('several plan errors in one file through the CLI', () => {
    const raw = base();
    const combined = [planCases[0], planCases[1], planCases[3]];
    for (const c of combined) Object.assign(raw.network, c.network);
    const planFile = path.join(dir, 'plan.yaml');
    fs.writeFileSync(planFile, stringify(raw));
    const run = netstrap(['validate', planFile]);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n').sort()).toEqual(
      combined
        .map((c) => `${planFile}: ${c.at}: ${c.message}`)
        .map(withLine(planFile, stringify(raw)))
        .sort(),
    );
  });
});

describe('bad construct props', () => {
  function chart(): Chart {
    const c = new Chart(Testing.app(), 'test');
    new ClusterNetwork(c, 'plan', { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' });
    return c;
  }
  const cases: Array<[string, (c: Chart) => unknown, string]> = [
    [
      'NodePort above the range',
      (c) => new Service(c, 'web', { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] }),
      'Service "web": ports[0].nodePort: nodePort 40000 is outside the NodePort range 30000-32767',
    ],
    [
      'cluster IP outside the ClusterNetwork',
      (c) => new Service(c, 'web', { clusterIP: '10.244.0.1', ports: [{ port: 80 }] }),
      'Service "web": clusterIP: clusterIP "10.244.0.1" is outside serviceCidr 10.96.0.0/12',
    ],
    [
      'lower-case protocol from JavaScript',
      (c) => new Service(c, 'web', { ports: [{ port: 80, protocol: 'udp' as 'UDP' }] }),
      'Service "web": ports[0].protocol: protocol "udp" must be TCP, UDP or SCTP (upper case)',
    ],
    [
      'Service name with an underscore',
      (c) => new Service(c, 'web_1', { ports: [{ port: 80 }] }),
      'Service "web_1": name: "web_1" is not a valid DNS-1035 label: use lower-case letters, digits and "-", starting with a letter and ending with a letter or digit',
    ],
    [
      'ipBlock CIDR that is no network',
      (c) => new NetworkPolicy(c, 'p', { egress: [{ to: [{ ipBlock: { cidr: '999.1.1.1/8' } }] }] }),
      'NetworkPolicy "p": egress[0].to[0].ipBlock.cidr: invalid CIDR "999.1.1.1/8": 999 is not an IPv4 octet (0-255, no leading zeros)',
    ],
    [
      'except outside its cidr',
      (c) =>
        new NetworkPolicy(c, 'p', {
          ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] } }] }],
        }),
      'NetworkPolicy "p": ingress[0].from[0].ipBlock.except[0]: except "192.168.0.0/16" must be a strict subset of cidr "10.0.0.0/8"',
    ],
    [
      'endPort above 65535',
      (c) => new NetworkPolicy(c, 'p', { egress: [{ ports: [{ port: 32000, endPort: 70000 }] }] }),
      'NetworkPolicy "p": egress[0].ports[0].endPort: endPort 70000 must be a whole number 1-65535',
    ],
    [
      'label key prefix that is no DNS name',
      (c) => new NetworkPolicy(c, 'p', { podSelector: { matchLabels: { 'Example.com/app': 'x' } } }),
      'NetworkPolicy "p": podSelector.matchLabels["Example.com/app"]: key "Example.com/app" has an invalid prefix "Example.com": it must be a DNS-1123 subdomain such as example.com',
    ],
    [
      'double wildcard TLS host',
      (c) =>
        new Ingress(c, 'i', {
          tls: [{ hosts: ['*.*.example.com'], secretName: 's' }],
          defaultBackend: { service: 'web', port: 80 },
        }),
      'Ingress "i": tls[0].hosts[0]: host "*.*.example.com" must be a DNS-1123 subdomain (lower-case letters, digits, "-" and "."), optionally starting with "*."',
    ],
    [
      'upper-case backend port name',
      (c) => new Ingress(c, 'i', { defaultBackend: { service: 'web', port: 'Http' } }),
      'Ingress "i": defaultBackend.port: port name "Http" is invalid: 1-15 lower-case letters, digits and "-" with at least one letter, no "--", not starting or ending with "-"',
    ],
  ];
  test.each(cases)('%s', (_what, make, message) => {
    const c = chart();
    expect(() => make(c)).toThrow(InputError);
    expect(() => make(chart())).toThrow(message);
    // Exactly this one issue.
    expect(thrown(() => make(chart())).lines()).toEqual([message]);
  });
});

test('a Service NodePort that ingress-nginx already holds is reported at the Service, naming both owners', () => {
  const { raw, prefixes } = withObjects([
    {
      what: '',
      kind: 'services',
      at: '',
      message: '',
      object: { name: 'np-ingress', type: 'NodePort', selector: { a: 'b' }, ports: [{ port: 80, nodePort: 30080 }] },
    },
  ]);
  raw.ingressController = { provider: 'ingress-nginx', flavor: 'baremetal', nodePorts: { http: 30080 } };
  const file = path.join(dir, 'bad.yaml');
  const found = lines(raw, file);
  expect(found).toHaveLength(1);
  expect(found[0]).toMatch(
    new RegExp(
      `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${prefixes[0].replace(/[[\]]/g, '\\$&')}\\.ports\\[0\\]\\.nodePort: ` +
        'nodePort 30080 is used twice: by the ingress-nginx controller .* and by Service default/np-ingress$',
    ),
  );
});

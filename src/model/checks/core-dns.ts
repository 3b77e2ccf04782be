/**
 * The checks of CoreDns props (fields and Corefile), with the plain types they need. Free of cdk8s, so validating
 * a cluster file does not load it; constructs/core-dns.ts re-exports all.
 */
import { Corefile, kubeadmCorefile } from '../corefile/model';
import {
  corefileTextIssues,
  normalizeZone,
  upstreamProblem,
  validateCorefile,
  zoneProblem,
} from '../corefile/validate';
import { parseAddress } from '../cidr';
import { Issue, show } from '../errors';
import { NetworkLayout } from '../layout';
import type { coreDnsPropsSchema, PropsOf } from '../props';
import { HOST_NAME } from '../schema';

/** Props of {@link CoreDns}. */
export type CoreDnsProps = PropsOf<typeof coreDnsPropsSchema>;

const IMAGE_TAG = /^v?[0-9A-Za-z._-]+$/;

/**
 * Checks CoreDns props (or the cluster file's `dns`), against the network layout when there is one. Paths are relative to
 * the props object; validateCluster prefixes them with `dns`. Corefile text issues sit at `corefile`, each message
 * starting with its line number.
 */
export function checkCoreDnsProps(props: CoreDnsProps, layout?: NetworkLayout): Issue[] {
  const issues: Issue[] = [];
  const clusterDomain = layout?.clusterDomain ?? props.clusterDomain ?? 'cluster.local';
  if (props.version !== undefined && !IMAGE_TAG.test(props.version)) {
    issues.push({ path: ['version'], message: `version ${show(props.version)} is not an image tag` });
  }
  if (props.image !== undefined && (typeof props.image !== 'string' || !/^[^\s]+$/.test(props.image))) {
    issues.push({ path: ['image'], message: `image ${show(props.image)} is not an image reference` });
  }
  if (props.replicas !== undefined && !(Number.isInteger(props.replicas) && props.replicas >= 1)) {
    issues.push({
      path: ['replicas'],
      message: `replicas ${show(props.replicas)} must be a whole number of at least 1`,
    });
  }
  if (layout && props.clusterDomain !== undefined && props.clusterDomain !== layout.clusterDomain) {
    issues.push({
      path: ['clusterDomain'],
      message: `clusterDomain ${show(props.clusterDomain)} differs from the ClusterNetwork's ${show(layout.clusterDomain)}`,
    });
  }
  if (props.dnsServiceIp !== undefined) {
    const parsed = parseAddress(props.dnsServiceIp);
    if (!parsed.ok) issues.push({ path: ['dnsServiceIp'], message: parsed.error });
    else if (layout && !parsed.value.isEquals(layout.dnsServiceIp)) {
      issues.push({
        path: ['dnsServiceIp'],
        message: `dnsServiceIp ${show(props.dnsServiceIp)} differs from the ClusterNetwork's ${layout.dnsServiceIp.toString()}: kubelets send pods' queries to that address`,
      });
    }
  } else if (!layout) {
    issues.push({ path: ['dnsServiceIp'], message: 'is required when there is no ClusterNetwork in scope' });
  }

  (props.upstreams ?? []).forEach((upstream, i) => {
    const problem = upstreamProblem(upstream);
    if (problem) issues.push({ path: ['upstreams', i], message: problem });
  });
  if (props.upstreams !== undefined && props.upstreams.length === 0) {
    issues.push({
      path: ['upstreams'],
      message: 'is empty: give at least one resolver, or leave it out for /etc/resolv.conf',
    });
  }
  (props.hosts ?? []).forEach((entry, i) => {
    const parsed = parseAddress(entry.ip);
    if (!parsed.ok) issues.push({ path: ['hosts', i, 'ip'], message: parsed.error });
    if (entry.names.length === 0)
      issues.push({ path: ['hosts', i, 'names'], message: `hosts entry ${show(entry.ip)} has no names` });
    entry.names.forEach((name, n) => {
      if (!HOST_NAME.test(name))
        issues.push({ path: ['hosts', i, 'names', n], message: `invalid host name ${show(name)}` });
    });
  });
  for (const [zone, servers] of Object.entries(props.stubDomains ?? {})) {
    const problem = zoneProblem(zone);
    if (problem) issues.push({ path: ['stubDomains', zone], message: problem });
    else if (normalizeZone(zone) === '.') {
      issues.push({
        path: ['stubDomains', zone],
        message: 'stub domain "." would take over every query: use upstreams instead',
      });
    } else if (normalizeZone(zone) === normalizeZone(clusterDomain)) {
      issues.push({
        path: ['stubDomains', zone],
        message: `stub domain ${show(zone)} is the cluster domain: Service names would no longer resolve`,
      });
    }
    if (servers.length === 0)
      issues.push({ path: ['stubDomains', zone], message: `stub domain ${show(zone)} has no servers` });
    servers.forEach((server, i) => {
      const bad = upstreamProblem(server);
      if (bad) issues.push({ path: ['stubDomains', zone, i], message: bad });
    });
  }

  const context = { clusterDomain };
  if (props.corefile !== undefined) {
    for (const field of ['upstreams', 'hosts', 'stubDomains'] as const) {
      if (props[field] !== undefined) {
        issues.push({
          path: [field],
          message: `cannot be combined with corefile: write it into the Corefile (${field === 'upstreams' ? 'forward' : field === 'hosts' ? 'hosts plugin' : 'a server block per zone'})`,
        });
      }
    }
    if (typeof props.corefile === 'string') {
      const checked = corefileTextIssues(props.corefile, context);
      issues.push(...checked.issues.map((i) => ({ path: ['corefile'], message: i.message })));
      if (checked.corefile) issues.push(...deploymentFit(checked.corefile));
    } else {
      issues.push(
        ...validateCorefile(props.corefile, context).map((i) => ({
          path: ['corefile', ...i.path],
          message: i.message,
        })),
      );
      issues.push(...deploymentFit(props.corefile));
    }
  } else if (issues.length === 0) {
    // A backstop for what the field checks above cannot see, e.g. two spellings of one stub zone.
    issues.push(
      ...validateCorefile(defaultCorefile(props, clusterDomain), context).map((i) => ({
        path: ['stubDomains'],
        message: i.message,
      })),
    );
  }
  return issues;
}

/** The port an `addr` such as `:8080` or `0.0.0.0:8080` names, or the plugin's default when there is none. */
function addrPort(addr: string | undefined, fallback: number): number {
  const match = addr === undefined ? null : /:(\d+)$/.exec(addr);
  return match ? Number(match[1]) : fallback;
}

/**
 * What the Deployment and Service expect of a user's Corefile: DNS on port 53 (the container and Service port),
 * `health` on :8080 (liveness probe) and `ready` on :8181 (readiness probe). Without them the pods never become
 * ready or are restarted forever.
 */
function deploymentFit(corefile: Corefile): Issue[] {
  const issues: Issue[] = [];
  const servers = corefile.servers;
  if (servers.length > 0 && !servers.some((s) => (s.port ?? 53) === 53)) {
    issues.push({
      path: ['corefile'],
      message: `no server block listens on port 53 (found ${[...new Set(servers.map((s) => s.port))].join(', ')}): the kube-dns Service sends queries to port 53`,
    });
  }
  const plugins = servers.flatMap((s) => s.plugins);
  const health = plugins.find((p) => p.plugin === 'health');
  const ready = plugins.find((p) => p.plugin === 'ready');
  const probe = (what: string, path: string, port: number, found: number | undefined) =>
    found === undefined
      ? `has no ${what} plugin: the ${what === 'health' ? 'liveness' : 'readiness'} probe (GET :${port}${path}) would fail`
      : `${what} listens on port ${found}, but the ${what === 'health' ? 'liveness' : 'readiness'} probe asks :${port}${path}`;
  const healthPort = health && health.plugin === 'health' ? addrPort(health.addr, 8080) : undefined;
  const readyPort = ready && ready.plugin === 'ready' ? addrPort(ready.addr, 8181) : undefined;
  if (healthPort !== 8080) issues.push({ path: ['corefile'], message: probe('health', '/health', 8080, healthPort) });
  if (readyPort !== 8181) issues.push({ path: ['corefile'], message: probe('ready', '/ready', 8181, readyPort) });
  return issues;
}

export function defaultCorefile(props: CoreDnsProps, clusterDomain: string): Corefile {
  return kubeadmCorefile({
    clusterDomain,
    upstreams: props.upstreams,
    hosts: props.hosts,
    stubDomains: props.stubDomains,
  });
}

/**
 * dns: /etc/resolv.conf pointing at a local stub (127.0.0.53, systemd-resolved) on a node meant to run CoreDNS,
 * whose `loop` plugin then detects a forwarding loop and crashes (unless kubelet's resolvConf points elsewhere);
 * the /etc/hosts managed block against nodes[].hosts (present, intact, not shadowed by an earlier line); and the
 * order of nsswitch.conf's `hosts:` line (files before dns, or /etc/hosts entries are not what answers).
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import { BLOCK_BEGIN, BLOCK_END } from '../resources/file-facts';
import { HOSTS_FILE } from '../resources/hosts';
import { RESOLV_FILE } from '../resources/resolv';
import { NSSWITCH_FILE } from './read';
import {
  type CheckInput,
  fail,
  isKubernetesNode,
  ok,
  RUN_BOOTSTRAP,
  warn,
  type Finding,
  type NodeCheck,
} from './types';

const STUBS = ['127.0.0.53', '127.0.0.1'];

function kubeletResolvConf(content: string | undefined): string | undefined {
  if (content === undefined) return undefined;
  try {
    const value = load(content, { schema: CORE_SCHEMA }) as { resolvConf?: unknown } | null;
    return typeof value?.resolvConf === 'string' ? value.resolvConf : undefined;
  } catch {
    return undefined;
  }
}

export const dnsChecks: NodeCheck = (input): Finding[] => [
  ...resolverFindings(input),
  ...hostsBlockFindings(input),
  ...nsswitchFindings(input),
];

/** The resolver pods and CoreDNS get: a local stub there loops or is unreachable. */
function resolverFindings({ self }: CheckInput): Finding[] {
  const { node, index, view } = self;
  const at = `nodes[${index}]`;
  const findings: Finding[] = [];
  const nameservers = (view.files.resolv.content ?? '')
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
  const stub = nameservers.find((n) => STUBS.includes(n));
  const resolvConf = kubeletResolvConf(view.files.kubelet.content);
  const link = view.files.resolv.link ? ` (a symlink to ${view.files.resolv.link})` : '';
  if (stub && resolvConf !== undefined && resolvConf !== RESOLV_FILE) {
    findings.push(
      ok(
        'dns.resolv-conf',
        `${node.name}: ${RESOLV_FILE} lists ${stub}, but kubelet gives pods and CoreDNS ${resolvConf} instead`,
        { observed: stub },
      ),
    );
  } else if (stub && node.runsCoreDns) {
    findings.push(
      fail(
        'dns.resolv-conf',
        `${node.name}: ${RESOLV_FILE}${link} lists nameserver ${stub}, a local stub, on a node meant to run CoreDNS: ` +
          'CoreDNS forwards to itself and its loop plugin crashes it',
        `list the real upstream servers in ${at}.resolv.nameservers and remove the ${stub} line from ${RESOLV_FILE}, or give kubelet resolvConf: /run/systemd/resolve/resolv.conf`,
        { observed: nameservers.join(', '), expected: 'no local stub' },
      ),
    );
  } else if (stub && isKubernetesNode(node)) {
    findings.push(
      warn(
        'dns.resolv-conf',
        `${node.name}: ${RESOLV_FILE}${link} lists nameserver ${stub}, a local stub: pods with dnsPolicy Default copy it and cannot reach it`,
        `list the real upstream servers in ${at}.resolv.nameservers, or give kubelet resolvConf: /run/systemd/resolve/resolv.conf`,
        { observed: nameservers.join(', '), expected: 'no local stub' },
      ),
    );
  } else {
    findings.push(
      ok(
        'dns.resolv-conf',
        `${node.name}: ${RESOLV_FILE} lists ${nameservers.join(', ') || 'no nameserver'}${node.runsCoreDns ? ' (no local stub for CoreDNS to loop through)' : ''}`,
        { observed: nameservers.join(', ') },
      ),
    );
  }
  return findings;
}

/** netstrap's managed block of /etc/hosts. */
function hostsBlockFindings({ self }: CheckInput): Finding[] {
  const { node, index, view } = self;
  const at = `nodes[${index}]`;
  const findings: Finding[] = [];
  const text = view.files.hosts.content ?? '';
  const lines = text.split('\n');
  const begins = lines.flatMap((l, i) => (l === BLOCK_BEGIN ? [i] : []));
  const ends = lines.flatMap((l, i) => (l === BLOCK_END ? [i] : []));
  const wanted = node.hosts.map((e) => `${e.ip}\t${e.names.join(' ')}`);
  if (
    begins.length > 1 ||
    ends.length > 1 ||
    begins.length !== ends.length ||
    (begins.length === 1 && ends[0] < begins[0])
  ) {
    findings.push(
      fail(
        'dns.hosts-block',
        `${node.name}: ${HOSTS_FILE} has a broken netstrap block (BEGIN at line${begins.length > 1 ? 's' : ''} ${begins.map((b) => b + 1).join(', ') || 'none'}, ` +
          `END at ${ends.map((e) => e + 1).join(', ') || 'none'}): bootstrap will not touch the file`,
        `repair the markers in ${HOSTS_FILE} on ${node.name} by hand (one "${BLOCK_BEGIN}" line, one "${BLOCK_END}" line after it), then ${RUN_BOOTSTRAP}`,
      ),
    );
  } else {
    const block = begins.length === 1 ? lines.slice(begins[0] + 1, ends[0]) : undefined;
    if (wanted.length === 0 && block === undefined) {
      // Nothing wanted, nothing there.
    } else if (block === undefined) {
      findings.push(
        fail(
          'dns.hosts-block',
          `${node.name}: ${HOSTS_FILE} has no netstrap block; ${at}.hosts lists ${wanted.length} entr${wanted.length === 1 ? 'y' : 'ies'}`,
          RUN_BOOTSTRAP,
          { observed: 'absent', expected: wanted.join('; ') },
        ),
      );
    } else if (block.join('\n') !== wanted.join('\n')) {
      findings.push(
        (wanted.length === 0 ? warn : fail)(
          'dns.hosts-block',
          `${node.name}: ${HOSTS_FILE}'s netstrap block differs from ${at}.hosts`,
          RUN_BOOTSTRAP,
          { observed: block.join('; ') || 'empty', expected: wanted.join('; ') || 'no block' },
        ),
      );
    } else {
      // glibc answers from the first line naming the host: an earlier line with another address shadows ours.
      const shadowed = node.hosts.flatMap((entry) =>
        entry.names.flatMap((name) => {
          const first = lines.findIndex(
            (l) => !l.trim().startsWith('#') && l.split('#')[0].trim().split(/\s+/).slice(1).includes(name),
          );
          const ip = first >= 0 ? lines[first].trim().split(/\s+/)[0] : undefined;
          return first >= 0 && first < begins[0] && ip !== entry.ip
            ? [{ name, line: first + 1, ip, want: entry.ip }]
            : [];
        }),
      );
      for (const s of shadowed) {
        findings.push(
          fail(
            'dns.hosts-block',
            `${node.name}: ${s.name} resolves to ${s.ip} from line ${s.line} of ${HOSTS_FILE}, before netstrap's block (${s.want})`,
            `remove or change line ${s.line} of ${HOSTS_FILE} on ${node.name} (netstrap did not write it)`,
            { observed: s.ip, expected: s.want },
          ),
        );
      }
      if (shadowed.length === 0)
        findings.push(
          ok(
            'dns.hosts-block',
            `${node.name}: ${HOSTS_FILE}'s netstrap block holds the ${wanted.length} entries of ${at}.hosts`,
          ),
        );
    }
  }
  return findings;
}

/** nsswitch.conf's hosts order: /etc/hosts must be read before DNS. */
function nsswitchFindings({ self }: CheckInput): Finding[] {
  const { node, view } = self;
  const findings: Finding[] = [];
  const nsswitch = view.files.nsswitch.content;
  const hostsLine = nsswitch?.split('\n').find((l) => /^\s*hosts\s*:/.test(l));
  const sources = hostsLine
    ? hostsLine
        .replace(/^\s*hosts\s*:/, '')
        .replace(/\[[^\]]*\]/g, ' ')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
    : undefined;
  const severity = node.hosts.length > 0 ? fail : warn;
  if (sources === undefined) {
    findings.push(
      severity(
        'dns.nsswitch',
        `${node.name}: ${NSSWITCH_FILE} ${nsswitch === undefined ? 'is missing' : 'has no hosts: line'}: glibc then asks DNS before /etc/hosts`,
        `add "hosts: files dns" to ${NSSWITCH_FILE} on ${node.name}`,
        { observed: 'default (dns files)', expected: 'files before dns' },
      ),
    );
  } else if (
    !sources.includes('files') ||
    (sources.includes('dns') && sources.indexOf('dns') < sources.indexOf('files'))
  ) {
    findings.push(
      severity(
        'dns.nsswitch',
        `${node.name}: ${NSSWITCH_FILE} hosts: ${sources.join(' ')}: ${sources.includes('files') ? 'DNS answers before' : 'never reads'} /etc/hosts`,
        `put files before dns on the hosts: line of ${NSSWITCH_FILE} on ${node.name}`,
        { observed: sources.join(' '), expected: 'files before dns' },
      ),
    );
  } else {
    findings.push(
      ok('dns.nsswitch', `${node.name}: ${NSSWITCH_FILE} hosts: ${sources.join(' ')} (files first)`, {
        observed: sources.join(' '),
      }),
    );
  }
  return findings;
}

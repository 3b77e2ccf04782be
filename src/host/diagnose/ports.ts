/**
 * ports: what listens on the Kubernetes ports and which process holds each — on control-plane nodes 6443
 * (kube-apiserver), 10257 (kube-controller-manager), 10259 (kube-scheduler), 2379/2380 (etcd); on every
 * Kubernetes node 10250 (kubelet). A port held by another process is a fail (the component cannot bind it); free
 * ports are a fail once the node runs any component, and one warning ("not running yet") before that. etcd's
 * client connection count on 2379 is reported; none while kube-apiserver runs here means the two do not talk.
 */
import type { Listener } from './read';
import { fail, isKubernetesNode, ok, warn, type Finding, type NodeCheck } from './types';

export const CONTROL_PLANE_PORTS: ReadonlyArray<{ port: number; component: string }> = [
  { port: 6443, component: 'kube-apiserver' },
  { port: 10257, component: 'kube-controller-manager' },
  { port: 10259, component: 'kube-scheduler' },
  { port: 2379, component: 'etcd' },
  { port: 2380, component: 'etcd' },
];
export const KUBELET_PORT = { port: 10250, component: 'kubelet' };

/** Process names are the kernel's comm, cut at 15 characters (`kube-controller`). */
function isComponent(name: string, component: string): boolean {
  return name === component || (name.length === 15 && component.startsWith(name));
}

function holders(listeners: ReadonlyArray<Listener>, port: number): Listener[] {
  return listeners.filter((l) => l.port === port);
}

export const portChecks: NodeCheck = ({ self }): Finding[] => {
  const { node, view } = self;
  if (!isKubernetesNode(node)) return [];
  const wanted = [...(node.role === 'control-plane' ? CONTROL_PLANE_PORTS : []), KUBELET_PORT];
  const states = wanted.map((w) => {
    const held = holders(view.listeners, w.port);
    const processes = held.flatMap((l) => l.processes.map((p) => ({ ...p, address: l.address })));
    const foreign = processes.filter((p) => !isComponent(p.name, w.component));
    return { ...w, held, processes, foreign };
  });
  const running = states.some((s) => s.processes.length > 0 && s.foreign.length === 0);
  const findings: Finding[] = [];
  for (const s of states) {
    const expected = `${s.component} on ${s.port}`;
    if (s.foreign.length > 0) {
      const who = [...new Map(s.foreign.map((p) => [p.pid, p])).values()];
      findings.push(
        fail(
          'ports.unexpected-process',
          `${node.name}: port ${s.port} is held by ${who.map((p) => `${p.name} (pid ${p.pid}) on ${p.address}`).join(', ')}; expected ${s.component}, which cannot bind it`,
          `stop ${who.map((p) => `${p.name} (pid ${p.pid})`).join(', ')} on ${node.name}, or move it off port ${s.port}`,
          { observed: who.map((p) => p.name).join(', '), expected },
        ),
      );
    } else if (s.held.length > 0 && s.processes.length === 0) {
      findings.push(
        warn(
          'ports.listener',
          `${node.name}: port ${s.port} is held by a process ss cannot name; expected ${s.component}`,
          `check it on ${node.name}: \`ss -tlnp sport = :${s.port}\``,
          { observed: 'unknown process', expected },
        ),
      );
    } else if (s.held.length > 0) {
      const pids = [...new Set(s.processes.map((p) => p.pid))].join(', ');
      findings.push(
        ok('ports.listener', `${node.name}: ${s.component} listens on ${s.port} (pid ${pids})`, {
          observed: s.component,
          expected,
        }),
      );
    } else if (running) {
      findings.push(
        fail(
          'ports.listener',
          `${node.name}: nothing listens on ${s.port}; expected ${s.component} (other Kubernetes components run on this ${node.role} node)`,
          `start ${s.component} on ${node.name} (kubeadm: its static Pod in /etc/kubernetes/manifests; kubelet: \`systemctl status kubelet\`)`,
          { observed: 'free', expected },
        ),
      );
    }
  }
  if (!running && findings.every((f) => f.severity !== 'fail')) {
    const free = states.filter((s) => s.held.length === 0).map((s) => s.port);
    if (free.length > 0) {
      findings.push(
        warn(
          'ports.listener',
          `${node.name}: no Kubernetes component listens yet (${free.join(', ')} free): Kubernetes is not running on this ${node.role} node`,
          `nothing to change in the cluster file; install Kubernetes (\`kubeadm ${node.role === 'control-plane' ? 'init' : 'join'}\`) once \`netstrap diagnose\` shows no fail`,
          { observed: 'free', expected: states.map((s) => `${s.component} on ${s.port}`).join(', ') },
        ),
      );
    }
  }
  const etcd = states.find((s) => s.port === 2379);
  const apiserver = states.find((s) => s.port === 6443);
  if (etcd && etcd.processes.length > 0 && etcd.foreign.length === 0) {
    const apiRunning = apiserver !== undefined && apiserver.processes.length > 0 && apiserver.foreign.length === 0;
    findings.push(
      apiRunning && view.etcdConnections === 0
        ? warn(
            'ports.etcd-connections',
            `${node.name}: etcd has no client connection on 2379 although kube-apiserver runs here`,
            `check kube-apiserver's --etcd-servers on ${node.name} (/etc/kubernetes/manifests/kube-apiserver.yaml)`,
            { observed: '0', expected: '≥ 1' },
          )
        : ok('ports.etcd-connections', `${node.name}: etcd has ${view.etcdConnections} client connection(s) on 2379`, {
            observed: String(view.etcdConnections),
          }),
    );
  }
  return findings;
};

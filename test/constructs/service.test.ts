import { Chart, Testing } from 'cdk8s';
import { ClusterNetwork } from '../../constructs/cluster-network';
import { checkService, Service } from '../../constructs/service';
import { rejection } from '../support/errors';
import { synthValid } from '../support/k8s';

function chart(network?: { clusterDomain?: string }): Chart {
  const c = new Chart(Testing.app(), 'test');
  if (network) new ClusterNetwork(c, 'plan', { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', ...network });
  return c;
}

describe('Service', () => {
  test('all four types and a headless Service synthesize to valid v1 Services', () => {
    const c = chart({});
    new Service(c, 'back-end', { selector: { app: 'myapp', type: 'back-end' }, ports: [{ port: 80, targetPort: 80 }] });
    new Service(c, 'node', {
      name: 'myapp-service',
      type: 'NodePort',
      selector: { app: 'myapp' },
      externalTrafficPolicy: 'Local',
      ports: [
        { name: 'http', port: 80, targetPort: 'http', nodePort: 30008 },
        { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 },
      ],
    });
    new Service(c, 'front-end', {
      type: 'LoadBalancer',
      loadBalancerIP: '192.0.2.10',
      selector: { app: 'myapp' },
      ports: [{ port: 443 }],
    });
    new Service(c, 'db-service', { namespace: 'shop', type: 'ExternalName', externalName: 'database.example.com' });
    new Service(c, 'pg', { clusterIP: 'None', selector: { app: 'pg' } });
    new Service(c, 'fixed', { clusterIP: '10.96.100.1', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] });

    const objects = synthValid(c);
    expect(objects.map((o) => [o.metadata.name, o.spec.type])).toEqual([
      ['back-end', 'ClusterIP'],
      ['myapp-service', 'NodePort'],
      ['front-end', 'LoadBalancer'],
      ['db-service', 'ExternalName'],
      ['pg', 'ClusterIP'],
      ['fixed', 'ClusterIP'],
    ]);
    expect(objects[1].spec).toEqual({
      type: 'NodePort',
      selector: { app: 'myapp' },
      externalTrafficPolicy: 'Local',
      ports: [
        { name: 'http', port: 80, targetPort: 'http', nodePort: 30008 },
        { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 },
      ],
    });
    expect(objects[2].spec.loadBalancerIP).toBe('192.0.2.10');
    expect(objects[3]).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db-service', namespace: 'shop' },
      spec: { type: 'ExternalName', externalName: 'database.example.com' },
    });
    expect(objects[4].spec).toEqual({ type: 'ClusterIP', clusterIP: 'None', selector: { app: 'pg' } });
    expect(objects[5].spec.clusterIP).toBe('10.96.100.1');
  });

  test('dnsName uses the ClusterNetwork domain, cluster.local without one', () => {
    const custom = chart({ clusterDomain: 'corp.internal' });
    expect(new Service(custom, 'web', { namespace: 'shop', ports: [{ port: 80 }] }).dnsName).toBe(
      'web.shop.svc.corp.internal',
    );
    const plain = chart();
    expect(new Service(plain, 'web', { ports: [{ port: 80 }] }).dnsName).toBe('web.default.svc.cluster.local');
    synthValid(custom);
  });

  test('a ClusterNetwork in scope checks cluster IPs and NodePorts across Services', () => {
    const c = chart({});
    new Service(c, 'a', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ port: 80, nodePort: 30080 }] });
    expect(rejection(() => new Service(c, 'b', { clusterIP: '10.112.0.1', ports: [{ port: 80 }] }))).toBe(
      'Service "b": clusterIP: clusterIP "10.112.0.1" is outside serviceCidr 10.96.0.0/12',
    );
    expect(rejection(() => new Service(c, 'c', { clusterIP: '10.96.0.10', ports: [{ port: 53 }] }))).toBe(
      'Service "c": clusterIP: clusterIP "10.96.0.10" is used twice: by the kube-dns Service (dnsServiceIp) and by Service default/c',
    );
    expect(rejection(() => new Service(c, 'd', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] }))).toBe(
      'Service "d": clusterIP: clusterIP "10.96.0.20" is used twice: by Service default/a and by Service default/d',
    );
    expect(
      rejection(
        () =>
          new Service(c, 'e', {
            type: 'NodePort',
            ports: [
              { name: 'x', port: 1, nodePort: 30081 },
              { name: 'y', port: 2, nodePort: 30080 },
            ],
          }),
      ),
    ).toBe(
      'Service "e": ports[1].nodePort: nodePort 30080 is used twice: by Service default/a and by Service default/e',
    );
    // The same NodePort for TCP and UDP of one Service is a single allocation, as in Kubernetes.
    new Service(c, 'dns', {
      type: 'NodePort',
      ports: [
        { name: 't', port: 53, nodePort: 30053 },
        { name: 'u', port: 53, protocol: 'UDP', nodePort: 30053 },
      ],
    });
    expect(synthValid(c).map((o) => o.metadata.name)).toEqual(['a', 'dns']);
  });

  test('without a ClusterNetwork only the API server rules apply', () => {
    const c = chart();
    new Service(c, 'anywhere', { clusterIP: '172.30.0.1', ports: [{ port: 80 }] });
    expect(synthValid(c)[0].spec.clusterIP).toBe('172.30.0.1');
  });

  test('type-specific rules: ExternalName, nodePort, ports, headless', () => {
    const messages = (spec: Parameters<typeof checkService>[0]) =>
      checkService(spec).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages({ name: 'ext', type: 'ExternalName' })).toEqual([
      'externalName: is required for a Service of type "ExternalName" (the DNS name it aliases)',
    ]);
    expect(messages({ name: 'ext', type: 'ExternalName', externalName: 'Database.Example.com' })).toEqual([
      expect.stringMatching(/^externalName: externalName "Database.Example.com" is not a valid DNS-1123 subdomain/),
    ]);
    expect(messages({ name: 'web', ports: [{ port: 80, nodePort: 30080 }] })).toEqual([
      'ports.0.nodePort: nodePort 30080 is only allowed for NodePort and LoadBalancer Services (this one is ClusterIP)',
    ]);
    expect(messages({ name: 'web', type: 'NodePort' })).toEqual([
      'ports: a Service of type "NodePort" needs at least one port (only ExternalName and headless Services may have none)',
    ]);
    expect(messages({ name: 'web', type: 'LoadBalancer', clusterIP: 'None', ports: [{ port: 80 }] })).toEqual([
      'clusterIP: clusterIP "None" (headless) is not allowed for a Service of type LoadBalancer',
    ]);
    expect(messages({ name: 'web', ports: [{ port: 80 }, { port: 443 }] })).toEqual([
      'ports.0.name: port 80 needs a name: every port of a Service with several ports must be named',
      'ports.1.name: port 443 needs a name: every port of a Service with several ports must be named',
    ]);
    expect(messages({ name: '1web', ports: [{ port: 80 }] })).toEqual([
      expect.stringMatching(/^name: "1web" is not a valid DNS-1035 label: .*starting with a letter/),
    ]);
    expect(messages({ name: 'ok', type: 'ExternalName', externalName: 'db.example.com.' })).toEqual([]);
  });

  test('a Service name is defined once per namespace in a construct tree', () => {
    const c = chart();
    new Service(c, 'web', { ports: [{ port: 80 }] });
    new Service(c, 'web-shop', { name: 'web', namespace: 'shop', ports: [{ port: 80 }] });
    expect(rejection(() => new Service(c, 'again', { name: 'web', ports: [{ port: 8080 }] }))).toBe(
      'Service "web": name: Service default/web is defined twice (also at test/web)',
    );
    expect(Service.lookup(c, 'web', 'shop')?.node.path).toBe('test/web-shop');
    expect(synthValid(c)).toHaveLength(2);
  });
});

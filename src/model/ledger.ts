/**
 * Cluster-wide unique values: Service cluster IPs and NodePorts. Whoever allocates one claims it here, so a clash
 * is reported with both owners, whether the objects come from the cluster file or from constructs.
 */
import { Issue, show } from './errors';

type Kind = 'clusterIP' | 'nodePort';

export class Ledger {
  private readonly owners = new Map<string, string>();

  /**
   * Claims `value` for `owner`; returns an issue (at `path`) when another owner holds it already.
   * @param owner a human description such as `Service default/web port 80`
   */
  claim(kind: Kind, value: string | number, owner: string, path: ReadonlyArray<string | number>): Issue | undefined {
    const key = `${kind}:${value}`;
    const holder = this.owners.get(key);
    if (holder !== undefined) {
      return { path, message: `${kind} ${show(value)} is used twice: by ${holder} and by ${owner}` };
    }
    this.owners.set(key, owner);
    return undefined;
  }
}

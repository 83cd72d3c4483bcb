// A serving member that nothing answers for: an ephemeral znode, written the
// way a server writes its own (member-znode.ts), whose address is a free port
// nobody listens on. Every write a router sends it fails at once and is logged.
import zookeeper from 'node-zookeeper-client';
import { encodeMember, membersPath } from '../../dataplane/membership/member-znode.js';
import { freePort } from './ports.js';

export class UnreachableMember {
  private constructor(private readonly client: zookeeper.Client) {}

  static async register(zkConnect: string, cacheName: string, id = 'unreachable'): Promise<UnreachableMember> {
    const client = zookeeper.createClient(zkConnect);
    const connected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    client.connect();
    await connected;
    const member = { id, address: `127.0.0.1:${await freePort()}`, state: 'serving' as const };
    const parent = membersPath(cacheName);
    await new Promise<void>((resolve, reject) => client.mkdirp(parent, (error) => (error ? reject(error) : resolve())));
    await new Promise<void>((resolve, reject) =>
      client.create(`${parent}/${id}`, encodeMember(member), zookeeper.CreateMode.EPHEMERAL, (error) => (error ? reject(error) : resolve())));
    return new UnreachableMember(client);
  }

  /** Ends the session, which removes the znode. */
  close(): void {
    this.client.close();
  }
}

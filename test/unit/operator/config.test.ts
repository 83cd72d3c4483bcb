import { expect } from 'chai';
import { OperatorConfigError, parseOperatorConfig } from '../../../operator/config.js';

const machine = { version: '1.2.3' };

describe('operator process: settings', () => {
  it('uses the documented defaults', () => {
    expect(parseOperatorConfig({}, machine)).to.deep.equal({
      watchNamespaces: undefined,
      leaderElectionNamespace: 'distributed-cache-system',
      healthPort: 8081,
      dataplaneImage: 'distributed-cache:1.2.3',
      logLevel: 'info',
    });
  });

  it("puts the Lease in the pod's namespace when it runs in one", () => {
    expect(parseOperatorConfig({}, { ...machine, podNamespace: 'ops' }).leaderElectionNamespace).to.equal('ops');
    expect(parseOperatorConfig({ LEADER_ELECTION_NAMESPACE: 'elect' }, { ...machine, podNamespace: 'ops' }).leaderElectionNamespace).to.equal('elect');
  });

  it('reads every variable', () => {
    const config = parseOperatorConfig(
      { WATCH_NAMESPACE: ' team-a, team-b ,', HEALTH_PORT: '9000', DATAPLANE_IMAGE: 'reg.example/dc:2', LOG_LEVEL: 'debug' },
      machine,
    );
    expect(config).to.deep.include({ watchNamespaces: ['team-a', 'team-b'], healthPort: 9000, dataplaneImage: 'reg.example/dc:2', logLevel: 'debug' });
  });

  it('watches every namespace when WATCH_NAMESPACE is empty', () => {
    expect(parseOperatorConfig({ WATCH_NAMESPACE: '' }, machine).watchNamespaces).to.equal(undefined);
  });

  const bad: Array<[Record<string, string>, string]> = [
    [{ HEALTH_PORT: 'http' }, 'invalid HEALTH_PORT: "http" is not a port'],
    [{ HEALTH_PORT: '70000' }, 'invalid HEALTH_PORT'],
    [{ LOG_LEVEL: 'loud' }, 'invalid LOG_LEVEL: "loud" is not one of'],
    [{ WATCH_NAMESPACE: 'Team_A' }, 'invalid WATCH_NAMESPACE: "Team_A" is not a namespace name'],
    [{ LEADER_ELECTION_NAMESPACE: 'no/slash' }, 'invalid LEADER_ELECTION_NAMESPACE'],
    [{ DATAPLANE_IMAGE: 'two words' }, 'invalid DATAPLANE_IMAGE'],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a message that names the setting`, () => {
      expect(() => parseOperatorConfig(env, machine)).to.throw(OperatorConfigError, message);
    });
  }
});

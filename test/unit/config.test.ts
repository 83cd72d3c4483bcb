import { expect } from 'chai';
import { ConfigError, parseConfig, usage } from '../../dataplane/config/settings.js';
import { BYTE_SIZE_PATTERN, parseByteSize, parseDurationMs } from '../../dataplane/config/contract.js';

const fail = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

/** Every process needs a cluster token (or --insecure) to start. */
const TOKEN = { CLUSTER_TOKEN: 'unit-test-token-0123456789' };

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const server = parseConfig('server', TOKEN, [], 'pod-7');
    expect(server).to.deep.include({
      zkConnect: '127.0.0.1:2181', cacheName: 'default', host: '0.0.0.0', port: 8080, nodeId: 'pod-7',
      advertiseAddress: '0.0.0.0:8080', replicationFactor: 2, maxMemoryBytes: 256 * 2 ** 20, maxEntries: undefined,
      drainTimeoutMs: 30_000, leaveNoticeMs: 0, logLevel: 'info',
    });
    expect(parseConfig('client', TOKEN, [], 'h').port).to.equal(5000);
  });

  it('reads the environment, and lets flags override it', () => {
    const env = { ...TOKEN, ZK_CONNECT: 'zk-0:2181,zk-1:2181', PORT: '9000', MAX_MEMORY: '64Mi', DRAIN_TIMEOUT: '1m30s', LEAVE_NOTICE: '3s', POD_IP: '10.1.2.3' };
    const config = parseConfig('server', env, ['--port', '9100', '--max-entries=500', '--log-level=debug'], 'h');
    expect(config).to.deep.include({
      zkConnect: 'zk-0:2181,zk-1:2181', port: 9100, maxMemoryBytes: 64 * 2 ** 20, maxEntries: 500,
      drainTimeoutMs: 90_000, leaveNoticeMs: 3000, logLevel: 'debug', advertiseAddress: '10.1.2.3:9100',
    });
  });

  it('serves /metrics on a port of its own only when told, and never on the public port\'s', () => {
    expect(parseConfig('server', TOKEN, [], 'h').metricsPort).to.equal(undefined);
    expect(parseConfig('client', { ...TOKEN, METRICS_PORT: '9464' }, [], 'h').metricsPort).to.equal(9464);
    expect(parseConfig('server', TOKEN, ['--metrics-port=9465'], 'h').metricsPort).to.equal(9465);
    const error = fail(() => parseConfig('server', { ...TOKEN, PORT: '9464', METRICS_PORT: '9464' }, [], 'h'));
    expect(error.message).to.equal('invalid METRICS_PORT: 9464 is also PORT; give /metrics a port of its own, or leave it unset');
  });

  it('compares replicas every 30 s unless told otherwise; 0 turns it off', () => {
    expect(parseConfig('server', TOKEN, [], 'h').antiEntropyIntervalMs).to.equal(30_000);
    expect(parseConfig('server', { ...TOKEN, ANTI_ENTROPY_INTERVAL: '0' }, [], 'h').antiEntropyIntervalMs).to.equal(0);
    expect(parseConfig('server', TOKEN, ['--anti-entropy-interval=1m'], 'h').antiEntropyIntervalMs).to.equal(60_000);
  });

  it('coalesces router requests unless told not to', () => {
    expect(parseConfig('client', TOKEN, [], 'h').coalesce).to.equal(true);
    expect(parseConfig('client', { ...TOKEN, ROUTER_COALESCE: 'off' }, [], 'h').coalesce).to.equal(false);
    const error = fail(() => parseConfig('client', { ROUTER_COALESCE: 'sometimes' }, [], 'h'));
    expect(error.message).to.equal('invalid ROUTER_COALESCE: "sometimes" must be on or off');
  });

  const badCases: Array<[string, Record<string, string>, string[], string]> = [
    ['PORT', { PORT: 'eighty' }, [], 'not a whole number'],
    ['PORT', { PORT: '70000' }, [], 'outside 1..65535'],
    ['METRICS_PORT', { METRICS_PORT: '0' }, [], 'outside 1..65535'],
    ['MAX_MEMORY', { MAX_MEMORY: 'lots' }, [], 'not a size'],
    ['MAX_MEMORY', { MAX_MEMORY: '10Ki' }, [], 'at least 1Mi'],
    ['MAX_ENTRIES', { MAX_ENTRIES: '0' }, [], 'outside'],
    ['REPLICATION_FACTOR', { REPLICATION_FACTOR: '0' }, [], 'outside 1..16'],
    ['DRAIN_TIMEOUT', { DRAIN_TIMEOUT: '30' }, [], 'not a duration'],
    ['LEAVE_NOTICE', { LEAVE_NOTICE: 'soon' }, [], 'not a duration'],
    ['ANTI_ENTROPY_INTERVAL', { ANTI_ENTROPY_INTERVAL: 'often' }, [], 'not a duration'],
    ['ANTI_ENTROPY_INTERVAL', { ANTI_ENTROPY_INTERVAL: '200ms' }, [], 'must be 0 (off) or at least 1s'],
    ['ZK_CONNECT', { ZK_CONNECT: 'no port here' }, [], 'host:port'],
    ['CACHE_NAME', { CACHE_NAME: 'a/b' }, [], 'must be'],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, [], 'not one of'],
    ['NODE_ID', { NODE_ID: 'has space' }, [], 'must be'],
    ['ADVERTISE_ADDRESS', { ADVERTISE_ADDRESS: 'nohost' }, [], 'not host:port'],
    ['--bogus', {}, ['--bogus=1'], 'unknown flag'],
    ['--port', {}, ['--port'], 'missing value'],
    ['CLUSTER_TOKEN', {}, [], 'not set; set it or CLUSTER_TOKEN_FILE, or pass --insecure (INSECURE=true)'],
    ['CLUSTER_TOKEN', { CLUSTER_TOKEN: 'too-short' }, [], 'must be at least 16 characters'],
    ['CLUSTER_TOKEN', { CLUSTER_TOKEN_PREVIOUS: 'previous-0123456789abcdef' }, [], 'not set, but CLUSTER_TOKEN_PREVIOUS is'],
    ['CLUSTER_TOKEN_PREVIOUS', { ...TOKEN, CLUSTER_TOKEN_PREVIOUS: 'has spaces in it here' }, [], 'printable ASCII'],
    ['CLUSTER_TOKEN_FILE', { ...TOKEN, CLUSTER_TOKEN_FILE: '/run/token' }, [], 'not both'],
    ['INSECURE', { INSECURE: 'yes' }, [], 'must be true or false'],
  ];
  for (const [setting, env, argv, detail] of badCases) {
    it(`stops with a message naming ${setting} for ${JSON.stringify({ ...env, argv })}`, () => {
      const error = fail(() => parseConfig('server', env, argv, 'h'));
      expect(error.setting).to.equal(setting);
      expect(error.message).to.contain(setting).and.to.contain(detail);
    });
  }

  it('refuses a server-only flag on the client, but ignores its variable', () => {
    expect(fail(() => parseConfig('client', {}, ['--max-memory=1Gi'], 'h')).message).to.contain('only applies to the server role');
    expect(parseConfig('client', { ...TOKEN, MAX_MEMORY: 'garbage' }, [], 'h').port).to.equal(5000);
  });

  it('reads the cluster token from the environment or names its file, and needs --insecure to go without', () => {
    expect(parseConfig('server', TOKEN, [], 'h').clusterToken).to.deep.equal({ source: 'env', tokens: { current: TOKEN.CLUSTER_TOKEN, previous: undefined } });
    const rotating = parseConfig('client', { ...TOKEN, CLUSTER_TOKEN_PREVIOUS: 'previous-0123456789abcdef' }, [], 'h').clusterToken;
    expect(rotating).to.deep.equal({ source: 'env', tokens: { current: TOKEN.CLUSTER_TOKEN, previous: 'previous-0123456789abcdef' } });
    expect(parseConfig('server', {}, ['--cluster-token-file', '/run/token'], 'h').clusterToken).to.deep.equal({ source: 'file', path: '/run/token' });
    expect(parseConfig('server', {}, ['--insecure'], 'h').clusterToken).to.deep.equal({ source: 'none' });
    expect(parseConfig('client', { INSECURE: 'true' }, [], 'h').clusterToken).to.deep.equal({ source: 'none' });
    // --insecure takes no value: the next argument is a flag of its own.
    expect(parseConfig('server', {}, ['--insecure', '--port', '9000'], 'h').port).to.equal(9000);
    expect(parseConfig('server', TOKEN, ['--insecure'], 'h').clusterToken, 'a token wins over --insecure').to.have.property('source', 'env');
  });

  it('never quotes a token in a message', () => {
    const error = fail(() => parseConfig('server', { CLUSTER_TOKEN: 'secret token 123456' }, [], 'h'));
    expect(error.message).not.to.contain('secret');
  });

  it('documents every setting in --help', () => {
    for (const name of ['CLUSTER_TOKEN', 'CLUSTER_TOKEN_PREVIOUS', 'CLUSTER_TOKEN_FILE', 'INSECURE', 'TLS_CERT_FILE', '--tls-cert', 'TLS_KEY_FILE', '--tls-key', 'ZK_CONNECT', 'CACHE_NAME', 'HOST', 'PORT', 'NODE_ID', 'ADVERTISE_ADDRESS', 'REPLICATION_FACTOR', 'MAX_MEMORY', 'MAX_ENTRIES', 'DRAIN_TIMEOUT', 'LOG_LEVEL']) {
      expect(usage()).to.contain(name);
    }
  });
});

describe('units', () => {
  it('reads Kubernetes-style byte sizes', () => {
    expect(parseByteSize('1024')).to.equal(1024);
    expect(parseByteSize('256Mi')).to.equal(256 * 2 ** 20);
    expect(parseByteSize('1Gi')).to.equal(2 ** 30);
    expect(parseByteSize('2G')).to.equal(2e9);
    expect(parseByteSize('1.5Ki')).to.equal(1536);
    expect(parseByteSize('12 MB')).to.equal(undefined);
    expect(parseByteSize('-1')).to.equal(undefined);
  });

  it('reads every byte size the CRD admits for spec.servers.maxMemory, and K for kilo besides', () => {
    for (const size of ['0', '1', '1.5', '1Ki', '1Mi', '1Gi', '1Ti', '1k', '1M', '1G', '1T']) {
      expect(size).to.match(new RegExp(BYTE_SIZE_PATTERN));
      expect(parseByteSize(size), size).to.be.a('number');
    }
    expect(parseByteSize('2K')).to.equal(2000);
    expect('2K').to.not.match(new RegExp(BYTE_SIZE_PATTERN));
  });

  it('reads Go-style durations', () => {
    expect(parseDurationMs('500ms')).to.equal(500);
    expect(parseDurationMs('30s')).to.equal(30_000);
    expect(parseDurationMs('1m30s')).to.equal(90_000);
    expect(parseDurationMs('1h')).to.equal(3_600_000);
    expect(parseDurationMs('0')).to.equal(0);
    expect(parseDurationMs('30')).to.equal(undefined);
    expect(parseDurationMs('s')).to.equal(undefined);
  });

  it('turns client auth on for a router with CLIENT_TOKENS_FILE, and refuses its flag on a server', () => {
    expect(parseConfig('client', TOKEN, [], 'h').clientTokensFile).to.equal(undefined);
    expect(parseConfig('client', { ...TOKEN, CLIENT_TOKENS_FILE: '/run/tokens' }, [], 'h').clientTokensFile).to.equal('/run/tokens');
    expect(parseConfig('client', TOKEN, ['--client-tokens-file=/run/t'], 'h').clientTokensFile).to.equal('/run/t');
    expect(parseConfig('server', { ...TOKEN, CLIENT_TOKENS_FILE: '/run/tokens' }, [], 'h').clientTokensFile).to.equal(undefined);
    expect(fail(() => parseConfig('server', TOKEN, ['--client-tokens-file=/run/t'], 'h')).message).to.match(/only applies to the client role/);
  });
});

describe('configuration: TLS on the public API', () => {
  it('serves HTTPS on a router given both --tls-cert and --tls-key (or their variables), and plain HTTP given neither', () => {
    expect(parseConfig('client', TOKEN, [], 'h').tls).to.equal(undefined);
    const tls = { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' };
    expect(parseConfig('client', TOKEN, ['--tls-cert', tls.certFile, '--tls-key', tls.keyFile], 'h').tls).to.deep.equal(tls);
    expect(parseConfig('client', { ...TOKEN, TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile }, [], 'h').tls).to.deep.equal(tls);
    // A flag wins over its variable, one setting at a time.
    expect(parseConfig('client', { ...TOKEN, TLS_CERT_FILE: '/old.crt', TLS_KEY_FILE: tls.keyFile }, [`--tls-cert=${tls.certFile}`], 'h').tls).to.deep.equal(tls);
  });

  const halfTls: Array<[string, Record<string, string>, string[], string]> = [
    ['TLS_KEY_FILE', {}, ['--tls-cert', '/tls/tls.crt'], 'invalid TLS_KEY_FILE: not set (--tls-key), but TLS_CERT_FILE (--tls-cert) is; HTTPS needs both the certificate and its key'],
    ['TLS_CERT_FILE', { TLS_KEY_FILE: '/tls/tls.key' }, [], 'invalid TLS_CERT_FILE: not set (--tls-cert), but TLS_KEY_FILE (--tls-key) is; HTTPS needs both the certificate and its key'],
  ];
  for (const [setting, env, argv, message] of halfTls) {
    it(`refuses half a TLS setting: ${setting} missing`, () => {
      const error = fail(() => parseConfig('client', { ...TOKEN, ...env }, argv, 'h'));
      expect(error.setting).to.equal(setting);
      expect(error.message).to.equal(message);
    });
  }

  it('refuses the TLS flags on a server (it has no public HTTPS port), and ignores their variables there', () => {
    expect(fail(() => parseConfig('server', TOKEN, ['--tls-cert=/a', '--tls-key=/b'], 'h')).message).to.equal('invalid --tls-cert: only applies to the client role');
    expect(parseConfig('server', { ...TOKEN, TLS_CERT_FILE: '/a', TLS_KEY_FILE: '/b' }, [], 'h').tls).to.equal(undefined);
  });
});

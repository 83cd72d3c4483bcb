// Prometheus metrics shared by both roles. Each process owns one registry;
// labels stay low-cardinality (route templates, never keys).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MEMBER_STATES, type Member } from '../ring/member.js';
import { HotPathCounter, RequestMetrics } from './request-metrics.js';

export class DataplaneMetrics {
  readonly registry = new Registry();

  readonly requests = new RequestMetrics(this.registry);

  readonly hits = new HotPathCounter(this.registry, 'dcache_hits_total', 'Reads that found the key');
  readonly misses = new HotPathCounter(this.registry, 'dcache_misses_total', 'Reads that did not find the key');

  readonly writeRestamps = new Counter({
    name: 'dcache_write_restamps_total',
    help: 'Writes a router stamped again because an owner held a newer version of the key (same-ms writes from two routers, or clock skew)',
    registers: [this.registry],
  });

  readonly readRepairs = new Counter({
    name: 'dcache_read_repairs_total',
    help: 'Values a router copied to owners that answered a read without them, before answering it (docs/consistency.md)',
    registers: [this.registry],
  });

  readonly internalAuthFailures = new Counter({
    name: 'dcache_internal_auth_failures_total',
    help: 'Internal calls refused with 401, by reason: missing (no cluster token) or wrong (a token this process does not accept)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly clientAuthFailures = new Counter({
    name: 'dcache_client_auth_failures_total',
    help: 'Public requests a router refused with 401 (client auth on), by reason: missing (no bearer token) or wrong (a token not accepted)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly tlsReloads = new Counter({
    name: 'dcache_tls_reloads_total',
    help: 'Certificates a router (TLS on) loaded from its changed files, with no restart',
    registers: [this.registry],
  });

  readonly tlsReloadFailures = new Counter({
    name: 'dcache_tls_reload_failures_total',
    help: 'Changed TLS files a router did not load, still serving the pair it had, by reason: unreadable, invalid, or mismatch (a key that does not belong to the certificate)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly tlsCertificateExpiry = new Gauge({
    name: 'dcache_tls_certificate_expiry_timestamp_seconds',
    help: 'When the certificate a router serves expires, in Unix seconds (0 with TLS off)',
    registers: [this.registry],
  });

  readonly ringEpoch = new Gauge({ name: 'dcache_ring_epoch', help: 'Ring epoch: how many membership views this process has built', registers: [this.registry] });
  readonly ringMembers = new Gauge({
    name: 'dcache_ring_members',
    help: 'Members in this process\'s view of the ring, by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly zookeeperConnected = new Gauge({
    name: 'dcache_zookeeper_connected',
    help: '1 while this process has a live ZooKeeper connection, else 0 (it then serves from its last view)',
    registers: [this.registry],
  });

  readonly keysMoved = new Counter({
    name: 'dcache_handoff_keys_total',
    help: 'Key copies moved by hand-off: sent to or received from peers, by kind (join, rebalance, drain)',
    labelNames: ['direction', 'kind'] as const,
    registers: [this.registry],
  });

  readonly handoffBytes = new Counter({
    name: 'dcache_handoff_bytes_total',
    help: 'Bytes of hand-off traffic (offers, values, pull streams), counted by the member running the hand-off, by direction and kind',
    labelNames: ['direction', 'kind'] as const,
    registers: [this.registry],
  });

  readonly handoffDuration = new Histogram({
    name: 'dcache_handoff_duration_seconds',
    help: 'Duration of each hand-off, by kind (join, rebalance, drain)',
    labelNames: ['kind'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  // Anti-entropy (docs/consistency.md, "Replicas converge by themselves"), counted by the server that asks.
  readonly antiEntropyComparisons = new Counter({
    name: 'dcache_antientropy_comparisons_total',
    help: 'Digest comparisons with a peer, by outcome: compared, not_comparable (the peer was settling or saw other members), failed (unreachable or a bad answer)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly antiEntropyRangesCompared = new Counter({
    name: 'dcache_antientropy_ranges_compared_total',
    help: 'Digest buckets (ranges of the keys two replicas share) compared with peers',
    registers: [this.registry],
  });

  readonly antiEntropyRangesDiffering = new Counter({
    name: 'dcache_antientropy_ranges_differing_total',
    help: 'Compared digest buckets whose versions differed, whose keys were then offered to the peer',
    registers: [this.registry],
  });

  readonly antiEntropyKeysRepaired = new Counter({
    name: 'dcache_antientropy_keys_repaired_total',
    help: 'Key copies a peer lacked or held older, stored there by anti-entropy',
    registers: [this.registry],
  });

  readonly antiEntropyKeysDigested = new Counter({
    name: 'dcache_antientropy_keys_digested_total',
    help: 'Entries hashed into digests, for this server\'s cycles and its peers\' requests: the CPU side of anti-entropy',
    registers: [this.registry],
  });

  readonly antiEntropyBytes = new Counter({
    name: 'dcache_antientropy_bytes_total',
    help: 'Bytes of anti-entropy traffic by the asking server (digests, offers, values), by direction',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  readonly antiEntropyCycleDuration = new Histogram({
    name: 'dcache_antientropy_cycle_duration_seconds',
    help: 'Duration of each anti-entropy cycle: digesting, comparing with every peer, and repairing',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor(role: string) {
    this.registry.setDefaultLabels({ role });
    collectDefaultMetrics({ register: this.registry });
  }

  recordRing(epoch: number, members: readonly Member[]): void {
    this.ringEpoch.set(epoch);
    for (const state of MEMBER_STATES) {
      this.ringMembers.set({ state }, members.filter((m) => m.state === state).length);
    }
  }
}

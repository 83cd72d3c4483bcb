// Events (events.k8s.io/v1) about a DistributedCache, shown by `kubectl describe`.
// Best effort: a failure is logged and never fails a reconcile.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { DistributedCache } from '../api/distributed-cache.js';
import { microTime } from '../api/time.js';
import type { EventRecorder, EventType } from '../reconcile/ports.js';
import { FIELD_MANAGER } from '../resources/names.js';
import type { KubeClient } from './client.js';
import { resourceType } from './resource-types.js';

/** The API's limit on an Event's note. */
const MAX_NOTE = 1024;

export class KubeEventRecorder implements EventRecorder {
  private readonly events = resourceType('Event');

  constructor(
    private readonly client: KubeClient,
    /** Which operator process reports (its pod name). */
    private readonly instance: string,
    private readonly logger: Logger,
  ) {}

  record(cache: DistributedCache, type: EventType, reason: string, note: string): void {
    const { namespace, name, uid, resourceVersion } = cache.metadata;
    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${name}.${Date.now().toString(16)}${randomBytes(4).toString('hex')}`, namespace },
      eventTime: microTime(new Date()),
      reportingController: FIELD_MANAGER,
      reportingInstance: this.instance,
      action: 'Reconcile',
      type,
      reason,
      note: note.length > MAX_NOTE ? `${note.slice(0, MAX_NOTE - 3)}...` : note,
      regarding: { apiVersion: cache.apiVersion, kind: cache.kind, namespace, name, uid, resourceVersion },
    };
    this.client.create(this.events, namespace, body).catch((error: unknown) => {
      this.logger.warn({ err: error, reason }, 'could not record an Event');
    });
    this.logger.debug({ cache: `${namespace}/${name}`, type, reason, note }, 'event');
  }
}

// The operator's Kubernetes client: a thin, typed layer over
// @kubernetes/client-node (docs/operator.md, "The client layer"). The library
// does the requests (KubernetesObjectApi, server-side apply, Watch) and the
// credentials (kubeconfig files, in-cluster tokens that rotate); this layer
// keeps objects in their wire form (wire-form.ts) and turns the library's
// errors into KubeApiError (api-error.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import * as http from 'node:http';
import * as https from 'node:https';
import {
  createConfiguration,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  ServerConfiguration,
  setHeaderOptions,
  Watch,
  wrapHttpLibrary,
  type Configuration,
  type KubeConfig,
  type RequestContext,
} from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../resources/names.js';
import { fromApiException, isNotFound, KubeApiError, watchFailure } from './api-error.js';
import { resourcePath, resourceTypeOf, type ResourceType } from './resource-types.js';
import { keepWireForm, wire } from './wire-form.js';

export interface ObjectMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMetadata;
}

export interface ObjectList<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** Called after every request; the operator counts them in its metrics. */
export type RequestObserver = (verb: string, resource: string, code: number) => void;

const REQUEST_TIMEOUT_MS = 30_000;
/** How long past its timeoutSeconds a watch may run before the client gives up on it. */
const WATCH_GRACE_SECONDS = 30;

/** The status code of the response a call got, for `apply` to tell a create (201) from an update. */
const lastStatus = new AsyncLocalStorage<{ code: number }>();

/** KubernetesObjectApi, with its discovery lookup (protected there) open to the PodMonitor check. */
class ObjectApi extends KubernetesObjectApi {
  /** Asks the API server each time: a CRD may come or go while the operator runs. */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    delete this.apiVersionResourceCache[apiVersion];
    return (await this.resource(apiVersion, kind)) !== undefined;
  }
}

export class KubeClient {
  private readonly objects: ObjectApi;
  private readonly customObjects: CustomObjectsApi;
  private agent: Promise<http.Agent> | undefined;
  observer: RequestObserver | undefined;

  constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig names no current cluster');
    keepWireForm();
    const library = createConfiguration().httpApi;
    const configuration: Configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeConfig },
      httpApi: wrapHttpLibrary({
        send: async (request) => {
          await this.prepare(request);
          const response = await library.send(request).toPromise();
          const slot = lastStatus.getStore();
          if (slot !== undefined) slot.code = response.httpStatusCode;
          this.observer?.(request.getHttpMethod(), resourceOf(new URL(request.getUrl()).pathname), response.httpStatusCode);
          return response;
        },
      }),
    });
    this.objects = new ObjectApi(configuration);
    this.customObjects = new CustomObjectsApi(configuration);
  }

  /**
   * A timeout, and one keep-alive agent for every request: client-node 1.4
   * makes a new Agent per request, so no connection is reused
   * (kubernetes-client/javascript#2893). Credentials stay the library's: it
   * sets the Authorization header on each request, so rotated tokens are used.
   */
  private async prepare(request: RequestContext): Promise<void> {
    if (request.getSignal() === undefined) request.setSignal(AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    if (this.kubeConfig.getCurrentCluster()?.proxyUrl !== undefined) return; // the library's proxy agent
    this.agent ??= (async () => {
      const options: https.RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(options);
      if (!request.getUrl().startsWith('https:')) return new http.Agent({ keepAlive: true });
      const { ca, cert, key, rejectUnauthorized, servername } = options;
      return new https.Agent({ keepAlive: true, ca, cert, key, rejectUnauthorized, servername });
    })();
    request.setAgent(await this.agent);
  }

  /** Runs one library call; its ApiException becomes a KubeApiError naming the verb and path. */
  private async call<R>(verb: string, path: string, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (error) {
      throw fromApiException(error, verb, path);
    }
  }

  list<T>(type: ResourceType, options: { namespace?: string; labelSelector?: string } = {}): Promise<ObjectList<T>> {
    return this.call('GET', resourcePath(type, options.namespace), async () => {
      const list = await this.objects.list(type.apiVersion, type.kind, options.namespace, undefined, undefined, undefined, undefined, options.labelSelector);
      return list as unknown as ObjectList<T>;
    });
  }

  async get<T>(type: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.call('GET', resourcePath(type, namespace, name), async () => {
        const found = await this.objects.read({ apiVersion: type.apiVersion, kind: type.kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) } });
        return found as unknown as T;
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** `dryRun`: the API server checks the create, existence included, and stores nothing. */
  create<T>(type: ResourceType, namespace: string | undefined, body: object, { dryRun = false } = {}): Promise<T> {
    return this.call('POST', resourcePath(type, namespace), async () => {
      const created = await this.objects.create(wire(body), undefined, dryRun ? 'All' : undefined, FIELD_MANAGER);
      return created as unknown as T;
    });
  }

  replace<T>(type: ResourceType, namespace: string | undefined, name: string, body: object): Promise<T> {
    return this.call('PUT', resourcePath(type, namespace, name), async () => {
      const replaced = await this.objects.replace(wire(body), undefined, undefined, FIELD_MANAGER);
      return replaced as unknown as T;
    });
  }

  /**
   * Server-side apply as the operator's one field manager, with force: the
   * operator's fields are its own, whoever edited them since.
   */
  async apply<T extends KubeObject>(object: KubeObject): Promise<{ object: T; created: boolean }> {
    const type = resourceTypeOf(object);
    const status = { code: 0 };
    const applied = await this.call('PATCH', resourcePath(type, object.metadata.namespace, object.metadata.name), () =>
      lastStatus.run(status, () => this.objects.patch(wire(object), undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)),
    );
    return { object: applied as unknown as T, created: status.code === 201 };
  }

  /**
   * Server-side apply of a custom resource's status subresource.
   * KubernetesObjectApi has no subresources, so this goes through CustomObjectsApi.
   */
  async applyStatus(object: KubeObject & { status: unknown }): Promise<void> {
    const type = resourceTypeOf(object);
    const [group = '', version = ''] = type.apiVersion.split('/');
    const { name, namespace = '' } = object.metadata;
    await this.call('PATCH', resourcePath(type, namespace, name, 'status'), () =>
      this.customObjects.patchNamespacedCustomObjectStatus(
        { group, version, namespace, plural: type.plural, name, body: object, fieldManager: FIELD_MANAGER, force: true },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      ),
    );
  }

  /** Deletes in the background (the garbage collector removes dependents); a missing object is fine. */
  async delete(type: ResourceType, namespace: string | undefined, name: string, uid?: string): Promise<void> {
    const target = { apiVersion: type.apiVersion, kind: type.kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) } };
    try {
      await this.call('DELETE', resourcePath(type, namespace, name), () =>
        this.objects.delete(target, undefined, undefined, undefined, undefined, 'Background', uid !== undefined ? { preconditions: { uid } } : undefined),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Whether the API serves that kind (discovery, which any authenticated user may read). */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    try {
      return await this.call('GET', `/apis/${apiVersion}`, () => this.objects.serves(apiVersion, kind));
    } catch (error) {
      // No such group/version: nobody installed it.
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Streams watch events until the server ends the watch (after
   * timeoutSeconds) or `signal` aborts. Rejects on HTTP errors and broken
   * streams, with KubeApiError 410 when the resourceVersion is too old.
   */
  async watch<T>(
    type: ResourceType,
    options: { namespace?: string; labelSelector?: string; resourceVersion: string; timeoutSeconds: number },
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const path = resourcePath(type, options.namespace);
    const query = {
      allowWatchBookmarks: true,
      resourceVersion: options.resourceVersion,
      timeoutSeconds: options.timeoutSeconds,
      labelSelector: options.labelSelector,
    };
    await new Promise<void>((resolve, reject) => {
      let finished = false;
      let request: AbortController | undefined;
      const finish = (error?: unknown): void => {
        if (finished) return;
        finished = true;
        clearTimeout(watchdog);
        signal.removeEventListener('abort', onAbort);
        request?.abort();
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => finish();
      // A connection that died without a word would otherwise hold the informer forever.
      const watchdog = setTimeout(
        () => finish(new Error(`WATCH ${path}: no end after ${options.timeoutSeconds} s`)),
        (options.timeoutSeconds + WATCH_GRACE_SECONDS) * 1000,
      );
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      new Watch(this.kubeConfig)
        .watch(
          path,
          query,
          (phase: string, object: unknown) => {
            if (finished) return;
            if (phase === 'ERROR') {
              const status = object as { code?: number; reason?: string; message?: string };
              return finish(new KubeApiError(status.code ?? 500, status.reason ?? 'WatchError', status.message ?? '', 'WATCH', path));
            }
            onEvent({ type: phase as WatchEventType, object: object as T });
          },
          // The server ends a watch after timeoutSeconds; a cut connection ends it too, and the informer simply watches again.
          (error: unknown) => finish(error === null || error === undefined ? undefined : watchFailure(error, path)),
        )
        .then((controller) => {
          request = controller;
          if (finished) controller.abort();
        }, finish);
    });
  }

  /** Closes idle keep-alive connections (on shutdown). */
  close(): void {
    void this.agent?.then((agent) => agent.destroy());
  }
}

/** `deployments` from `/apis/apps/v1/namespaces/x/deployments/y`: the metric label (`discovery` for `/apis/group/version`). */
function resourceOf(path: string): string {
  const parts = path.split('/').filter((part) => part !== '');
  const start = parts[0] === 'api' ? 2 : 3;
  const rest = parts.slice(start);
  const index = rest[0] === 'namespaces' && rest.length > 2 ? 2 : 0;
  const subresource = rest.length > index + 2 ? `/${rest[index + 2]}` : '';
  return `${rest[index] ?? 'discovery'}${subresource}`;
}

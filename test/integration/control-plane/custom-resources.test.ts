// Custom resources behave as the operator will need them to: CEL validation
// rules, the scale subresource (kubectl scale), and an HPA that drives a
// custom resource through that subresource. The CRD is a test-only one.
import { expect } from 'chai';
import {
  ApiException,
  ApiextensionsV1Api,
  AutoscalingV2Api,
  CustomObjectsApi,
  type V1CustomResourceDefinition,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteTestNamespace,
  kubectl,
  KubectlError,
  rejectionOf,
} from '../../support/control-plane.js';
import { waitFor } from '../../support/wait.js';

const GROUP = 'smoke.test.dev';
const VERSION = 'v1';
const PLURAL = 'widgets';
const KIND = 'Widget';
const CRD_NAME = `${PLURAL}.${GROUP}`;
const REPLICAS_RULE_MESSAGE = 'spec.replicas must not exceed spec.maxReplicas';

interface Widget {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: { replicas: number; maxReplicas: number };
  status?: { replicas?: number; selector?: string };
}

function widgetCrd(): V1CustomResourceDefinition {
  return {
    metadata: { name: CRD_NAME },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: PLURAL, singular: 'widget', kind: KIND, listKind: `${KIND}List` },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['replicas', 'maxReplicas'],
                  properties: {
                    replicas: { type: 'integer', minimum: 0 },
                    maxReplicas: { type: 'integer', minimum: 1 },
                  },
                  x_kubernetes_validations: [{ rule: 'self.replicas <= self.maxReplicas', message: REPLICAS_RULE_MESSAGE }],
                },
                status: {
                  type: 'object',
                  properties: { replicas: { type: 'integer' }, selector: { type: 'string' } },
                },
              },
            },
          },
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
        },
      ],
    },
  };
}

function widget(name: string, spec: Widget['spec']): Widget {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, metadata: { name }, spec };
}

describe('control plane: custom resources (test-only CRD widgets.smoke.test.dev)', function () {
  let namespace: string;
  let extensions: ApiextensionsV1Api;
  let customObjects: CustomObjectsApi;

  before(async function () {
    const admin = adminKubeConfig();
    extensions = admin.makeApiClient(ApiextensionsV1Api);
    customObjects = admin.makeApiClient(CustomObjectsApi);
    // A run interrupted before `after` leaves the CRD behind in a reused
    // control plane (TESTENV_DIR); the definition is the same, so reuse it.
    try {
      await extensions.createCustomResourceDefinition({ body: widgetCrd() });
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 409)) throw error;
    }
    await waitFor(`CRD ${CRD_NAME} to be Established`, async () => {
      const crd = await extensions.readCustomResourceDefinition({ name: CRD_NAME });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
    namespace = await createTestNamespace('smoke-crd');
  });

  after(async function () {
    await deleteTestNamespace(namespace);
    await extensions.deleteCustomResourceDefinition({ name: CRD_NAME });
  });

  function createWidget(body: Widget): Promise<Widget> {
    // The generated client types custom objects as `any`; Widget is what we sent.
    return customObjects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body });
  }

  function readWidget(name: string): Promise<Widget> {
    return customObjects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
  }

  describe('CEL validation (x-kubernetes-validations)', function () {
    it("refuses an object that breaks the rule, with 422 and the rule's message", async function () {
      // Discovery of a new CRD's endpoints is eventually consistent, so a 404
      // right after Established is retried; the 422 is what we wait for.
      const rejection = await waitFor('the API server to validate widgets', async () => {
        const result = await rejectionOf(createWidget(widget('too-many', { replicas: 5, maxReplicas: 3 })));
        return result.code === 404 ? undefined : result;
      }, { intervalMs: 250 });
      expect(rejection.code).to.equal(422);
      expect(rejection.reason).to.equal('Invalid');
      expect(rejection.message).to.include(REPLICAS_RULE_MESSAGE);
    });

    it('accepts an object that satisfies the rule', async function () {
      const created = await createWidget(widget('within-limit', { replicas: 3, maxReplicas: 3 }));
      expect(created.spec).to.deep.equal({ replicas: 3, maxReplicas: 3 });
    });
  });

  describe('scale subresource', function () {
    const NAME = 'scalable';

    before(async function () {
      await createWidget(widget(NAME, { replicas: 1, maxReplicas: 10 }));
    });

    it('is scaled by `kubectl scale`, which writes spec.replicas', async function () {
      const output = await kubectl(['scale', '-n', namespace, `${CRD_NAME}/${NAME}`, '--replicas=4']);
      expect(output).to.include('scaled');

      expect((await readWidget(NAME)).spec.replicas).to.equal(4);
      const scale = JSON.parse(
        await kubectl(['get', '--raw', `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${NAME}/scale`]),
      ) as { kind?: string; spec?: { replicas?: number } };
      expect(scale.kind).to.equal('Scale');
      expect(scale.spec?.replicas).to.equal(4);
    });

    it("still applies the CEL rule to writes through the subresource", async function () {
      const failure = await kubectl(['scale', '-n', namespace, `${CRD_NAME}/${NAME}`, '--replicas=11']).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(KubectlError);
      expect((failure as KubectlError).stderr).to.include(REPLICAS_RULE_MESSAGE);
      expect((await readWidget(NAME)).spec.replicas).to.equal(4);
    });
  });

  describe('autoscaling/v2 HorizontalPodAutoscaler', function () {
    const NAME = 'autoscaled';
    let autoscaling: AutoscalingV2Api;

    before(async function () {
      autoscaling = adminKubeConfig().makeApiClient(AutoscalingV2Api);
      await createWidget(widget(NAME, { replicas: 1, maxReplicas: 10 }));
    });

    function hpaFor(target: string): V2HorizontalPodAutoscaler {
      return {
        metadata: { name: target },
        spec: {
          scaleTargetRef: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, name: target },
          minReplicas: 2,
          maxReplicas: 5,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        },
      };
    }

    it('is accepted when it targets the custom resource', async function () {
      const created = await autoscaling.createNamespacedHorizontalPodAutoscaler({ namespace, body: hpaFor(NAME) });
      expect(created.spec?.scaleTargetRef).to.deep.equal({ apiVersion: `${GROUP}/${VERSION}`, kind: KIND, name: NAME });
      expect(created.spec?.minReplicas).to.equal(2);
      expect(created.spec?.maxReplicas).to.equal(5);
    });

    it('is reconciled by the HPA controller, which raises the resource to minReplicas through the scale subresource', async function () {
      // With no metrics API the controller cannot compute utilisation, but it
      // still clamps the target into [minReplicas, maxReplicas]. It finds a
      // new CRD's scale endpoint only after the controller manager refreshes
      // its discovery RESTMapper, which it does every 30 s.
      const replicas = await waitFor(
        'the HPA controller to scale the widget to minReplicas',
        async () => {
          const current = (await readWidget(NAME)).spec.replicas;
          return current === 2 ? current : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      expect(replicas).to.equal(2);

      // The controller writes the HPA's status after it has scaled the target.
      const status = await waitFor('the HPA status to report the rescale', async () => {
        const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name: NAME });
        return hpa.status?.desiredReplicas === 2 ? hpa.status : undefined;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      const ableToScale = status.conditions?.find((c) => c.type === 'AbleToScale');
      expect(ableToScale?.status).to.equal('True');
    });
  });
});

// Turns schemas from the Kubernetes API's OpenAPI v3 document into
// self-contained structural schemas that a CRD can embed: a CRD schema cannot
// use $ref, so references are inlined, and only what apiextensions accepts is
// kept (docs/operator.md, "Kubernetes types in the schema").
import type { JsonSchema } from '../../operator/api/schema.js';

/** The part of an OpenAPI v3 document we read. */
export interface OpenApiDocument {
  components: { schemas: Record<string, OpenApiSchema> };
}

/** A schema node as the API server serves it (loosely typed: it is input). */
export type OpenApiSchema = Record<string, unknown>;

const REF_PREFIX = '#/components/schemas/';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

// Extensions a CRD schema understands. The patch-strategy markers belong to
// strategic merge patch, which custom resources do not support, and
// group-version-kind / unions are documentation the CRD schema rejects.
const KEPT_EXTENSIONS = ['x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type'] as const;
const KEPT_KEYWORDS = ['type', 'format', 'description', 'required', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern'] as const;

export class UninlinableSchemaError extends Error {}

function refName(ref: unknown, path: string): string {
  if (typeof ref !== 'string' || !ref.startsWith(REF_PREFIX)) throw new UninlinableSchemaError(`${path}: unsupported $ref ${String(ref)}`);
  return ref.slice(REF_PREFIX.length);
}

/** The single reference of `{$ref}` or `{allOf: [{$ref}]}` (how v3 attaches a description to a reference). */
function referenceOf(node: OpenApiSchema, path: string): string | undefined {
  if (node['$ref'] !== undefined) return refName(node['$ref'], path);
  const allOf = node['allOf'];
  if (Array.isArray(allOf)) {
    if (allOf.length !== 1) throw new UninlinableSchemaError(`${path}: allOf with ${allOf.length} members`);
    return refName((allOf[0] as OpenApiSchema)['$ref'], path);
  }
  return undefined;
}

/**
 * The named schema with every reference inlined. Dropped on purpose:
 * `default` (the pod API applies its own defaults to what we pass through,
 * and defaults here would write fields into the user's object) and `enum`
 * (Kubernetes lists the documented values but accepts others, e.g. an empty
 * toleration effect; the pod API validates them when the operator applies).
 */
export function inlineSchema(doc: OpenApiDocument, name: string): JsonSchema {
  return inlineNamed(doc, name, [], name);
}

/** A property of a named schema (e.g. PodSpec's `tolerations`), inlined the same way. */
export function inlineProperty(doc: OpenApiDocument, name: string, property: string): JsonSchema {
  const node = schemaNamed(doc, name, name)['properties'] as Record<string, OpenApiSchema> | undefined;
  const field = node?.[property];
  if (field === undefined) throw new UninlinableSchemaError(`${name} has no property ${property}`);
  return convert(doc, field, [name], `${name}.${property}`);
}

function schemaNamed(doc: OpenApiDocument, name: string, path: string): OpenApiSchema {
  const schema = doc.components.schemas[name];
  if (schema === undefined) throw new UninlinableSchemaError(`${path}: no schema named ${name}`);
  return schema;
}

function inlineNamed(doc: OpenApiDocument, name: string, stack: readonly string[], path: string): JsonSchema {
  if (stack.includes(name)) throw new UninlinableSchemaError(`${path}: ${name} refers to itself, which cannot be inlined`);
  // IntOrString's own schema is a string with a format; a CRD spells it with the extension.
  if (name === INT_OR_STRING) return { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  return convert(doc, schemaNamed(doc, name, path), [...stack, name], path);
}

function convert(doc: OpenApiDocument, node: OpenApiSchema, stack: readonly string[], path: string): JsonSchema {
  const reference = referenceOf(node, path);
  if (reference !== undefined) {
    const target = inlineNamed(doc, reference, stack, path);
    // The referring field's description says what the field means here.
    return typeof node['description'] === 'string' ? { ...target, description: node['description'] } : target;
  }
  const result: Record<string, unknown> = {};
  for (const key of [...KEPT_KEYWORDS, ...KEPT_EXTENSIONS]) {
    if (node[key] !== undefined) result[key] = structuredClone(node[key]);
  }
  const properties = node['properties'] as Record<string, OpenApiSchema> | undefined;
  if (properties !== undefined) {
    result['properties'] = Object.fromEntries(
      Object.keys(properties)
        .sort()
        .map((key) => [key, convert(doc, properties[key] as OpenApiSchema, stack, `${path}.${key}`)]),
    );
  }
  if (node['items'] !== undefined) result['items'] = convert(doc, node['items'] as OpenApiSchema, stack, `${path}[]`);
  const additional = node['additionalProperties'];
  if (typeof additional === 'object' && additional !== null) {
    result['additionalProperties'] = convert(doc, additional as OpenApiSchema, stack, `${path}{}`);
  }
  // A structural schema gives every node a type.
  if (result['type'] === undefined) throw new UninlinableSchemaError(`${path}: no type`);
  return result as JsonSchema;
}

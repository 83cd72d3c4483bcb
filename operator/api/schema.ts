// Builders for a structural OpenAPI v3 schema, as CustomResourceDefinitions
// want it, that also carry the TypeScript type of what they accept. The CRD
// YAML is printed from these objects and the API types are inferred from
// them, so the two cannot disagree.

/** One CEL rule (`x-kubernetes-validations`). */
export interface ValidationRule {
  readonly rule: string;
  readonly message?: string;
  /** A CEL expression that builds the message, so it can name the bad values. */
  readonly messageExpression?: string;
  /** The field the error is reported on, relative to the schema holding the rule. */
  readonly fieldPath?: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** The subset of JSONSchemaProps we use, with the API server's wire names. */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: readonly string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

// A phantom member: it exists only for the type checker and never at run time,
// so printing a schema prints plain JSONSchemaProps.
declare const carried: unique symbol;

/**
 * A schema for values of type `In` (as a user writes them) that become `Out`
 * once the API server has applied the schema's defaults. `HasDefault` says
 * whether the schema itself has a default, which makes its property required
 * in the parent's `Out`.
 */
export type Schema<In, Out = In, HasDefault extends boolean = boolean> = JsonSchema & {
  readonly [carried]?: { in: In; out: Out; hasDefault: HasDefault };
};

type AnySchema = Schema<unknown, unknown, boolean>;
export type InputOf<S> = S extends Schema<infer In, unknown, boolean> ? In : never;
export type DefaultedOf<S> = S extends Schema<unknown, infer Out, boolean> ? Out : never;
type HasDefault<S> = S extends Schema<unknown, unknown, infer D> ? D : false;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type DefaultedKeys<P> = { [K in keyof P]: HasDefault<P[K]> extends true ? K : never }[keyof P];

type ObjectIn<P, R extends keyof P> = Simplify<
  { -readonly [K in R]: InputOf<P[K]> } & { -readonly [K in Exclude<keyof P, R>]?: InputOf<P[K]> }
>;
type ObjectOut<P, R extends keyof P> = Simplify<
  { -readonly [K in R | DefaultedKeys<P>]: DefaultedOf<P[K]> } & {
    -readonly [K in Exclude<keyof P, R | DefaultedKeys<P>>]?: DefaultedOf<P[K]>;
  }
>;

/** Whether an inferred `default` type parameter was given. */
type Given<D> = [D] extends [undefined] ? false : true;

interface Common {
  /** Shown by `kubectl explain`; every field has one. */
  description: string;
  rules?: ValidationRule[];
}

function common(options: Common): JsonSchema {
  return {
    description: options.description,
    ...(options.rules !== undefined ? { 'x-kubernetes-validations': options.rules } : {}),
  };
}

export interface IntegerOptions extends Common {
  minimum?: number;
  maximum?: number;
  format?: 'int32' | 'int64';
}

export function integer<const D extends number | undefined = undefined>(
  options: IntegerOptions & { default?: D },
): Schema<number, number, Given<D>> {
  const { minimum, maximum, format } = options;
  return {
    type: 'integer',
    ...(format !== undefined ? { format } : {}),
    ...common(options),
    ...(minimum !== undefined ? { minimum } : {}),
    ...(maximum !== undefined ? { maximum } : {}),
    ...(options.default !== undefined ? { default: options.default } : {}),
  };
}

export interface StringOptions extends Common {
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  format?: string;
}

export function string<const D extends string | undefined = undefined>(
  options: StringOptions & { default?: D },
): Schema<string, string, Given<D>> {
  const { pattern, minLength, maxLength, format } = options;
  return {
    type: 'string',
    ...(format !== undefined ? { format } : {}),
    ...common(options),
    ...(pattern !== undefined ? { pattern } : {}),
    ...(minLength !== undefined ? { minLength } : {}),
    ...(maxLength !== undefined ? { maxLength } : {}),
    ...(options.default !== undefined ? { default: options.default } : {}),
  };
}

export function oneOf<const V extends readonly string[], const D extends V[number] | undefined = undefined>(
  values: V,
  options: Common & { default?: D },
): Schema<V[number], V[number], Given<D>> {
  return {
    type: 'string',
    ...common(options),
    enum: values,
    ...(options.default !== undefined ? { default: options.default } : {}),
  };
}

export function boolean<const D extends boolean | undefined = undefined>(
  options: Common & { default?: D },
): Schema<boolean, boolean, Given<D>> {
  return { type: 'boolean', ...common(options), ...(options.default !== undefined ? { default: options.default } : {}) };
}

/** An integer or a string, as Kubernetes quantities are (`1`, `500m`, `1Gi`). */
export function intOrString(options: Common & { pattern?: string }): Schema<number | string, number | string, false> {
  return {
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    ...common(options),
    ...(options.pattern !== undefined ? { pattern: options.pattern } : {}),
  };
}

export interface ObjectOptions<P, R, D> extends Common {
  properties: P;
  required?: readonly R[];
  /** Usually `{}`: the object then always exists, so its properties' defaults apply. */
  default?: D;
}

export function object<
  const P extends Record<string, AnySchema>,
  const R extends keyof P & string = never,
  const D extends Record<string, never> | undefined = undefined,
>(options: ObjectOptions<P, R, D>): Schema<ObjectIn<P, R>, ObjectOut<P, R>, Given<D>> {
  return {
    type: 'object',
    ...common(options),
    properties: options.properties,
    ...(options.required !== undefined && options.required.length > 0 ? { required: [...options.required] } : {}),
    ...(options.default !== undefined ? { default: options.default } : {}),
  };
}

/** A map from strings to values of one schema (`additionalProperties`). */
export function mapOf<S extends AnySchema>(
  values: S,
  options: Common,
): Schema<Record<string, InputOf<S>>, Record<string, DefaultedOf<S>>, false> {
  return { type: 'object', ...common(options), additionalProperties: values };
}

export interface ArrayOptions extends Common {
  maxItems?: number;
  /** Items merged by these keys under server-side apply (`x-kubernetes-list-type: map`). */
  mapKeys?: string[];
}

export function arrayOf<S extends AnySchema>(
  items: S,
  options: ArrayOptions,
): Schema<Array<InputOf<S>>, Array<DefaultedOf<S>>, false> {
  return {
    type: 'array',
    ...common(options),
    items,
    ...(options.maxItems !== undefined ? { maxItems: options.maxItems } : {}),
    ...(options.mapKeys !== undefined
      ? { 'x-kubernetes-list-type': 'map' as const, 'x-kubernetes-list-map-keys': options.mapKeys }
      : {}),
  };
}

/**
 * A schema written elsewhere (the Kubernetes API's own types, generated into
 * operator/api/generated/), typed as `T` and described for where it is used.
 */
export function adopted<T>(schema: JsonSchema, options: Common): Schema<T, T, false> {
  return { ...structuredClone(schema), ...common(options) };
}

/**
 * Fills in a schema's defaults the way the API server does for a structural
 * schema: a missing property with a default gets (a copy of) it, and the walk
 * continues into what is there, including defaults just added.
 */
export function applyDefaults<T>(schema: JsonSchema, value: T): T {
  if (schema.type === 'object' && isPlainObject(value)) {
    const result: Record<string, unknown> = { ...value };
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      if (result[key] === undefined && property.default !== undefined) result[key] = structuredClone(property.default);
      if (result[key] !== undefined) result[key] = applyDefaults(property, result[key]);
    }
    if (schema.additionalProperties !== undefined) {
      for (const key of Object.keys(result)) {
        if (!(key in (schema.properties ?? {}))) result[key] = applyDefaults(schema.additionalProperties, result[key]);
      }
    }
    return result as T;
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    return value.map((item: unknown) => applyDefaults(items, item)) as T;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The OpenAPI 3.1 document, generated from the route table (routes.ts) and the zod schemas
 * (schemas.ts) that also validate the requests: nothing in it is written by hand. OpenAPI
 * 3.1 schemas are JSON Schema draft 2020-12, which zod 4's toJSONSchema emits; request
 * parameters are described by their input side (the text a client sends), responses by
 * their output side.
 */
import { z } from 'zod';
import {
  API_PREFIX,
  COMMON_RESPONSES,
  EVENT_SCHEMAS,
  type ResponseSpec,
  ROUTES,
  type RouteSpec,
} from './routes.js';
import { API_COMPONENTS, type ParamTable } from './schemas.js';

type Json = Record<string, unknown>;

const COMPONENT_URI = (id: string) => `#/components/schemas/${id}`;

/** Drops the keys that make sense for a standalone schema but not inside the document. */
function embedded(schema: Json): Json {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

function inputSchema(schema: z.ZodType): Json {
  return embedded(
    z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json,
  );
}

function componentRef(schema: z.ZodType): Json {
  const meta = API_COMPONENTS.get(schema);
  if (!meta) throw new Error('a response schema is not registered in API_COMPONENTS');
  return { $ref: COMPONENT_URI(meta.id) };
}

function parameters(table: ParamTable | undefined, where: 'path' | 'query' | 'header'): Json[] {
  return Object.entries(table ?? {}).map(([name, spec]) => ({
    name,
    in: where,
    required: where === 'path' || spec.required === true,
    description: spec.message,
    schema: inputSchema(spec.schema),
  }));
}

function response(spec: ResponseSpec): Json {
  if (!spec.schema) {
    const type = spec.contentType ?? 'application/json';
    return {
      description: spec.description,
      content: { [type]: { schema: { type: type === 'application/json' ? 'object' : 'string' } } },
    };
  }
  return {
    description: spec.description,
    content: { [spec.contentType ?? 'application/json']: { schema: componentRef(spec.schema) } },
  };
}

function operation(route: RouteSpec): Json {
  const responses: Json = {};
  for (const [status, spec] of Object.entries({ ...COMMON_RESPONSES, ...route.responses }))
    responses[status] = response(spec);
  return {
    operationId: route.id,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    parameters: [
      ...parameters(route.params, 'path'),
      ...parameters(route.query, 'query'),
      ...parameters(route.headers, 'header'),
    ],
    ...(route.body
      ? {
          requestBody: {
            required: true,
            description: route.body.description,
            content: { 'application/json': { schema: inputSchema(route.body.schema) } },
          },
        }
      : {}),
    responses,
  };
}

/** `/blocks/:heightOrHash` -> `/api/v1/blocks/{heightOrHash}`. */
export function openApiPath(path: string): string {
  return API_PREFIX + path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

let cached: Json | undefined;

/** The document (built once: the schemas and the table are constants). */
export function openApiDocument(): Json {
  if (cached) return cached;
  // every event schema is referenced from the stream's description only: touch them so
  // that a refactor that drops one from the registry fails here
  for (const schema of EVENT_SCHEMAS) componentRef(schema);
  const generated = z.toJSONSchema(API_COMPONENTS, {
    target: 'draft-2020-12',
    uri: COMPONENT_URI,
    unrepresentable: 'any',
  }) as { schemas: Record<string, Json> };
  const schemas: Json = {};
  for (const [id, schema] of Object.entries(generated.schemas)) schemas[id] = embedded(schema);
  const paths: Record<string, Json> = {};
  for (const route of ROUTES as readonly RouteSpec[]) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  cached = {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'Ledger node API and block explorer',
      version: '1',
      description:
        'JSON under /api/v1. Hashes and addresses are lowercase 0x-hex, amounts decimal strings of wei. ' +
        'Lists are keyset pages, newest first: `{items, next}`; pass `next` back as `cursor`. Every ' +
        'refusal is `{error, message}`.',
    },
    paths,
    components: { schemas },
  };
  return cached;
}

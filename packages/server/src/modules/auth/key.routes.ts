import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { principalOf } from '../../http/auth-hook.js';
import { EpochMs, literalUnion, responses } from '../../http/schemas.js';
import { KEY_ROLES } from '../../storage/schema.js';
import type { ApiKeyRecord } from './api-key.store.js';
import type { KeyService } from './key.service.js';

const KeySchema = Type.Object({
  id: Type.String(),
  app: Type.Union([Type.String(), Type.Null()]),
  role: literalUnion(KEY_ROLES),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
  createdAt: EpochMs,
  lastUsedAt: Type.Union([EpochMs, Type.Null()]),
  revokedAt: Type.Union([EpochMs, Type.Null()]),
});

function view(r: ApiKeyRecord) {
  return {
    id: r.id,
    app: r.appId,
    role: r.role,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
  };
}

/**
 * `POST /v1/keys`, `GET /v1/keys`, `DELETE /v1/keys/:id` (admin keys only).
 * @example await app.register(keyRoutes({ keys }));
 */
export function keyRoutes(deps: { readonly keys: KeyService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/keys',
      {
        config: { auth: 'admin' },
        schema: {
          tags: ['keys'],
          summary: 'Create an API key: an app key (role app + app) or an admin key (viewer, analyst, admin)',
          body: Type.Object(
            {
              role: literalUnion(KEY_ROLES),
              app: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          response: responses({
            201: Type.Object({ ...KeySchema.properties, key: Type.String({ description: 'Shown once' }) }),
          }),
        },
      },
      async (req, reply) => {
        const issued = await deps.keys.create(
          { role: req.body.role, appId: req.body.app, name: req.body.name },
          `key:${principalOf(req).keyId}`,
        );
        return reply.code(201).send({ ...view(issued.record), key: issued.key });
      },
    );

    app.get(
      '/v1/keys',
      {
        config: { auth: 'viewer' },
        schema: {
          tags: ['keys'],
          summary: 'List API keys (never the keys themselves)',
          querystring: Type.Object(
            {
              app: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              includeRevoked: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: responses({ 200: Type.Object({ items: Type.Array(KeySchema) }) }),
        },
      },
      async (req) => {
        const filter: { appId?: string; includeRevoked?: boolean } = {};
        if (req.query.app !== undefined) filter.appId = req.query.app;
        if (req.query.includeRevoked !== undefined) filter.includeRevoked = req.query.includeRevoked;
        return { items: (await deps.keys.list(filter)).map(view) };
      },
    );

    app.delete(
      '/v1/keys/:id',
      {
        config: { auth: 'admin' },
        schema: {
          tags: ['keys'],
          summary: 'Revoke an API key (takes effect at once)',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: responses({ 200: KeySchema }),
        },
      },
      async (req) => view(await deps.keys.revoke(req.params.id, `key:${principalOf(req).keyId}`)),
    );
  };
}

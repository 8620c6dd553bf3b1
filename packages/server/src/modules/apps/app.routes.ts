import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { appScope, principalOf } from '../../http/auth-hook.js';
import { EpochMs, responses } from '../../http/schemas.js';
import type { AppService } from './app.service.js';

const AppSchema = Type.Object({ id: Type.String(), name: Type.String(), createdAt: EpochMs });

/**
 * `POST /v1/apps` (admin), `GET /v1/apps` (viewer), `GET /v1/apps/:id`.
 * @example await app.register(appRoutes({ apps }));
 */
export function appRoutes(deps: { readonly apps: AppService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/apps',
      {
        config: { auth: 'admin' },
        schema: {
          tags: ['apps'],
          summary: 'Create an app and its first API key (shown once)',
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 100 }) },
            { additionalProperties: false },
          ),
          response: responses({
            201: Type.Object({
              id: Type.String(),
              name: Type.String(),
              createdAt: EpochMs,
              apiKey: Type.String({ description: 'The app key; store it now, it is not shown again' }),
              keyId: Type.String(),
            }),
          }),
        },
      },
      async (req, reply) => {
        const created = await deps.apps.create(req.body.name, `key:${principalOf(req).keyId}`);
        return reply.code(201).send({ ...created.app, apiKey: created.apiKey, keyId: created.keyId });
      },
    );

    app.get(
      '/v1/apps',
      {
        config: { auth: 'viewer' },
        schema: {
          tags: ['apps'],
          summary: 'List apps',
          response: responses({ 200: Type.Object({ items: Type.Array(AppSchema) }) }),
        },
      },
      async () => ({ items: await deps.apps.list() }),
    );

    app.get(
      '/v1/apps/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['apps'],
          summary: 'One app (an app key sees only its own)',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: responses({ 200: AppSchema }),
        },
      },
      async (req) => deps.apps.get(appScope(req, req.params.id) ?? req.params.id),
    );
  };
}

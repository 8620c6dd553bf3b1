import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { requiredAppScope } from '../../http/auth-hook.js';
import { EpochMs, literalUnion, responses } from '../../http/schemas.js';
import { actorOf, assertCanAct } from '../enforcement/enforcement.routes.js';
import { INTEL_KINDS, INTEL_SOURCES, type IntelEntry } from './intel.model.js';
import type { IntelService } from './intel.service.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);

const SettingsSchema = Type.Object({
  app: Type.String(),
  contribute: Type.Boolean({
    description: "Share this app's confirmed-fraud and shared-list identifiers (hashed)",
  }),
  consume: Type.Boolean({ description: "Let other apps' shared identifiers raise risk here" }),
});

const EntrySchema = Type.Object({
  id: Type.String(),
  kind: literalUnion([...INTEL_KINDS]),
  hash: Type.String({
    description: 'HMAC-SHA256 of the identifier under the server pepper; the value is never stored',
  }),
  source: literalUnion([...INTEL_SOURCES]),
  reason: Type.String(),
  caseId: Nullable(Type.String()),
  createdAt: EpochMs,
  expiresAt: Nullable(EpochMs),
});

const AppQuery = Type.Object(
  { app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'admin keys: which app' })) },
  { additionalProperties: false },
);

const shown = (e: IntelEntry) => ({ ...e });

/**
 * Shared intelligence routes, always for one app (an app key's own; admin keys name it):
 * `GET|PUT /v1/intel/settings`, `GET|POST /v1/intel/shared` and `DELETE /v1/intel/shared/:kind/*`.
 * An app only ever sees its own contributions, as hashes.
 * @example await app.register(intelRoutes({ intel }));
 */
export function intelRoutes(deps: { readonly intel: IntelService }): FastifyPluginAsyncTypebox {
  const { intel } = deps;
  return async (app) => {
    app.get(
      '/v1/intel/settings',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['intel'],
          summary: "The app's participation in shared intelligence",
          querystring: AppQuery,
          response: responses({ 200: SettingsSchema }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, req.query.app);
        return { app: appId, ...(await intel.settings(appId)) };
      },
    );

    app.put(
      '/v1/intel/settings',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['intel'],
          summary: 'Opt in or out of contributing and consuming (both default on)',
          querystring: AppQuery,
          body: Type.Object(
            { contribute: Type.Optional(Type.Boolean()), consume: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: responses({ 200: SettingsSchema }),
        },
      },
      async (req) => {
        assertCanAct(req, 'changing intel settings');
        const appId = requiredAppScope(req, req.query.app);
        return { app: appId, ...(await intel.putSettings(appId, req.body, actorOf(req))) };
      },
    );

    app.get(
      '/v1/intel/shared',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['intel'],
          summary: "The app's own shared identifiers (hashes), newest first",
          querystring: Type.Object(
            {
              app: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              kind: Type.Optional(literalUnion([...INTEL_KINDS])),
              cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            },
            { additionalProperties: false },
          ),
          response: responses({
            200: Type.Object({ items: Type.Array(EntrySchema), nextCursor: Nullable(Type.String()) }),
          }),
        },
      },
      async (req) => {
        const q = req.query;
        const page = await intel.list(requiredAppScope(req, q.app), {
          kind: q.kind,
          cursor: q.cursor,
          limit: q.limit,
        });
        return { items: page.items.map(shown), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/v1/intel/shared',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['intel'],
          summary:
            'Share a fraudulent device, IP, wallet or e-mail with every app (201; 200 when already shared)',
          querystring: AppQuery,
          body: Type.Object(
            {
              kind: literalUnion([...INTEL_KINDS]),
              value: Type.String({ minLength: 1, maxLength: 500 }),
              reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
              source: Type.Optional(
                literalUnion(['list', 'manual'], {
                  description: "default 'manual'; 'list' for a shared block-list entry",
                }),
              ),
              expiresAt: Type.Optional(EpochMs),
            },
            { additionalProperties: false },
          ),
          response: responses({ 200: EntrySchema, 201: EntrySchema, 409: Type.Ref('Error') }),
        },
      },
      async (req, reply) => {
        assertCanAct(req, 'sharing intelligence');
        const appId = requiredAppScope(req, req.query.app);
        const b = req.body;
        const r = await intel.share(
          appId,
          { kind: b.kind, value: b.value },
          {
            source: b.source ?? 'manual',
            reason: b.reason ?? 'reported as fraudulent',
            actor: actorOf(req),
            expiresAt: b.expiresAt,
          },
        );
        return reply.code(r.created ? 201 : 200).send(shown(r.entry));
      },
    );

    app.delete(
      '/v1/intel/shared/:kind/*',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['intel'],
          summary: "Withdraw one of the app's shared identifiers (the value URL-encoded)",
          params: Type.Object({ kind: literalUnion([...INTEL_KINDS]) }),
          querystring: AppQuery,
          response: responses({ 204: Type.Null() }),
        },
      },
      async (req, reply) => {
        assertCanAct(req, 'withdrawing intelligence');
        const params: object = req.params;
        const value = '*' in params ? params['*'] : undefined;
        if (typeof value !== 'string' || value === '' || value.length > 500) {
          throw new DomainError('validation_failed', 'invalid value', {
            details: [{ path: '/value', message: 'the URL must end with the value (1 to 500 characters)' }],
          });
        }
        await intel.withdraw(
          requiredAppScope(req, req.query.app),
          { kind: req.params.kind, value },
          actorOf(req),
        );
        return reply.code(204).send(null);
      },
    );
  };
}

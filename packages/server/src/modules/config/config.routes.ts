import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ACCESS_LEVELS, EngineConfigSchema } from '@vigil/engine';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { principalOf, requiredAppScope } from '../../http/auth-hook.js';
import { EpochMs, responses } from '../../http/schemas.js';
import { HANDLER_VALIDATES } from '../../http/validator.js';
import { hasAdminRole } from '../auth/auth.service.js';
import { SNIFFED_TYPES } from '../access/mime-sniff.js';
import { GatekeeperInputSchema } from './config-document.js';
import { CONFIG_VERSIONS_PAGE, type AppConfig, type ConfigService } from './config.service.js';

const AppQuery = {
  app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Admin keys: which app' })),
};

const GatekeeperSchema = Type.Object({
  uploads: Type.Object({
    maxBytes: Type.Integer(),
    allowedTypes: Type.Array(Type.Enum(SNIFFED_TYPES)),
  }),
  access: Type.Object({
    minLevel: Type.Enum(ACCESS_LEVELS),
    resources: Type.Record(Type.String(), Type.Enum(ACCESS_LEVELS)),
  }),
});

/** The configuration as the API shows it. */
export const AppConfigSchema = Type.Object({
  app: Type.String(),
  version: Type.Integer({ minimum: 0, description: '0 when the app runs on the defaults' }),
  createdAt: Type.Union([EpochMs, Type.Null()]),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  overrides: Type.Record(Type.String(), Type.Unknown(), {
    description: 'The stored document: what differs from the defaults',
  }),
  config: EngineConfigSchema,
  gatekeeper: GatekeeperSchema,
});

const PutBodySchema = {
  ...Type.Object(
    { gatekeeper: Type.Optional(GatekeeperInputSchema) },
    {
      additionalProperties: true,
      description:
        'Overrides of the engine configuration (deep-merged over the defaults: objects key by key, arrays replaced), plus an optional gatekeeper section. Every problem is reported with its path.',
    },
  ),
  [HANDLER_VALIDATES]: true,
};

function shown(c: AppConfig) {
  return {
    app: c.appId,
    version: c.version,
    createdAt: c.createdAt,
    createdBy: c.createdBy,
    overrides: c.overrides,
    config: c.engine,
    gatekeeper: c.gatekeeper,
  };
}

/** An app key's own app, or the `?app=` of an admin key with at least the analyst role. */
function writeScope(req: FastifyRequest, app: string | undefined): string {
  const p = principalOf(req);
  if (p.role !== 'app' && !hasAdminRole(p.role, 'analyst')) {
    throw new DomainError(
      'forbidden',
      'changing a configuration needs an app key or an admin key with the analyst role or higher',
    );
  }
  return requiredAppScope(req, app);
}

/**
 * `GET /v1/config` (in force, or `?version=`), `PUT /v1/config` (validate, store the next
 * version, audit, apply without restart) and `GET /v1/config/versions`. App keys act on their own
 * app; admin keys name it with `?app=` (writes need the analyst role).
 * @example await app.register(configRoutes({ configs }));
 */
export function configRoutes(deps: { readonly configs: ConfigService }): FastifyPluginAsyncTypebox {
  const { configs } = deps;
  return async (app) => {
    app.get(
      '/v1/config',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['config'],
          summary: "The app's configuration in force (or a stored version) with its effective values",
          querystring: Type.Object(
            { ...AppQuery, version: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })) },
            { additionalProperties: false },
          ),
          response: responses({ 200: AppConfigSchema }),
        },
      },
      async (req) => shown(await configs.get(requiredAppScope(req, req.query.app), req.query.version)),
    );

    app.put(
      '/v1/config',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['config'],
          summary: 'Replace the configuration: validated, stored as the next version, applied at once',
          querystring: Type.Object(AppQuery, { additionalProperties: false }),
          body: PutBodySchema,
          response: responses({ 200: AppConfigSchema, 409: Type.Ref('Error') }),
        },
      },
      async (req) => {
        const appId = writeScope(req, req.query.app);
        const body: unknown = req.body;
        return shown(await configs.put(appId, body, `key:${principalOf(req).keyId}`));
      },
    );

    app.get(
      '/v1/config/versions',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['config'],
          summary: 'Stored configuration versions, newest first',
          querystring: Type.Object(
            {
              ...AppQuery,
              before: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
              limit: Type.Optional(
                Type.Integer({
                  minimum: 1,
                  maximum: CONFIG_VERSIONS_PAGE.max,
                  description: `default ${CONFIG_VERSIONS_PAGE.default}`,
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: responses({
            200: Type.Object({
              app: Type.String(),
              current: Type.Integer({ minimum: 0 }),
              items: Type.Array(
                Type.Object({ version: Type.Integer(), createdAt: EpochMs, createdBy: Type.String() }),
              ),
              nextBefore: Type.Union([Type.Integer(), Type.Null()]),
            }),
          }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, req.query.app);
        const page = await configs.versions(appId, { before: req.query.before, limit: req.query.limit });
        return {
          app: appId,
          current: configs.current(appId).version,
          items: page.items.map((v) => ({
            version: v.version,
            createdAt: v.createdAt,
            createdBy: v.createdBy,
          })),
          nextBefore: page.nextBefore,
        };
      },
    );
  };
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requiredAppScope } from '../../http/auth-hook.js';
import { EpochMs, responses } from '../../http/schemas.js';
import type { EntityService, WalletProfile } from './entity.service.js';

/** `?app=` for admin keys. */
export const EntityAppQuery = Type.Object(
  { app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Admin keys: which app' })) },
  { additionalProperties: false },
);

/** `:address` of the wallet routes. */
export const WalletParams = Type.Object({ address: Type.String({ minLength: 1, maxLength: 128 }) });

/** The oracle's wallet profile shape. */
export const WalletProfileSchema = Type.Object({
  address: Type.String(),
  risk_score: Type.Number({ description: 'Score 0..100 of the newest decision' }),
  risk_level: Type.String(),
  peak_risk_score: Type.Number(),
  is_blacklisted: Type.Boolean(),
  is_whitelisted: Type.Boolean(),
  transaction_count: Type.Integer(),
  total_volume: Type.Number(),
  avg_amount: Type.Number(),
  event_count: Type.Integer(),
  first_seen: Type.Union([EpochMs, Type.Null()]),
  last_seen: Type.Union([EpochMs, Type.Null()]),
});

/** A wallet profile in the oracle's wire shape. @example walletBody(await entities.wallet(appId, address)).risk_score */
export function walletBody(p: WalletProfile) {
  return {
    address: p.address,
    risk_score: p.riskScore,
    risk_level: p.riskLevel,
    peak_risk_score: p.peakRiskScore,
    is_blacklisted: p.isBlacklisted,
    is_whitelisted: p.isWhitelisted,
    transaction_count: p.transactionCount,
    total_volume: p.totalVolume,
    avg_amount: p.avgAmount,
    event_count: p.eventCount,
    first_seen: p.firstSeen,
    last_seen: p.lastSeen,
  };
}

const DeviceProfileSchema = Type.Object({
  app: Type.String(),
  device: Type.String(),
  users: Type.Array(
    Type.Object({ user: Type.String(), events: Type.Integer(), firstSeen: EpochMs, lastSeen: EpochMs }),
  ),
  userCount: Type.Integer(),
  eventCount: Type.Integer(),
  firstSeen: EpochMs,
  lastSeen: EpochMs,
  risk: Type.Number({ description: 'Risk 0..1 of the newest decision' }),
  level: Type.String(),
  peakRisk: Type.Number(),
  isBlocked: Type.Boolean(),
  isAllowed: Type.Boolean(),
});

/**
 * `GET /v1/wallets/:address` (the oracle's wallet profile) and `GET /v1/devices/:id` (users seen
 * on it, first/last seen, risk). App keys see their own app; admin keys pass `?app=`.
 * @example await app.register(entityRoutes({ entities }));
 */
export function entityRoutes(deps: { readonly entities: EntityService }): FastifyPluginAsyncTypebox {
  const { entities } = deps;
  return async (app) => {
    app.get(
      '/v1/wallets/:address',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['entities'],
          summary: 'Wallet profile: risk, peak risk, lists, transaction count, volume, average amount',
          params: WalletParams,
          querystring: EntityAppQuery,
          response: responses({ 200: WalletProfileSchema }),
        },
      },
      async (req) =>
        walletBody(await entities.wallet(requiredAppScope(req, req.query.app), req.params.address)),
    );

    app.get(
      '/v1/devices/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['entities'],
          summary: 'Device profile: users seen on it, first/last seen, risk, lists',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }),
          querystring: EntityAppQuery,
          response: responses({ 200: DeviceProfileSchema }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, req.query.app);
        return { app: appId, ...(await entities.device(appId, req.params.id)) };
      },
    );
  };
}

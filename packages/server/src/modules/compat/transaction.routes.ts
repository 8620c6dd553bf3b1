import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ensembleScore,
  RISK_LEVEL_ACTIONS,
  RISK_LEVELS,
  riskLevelOf,
  type Decision,
  type RiskLevel,
  type SignalCategory,
} from '@vigil/engine';
import Type from 'typebox';
import type { Clock } from '../../clock.js';
import { requiredAppScope } from '../../http/auth-hook.js';
import { responses } from '../../http/schemas.js';
import type { ConfigService } from '../config/config.service.js';
import { EntityAppQuery, WalletParams, WalletProfileSchema, walletBody } from '../entities/entity.routes.js';
import type { EntityService } from '../entities/entity.service.js';
import type { EventIngest } from '../events/event-ingest.js';
import type { ListService } from '../lists/list.service.js';
import { createEventDraft, eventIdFor, round, submitDraft, userIdOf } from './compat-event.js';
import type { CompatStore } from './compat.store.js';

/** The engine version the model_version strings name. @example ENGINE_VERSION; // '0.1.0' */
export const ENGINE_VERSION = '0.1.0';

/**
 * `vigil-<engine>+config.<version>`: which engine and which app configuration decided.
 * @example modelVersion(3); // 'vigil-0.1.0+config.3'
 */
export function modelVersion(configVersion: number): string {
  return `vigil-${ENGINE_VERSION}+config.${configVersion}`;
}

const Address = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^\\S+$',
  description: 'Wallet address',
});
const TxId = Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Integer({ minimum: 0 })]);
const Timestamp = Type.Union([Type.String({ maxLength: 40 }), Type.Number()], {
  description: 'ISO 8601, epoch seconds or epoch milliseconds (default: now)',
});

const ScoreResultSchema = Type.Object({
  transaction_id: Type.String(),
  risk_score: Type.Number({ description: '0..1' }),
  is_fraud: Type.Boolean(),
  model_used: Type.String(),
  processing_time_ms: Type.Number(),
  confidence: Type.Number(),
  explanations: Type.Object({
    amount_risk: Type.Number(),
    user_behavior_risk: Type.Number(),
    merchant_risk: Type.Number(),
  }),
  risk_level: Type.Enum(RISK_LEVELS),
  decision: Type.String({ description: 'allow, challenge, review or block' }),
  reasons: Type.Array(Type.String()),
  duplicate: Type.Boolean(),
});

const AnalyzeResultSchema = Type.Object({
  transaction_id: Type.String(),
  overall_score: Type.Number(),
  velocity_score: Type.Number(),
  amount_score: Type.Number(),
  pattern_score: Type.Number(),
  graph_score: Type.Number(),
  timing_score: Type.Number(),
  risk_level: Type.Enum(RISK_LEVELS, {
    description:
      "The more severe of the ensemble's level and the engine decision's (rules, lists, configured combination)",
  }),
  decision_score: Type.Integer({ description: "The engine decision's score 0..100" }),
  approved: Type.Boolean(),
  flagged: Type.Boolean(),
  blocked: Type.Boolean(),
  alerts: Type.Array(Type.String()),
  explanations: Type.Array(Type.String()),
  analysis_time_ms: Type.Number(),
  model_version: Type.String(),
  duplicate: Type.Boolean(),
});

const USER_CATEGORIES = new Set<SignalCategory>([
  'velocity',
  'behavior',
  'identity',
  'pattern',
  'timing',
  'report',
]);

/** The ML API's three explanation figures (0..1) from a decision's signals and analyzer scores. */
function explanations(d: Decision) {
  let amount = (d.analyzers?.amount ?? 0) / 100;
  let user = Math.max(d.analyzers?.velocity ?? 0, d.analyzers?.pattern ?? 0, d.analyzers?.timing ?? 0) / 100;
  let merchant = (d.analyzers?.graph ?? 0) / 100;
  for (const s of d.signals) {
    if (s.category === 'amount') amount = Math.max(amount, s.score);
    if (USER_CATEGORIES.has(s.category)) user = Math.max(user, s.score);
    if (s.category === 'graph' || s.code.includes('merchant') || 'merchant' in s.evidence)
      merchant = Math.max(merchant, s.score);
  }
  return {
    amount_risk: round(amount, 4),
    user_behavior_risk: round(user, 4),
    merchant_risk: round(merchant, 4),
  };
}

function worse(a: RiskLevel, b: RiskLevel): RiskLevel {
  return RISK_LEVELS.indexOf(a) >= RISK_LEVELS.indexOf(b) ? a : b;
}

/**
 * The ML fraud API's `POST /v1/score` and the stablecoin oracle's `POST /analyze`,
 * `GET /wallet/:address` and `GET /stats`, mapped onto the engine.
 * @example await app.register(transactionRoutes({ ingest, configs, entities, lists, store, clock }));
 */
export function transactionRoutes(deps: {
  readonly ingest: Pick<EventIngest, 'submit'>;
  readonly configs: Pick<ConfigService, 'current'>;
  readonly entities: EntityService;
  readonly lists: Pick<ListService, 'count'>;
  readonly store: CompatStore;
  readonly clock: Clock;
}): FastifyPluginAsyncTypebox {
  const { ingest, configs, entities, lists, store, clock } = deps;
  return async (app) => {
    app.post(
      '/v1/score',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['compat'],
          summary: 'ML fraud API: score one card/payment transaction (idempotent by transaction_id)',
          body: Type.Object({
            transaction_id: TxId,
            amount: Type.Number({ minimum: 0, maximum: 1e15 }),
            user_id: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer()]),
            merchant_id: Type.Optional(
              Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer()]),
            ),
            timestamp: Type.Optional(Timestamp),
            device_fingerprint: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            ip_address: Type.Optional(Type.String({ minLength: 2, maxLength: 45 })),
            currency: Type.Optional(Type.String({ minLength: 1, maxLength: 12 })),
            category: Type.Optional(Type.String({ maxLength: 200 })),
          }),
          response: responses({ 200: ScoreResultSchema }),
        },
      },
      async (req) => {
        const started = performance.now();
        const b = req.body;
        const appId = requiredAppScope(req, undefined);
        const txId = userIdOf(b.transaction_id);
        const d = createEventDraft();
        d.set(
          'id',
          eventIdFor(req, 'score', { explicit: txId, body: b, timed: true, now: clock.now() }),
          '/transaction_id',
        );
        d.set('type', 'payment', '/');
        d.absorb(
          {
            amount: b.amount,
            merchant_id: b.merchant_id,
            timestamp: b.timestamp,
            device_fingerprint: b.device_fingerprint,
            ip_address: b.ip_address,
            currency: b.currency,
            ...(b.category === undefined ? {} : { category: b.category }),
          },
          '',
        );
        d.set('user', userIdOf(b.user_id), '/user_id');
        const { decision, duplicate } = await submitDraft(ingest, appId, d);
        const live = decision.models
          .filter((m) => m.live)
          .map((m) => (m.version ? `${m.model}@${m.version}` : m.model));
        return {
          transaction_id: txId,
          risk_score: decision.risk,
          is_fraud:
            decision.outcome === 'block' || decision.level === 'HIGH' || decision.level === 'CRITICAL',
          model_used:
            live.length > 0 ? live.join('+') : `rules:${modelVersion(configs.current(appId).version)}`,
          processing_time_ms: round(performance.now() - started, 3),
          confidence: decision.confidence,
          explanations: explanations(decision),
          risk_level: decision.level,
          decision: decision.outcome,
          reasons: [...decision.explanation],
          duplicate,
        };
      },
    );

    app.post(
      '/analyze',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['compat'],
          summary:
            "Stablecoin oracle: analyse a transfer with the five analyzers and the spec's weighted ensemble",
          body: Type.Object({
            transaction_id: TxId,
            sender: Address,
            recipient: Address,
            amount: Type.Number({ minimum: 0, maximum: 1e15 }),
            timestamp: Type.Optional(Timestamp),
            currency: Type.Optional(Type.String({ minLength: 1, maxLength: 12 })),
            token: Type.Optional(
              Type.String({ minLength: 1, maxLength: 12, description: 'Alias of currency' }),
            ),
          }),
          response: responses({ 200: AnalyzeResultSchema }),
        },
      },
      async (req) => {
        const started = performance.now();
        const b = req.body;
        const appId = requiredAppScope(req, undefined);
        const txId = userIdOf(b.transaction_id);
        const d = createEventDraft();
        d.set(
          'id',
          eventIdFor(req, 'analyze', { explicit: txId, body: b, timed: true, now: clock.now() }),
          '/transaction_id',
        );
        d.set('type', 'transfer', '/');
        d.set('wallet', b.sender, '/sender');
        d.set('counterparty', b.recipient, '/recipient');
        d.absorb({ amount: b.amount, timestamp: b.timestamp, currency: b.currency ?? b.token }, '');
        const { decision, duplicate } = await submitDraft(ingest, appId, d);
        const a = decision.analyzers ?? {};
        const overall = ensembleScore(a);
        const level = worse(riskLevelOf(overall), decision.level);
        const verdict = RISK_LEVEL_ACTIONS[level];
        return {
          transaction_id: txId,
          overall_score: round(overall, 2),
          velocity_score: a.velocity ?? 0,
          amount_score: a.amount ?? 0,
          pattern_score: a.pattern ?? 0,
          graph_score: a.graph ?? 0,
          timing_score: a.timing ?? 0,
          risk_level: level,
          decision_score: decision.score,
          approved: verdict.approved && decision.outcome !== 'block',
          flagged: verdict.flagged,
          blocked: verdict.blocked || decision.outcome === 'block',
          alerts: [...decision.alerts],
          explanations: [...decision.explanation],
          analysis_time_ms: round(performance.now() - started, 3),
          model_version: modelVersion(configs.current(appId).version),
          duplicate,
        };
      },
    );

    app.get(
      '/wallet/:address',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['compat'],
          summary: 'Stablecoin oracle: wallet profile (same as GET /v1/wallets/:address)',
          params: WalletParams,
          querystring: EntityAppQuery,
          response: responses({ 200: WalletProfileSchema }),
        },
      },
      async (req) =>
        walletBody(await entities.wallet(requiredAppScope(req, req.query.app), req.params.address)),
    );

    app.get(
      '/stats',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['compat'],
          summary: 'Stablecoin oracle: analysis totals over money events, wallet profiles and list sizes',
          querystring: EntityAppQuery,
          response: responses({
            200: Type.Object({
              total_analyses: Type.Integer(),
              total_blocked: Type.Integer(),
              total_flagged: Type.Integer(),
              total_profiles: Type.Integer(),
              blacklist_size: Type.Integer(),
              whitelist_size: Type.Integer(),
              model_version: Type.String(),
              block_rate: Type.Number(),
              flag_rate: Type.Number(),
            }),
          }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, req.query.app);
        const [t, profiles, listed] = await Promise.all([
          store.oracleTotals(appId),
          entities.walletCount(appId),
          lists.count(appId, 'wallet'),
        ]);
        return {
          total_analyses: t.analyses,
          total_blocked: t.blocked,
          total_flagged: t.flagged,
          total_profiles: profiles,
          blacklist_size: listed.block,
          whitelist_size: listed.allow,
          model_version: modelVersion(configs.current(appId).version),
          block_rate: t.analyses === 0 ? 0 : round(t.blocked / t.analyses, 4),
          flag_rate: t.analyses === 0 ? 0 : round(t.flagged / t.analyses, 4),
        };
      },
    );
  };
}

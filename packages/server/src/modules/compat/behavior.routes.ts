import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { Clock } from '../../clock.js';
import { requiredAppScope } from '../../http/auth-hook.js';
import { responses } from '../../http/schemas.js';
import type { ConfigService } from '../config/config.service.js';
import type { EventIngest } from '../events/event-ingest.js';
import { assessTrust, BOT_PATTERNS, readTrackingData, TRUST_LEVELS, trustLevelOf } from './behavior-trust.js';
import { createEventDraft, eventIdFor, round, submitDraft, userIdOf } from './compat-event.js';

/** How the trust score was computed (the bot-detection spec's `aiMethod`). @example TRUST_METHOD; // 'rule-based' */
export const TRUST_METHOD = 'rule-based';

const TrackResultSchema = Type.Object({
  success: Type.Literal(true),
  userId: Type.String(),
  eventId: Type.String(),
  trustScore: Type.Number({ description: '0..1, higher is more human' }),
  trustLevel: Type.Enum(TRUST_LEVELS),
  needsCaptcha: Type.Boolean(),
  confidence: Type.Number(),
  reasons: Type.Array(Type.String()),
  patterns: Type.Array(Type.Enum(BOT_PATTERNS)),
  aiMethod: Type.String(),
  duplicate: Type.Boolean(),
});

/**
 * The bot detector's `POST /api/behavior/track`: the tracker's samples are scored by the rule-based
 * pattern catalogue, stored as a `behavior` event (pattern codes and counts as attributes), and the
 * trust score is the rule score capped by the engine's decision (a listed or risky user is never
 * trusted more than its risk allows). Captcha at or below the app's captcha threshold.
 * @example await app.register(behaviorRoutes({ ingest, configs, clock }));
 */
export function behaviorRoutes(deps: {
  readonly ingest: Pick<EventIngest, 'submit'>;
  readonly configs: Pick<ConfigService, 'current'>;
  readonly clock: Clock;
}): FastifyPluginAsyncTypebox {
  const { ingest, configs, clock } = deps;
  return async (app) => {
    app.post(
      '/api/behavior/track',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['compat'],
          summary:
            "Bot detection: score the tracker's behaviour data into a trust score and captcha decision",
          description:
            'trackingData: mouseMovements [{x, y, t, velocity?}], clicks [{t}], keystrokes [{t}] (timing only), scrollEvents [{deltaY, t}], formInteractions, sessionMetrics {webdriver?}. Unknown fields are ignored.',
          body: Type.Object({
            userId: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer()]),
            sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            behaviorData: Type.Object({
              trackingData: Type.Record(Type.String(), Type.Unknown()),
            }),
          }),
          response: responses({ 200: TrackResultSchema }),
        },
      },
      async (req) => {
        const b = req.body;
        const appId = requiredAppScope(req, undefined);
        const user = userIdOf(b.userId);
        const samples = readTrackingData(b.behaviorData.trackingData);
        const t = assessTrust(samples);
        const d = createEventDraft();
        d.set('id', eventIdFor(req, 'behavior', { body: b, timed: t.samples > 0, now: clock.now() }), '/');
        d.set('type', 'behavior', '/');
        d.set('user', user, '/userId');
        if (b.sessionId !== undefined) d.set('session', b.sessionId, '/sessionId');
        d.attr('rule_trust', t.trust, '/behaviorData/trackingData');
        d.attr('bot_patterns', t.patterns.join(','), '/behaviorData/trackingData');
        d.attr('mouse_samples', samples.mouse.length, '/behaviorData/trackingData/mouseMovements');
        d.attr('click_samples', samples.clicks.length, '/behaviorData/trackingData/clicks');
        d.attr('key_samples', samples.keys.length, '/behaviorData/trackingData/keystrokes');
        d.attr('scroll_samples', samples.scrolls.length, '/behaviorData/trackingData/scrollEvents');
        if (samples.webdriver) d.attr('webdriver', true, '/behaviorData/trackingData/sessionMetrics');
        const { decision, duplicate } = await submitDraft(ingest, appId, d);
        const trust = Math.min(t.trust, 100 - decision.score);
        const reasons = [...t.reasons, ...decision.explanation];
        return {
          success: true as const,
          userId: user,
          eventId: decision.eventId,
          trustScore: round(trust / 100, 4),
          trustLevel: trustLevelOf(trust),
          needsCaptcha: trust <= configs.current(appId).engine.captcha.threshold,
          confidence: t.confidence,
          reasons,
          patterns: [...t.patterns],
          aiMethod: TRUST_METHOD,
          duplicate,
        };
      },
    );
  };
}

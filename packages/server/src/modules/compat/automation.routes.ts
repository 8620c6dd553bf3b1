import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ACCESS_LEVELS, escalate, FLAG_COLORS, RISK_LEVELS } from '@vigil/engine';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { principalOf, requiredAppScope } from '../../http/auth-hook.js';
import { responses } from '../../http/schemas.js';
import { decodeHead, MAX_HEAD_BASE64 } from '../access/access.routes.js';
import type { AccessService } from '../access/access.service.js';
import type { ConfigService } from '../config/config.service.js';
import type { EventIngest } from '../events/event-ingest.js';
import {
  createEventDraft,
  eventIdFor,
  round,
  submitDraft,
  toEventType,
  userIdOf,
  type EventDraft,
} from './compat-event.js';

const SourceUserId = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer()]);
const Metadata = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'Request context: ip_address, user_agent, timestamp (ISO 8601, epoch s or ms), device_id, wallet_address, screen_resolution, timezone, ...; other scalar fields are kept as event attributes, nested objects are ignored',
});

/** `POST /api/bse/process` answer. */
const BseResultSchema = Type.Object({
  success: Type.Literal(true),
  user_id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  behavior_score: Type.Number(),
  risk_level: Type.Enum(RISK_LEVELS),
  risk_score: Type.Number({ description: '0..1' }),
  flag_color: Type.Enum(FLAG_COLORS),
  anomalies_detected: Type.Array(Type.String()),
  access_level: Type.Enum(ACCESS_LEVELS),
  action: Type.String({ description: 'allow, challenge, review or block' }),
  captcha_required: Type.Boolean(),
  reasons: Type.Array(Type.String()),
  duplicate: Type.Boolean(),
});

/** `POST /api/maf/detect` answer. */
const MafResultSchema = Type.Object({
  user_id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  flag_color: Type.Enum(FLAG_COLORS),
  anomalies_detected: Type.Array(Type.String()),
  behavior_score: Type.Number({
    description: 'The score the escalation used (the one sent, else the stored one)',
  }),
  action: Type.String({ description: 'Escalation: allow, monitor, challenge, restrict or block' }),
  escalation_reason: Type.String(),
  risk_score: Type.Number(),
  risk_level: Type.Enum(RISK_LEVELS),
  duplicate: Type.Boolean(),
});

/** `POST /api/agk/validate` answer (validate_access, plus the upload check when one was asked). */
const AgkResultSchema = Type.Object({
  user_id: Type.String(),
  access_granted: Type.Boolean(),
  access_level: Type.Enum(ACCESS_LEVELS),
  behavior_score: Type.Union([Type.Number(), Type.Null()]),
  errors: Type.Array(Type.String()),
  upload: Type.Union([
    Type.Object({
      valid: Type.Boolean(),
      detected_type: Type.Union([Type.String(), Type.Null()]),
      max_bytes: Type.Integer(),
      errors: Type.Array(Type.String()),
    }),
    Type.Null(),
  ]),
});

function draftFor(
  req: FastifyRequest,
  prefix: string,
  b: {
    readonly user_id: string | number;
    readonly event_type: string;
    readonly event_id?: string | undefined;
    readonly tier?: string | undefined;
  },
  context: Readonly<Record<string, unknown>> | undefined,
  contextPath: string,
  now: number,
): EventDraft {
  const type = toEventType(b.event_type);
  if (type === undefined) {
    throw new DomainError('validation_failed', 'invalid event', {
      details: [
        { path: '/event_type', message: 'must be a known event type or a name of letters, digits and _ . -' },
      ],
    });
  }
  const d = createEventDraft();
  d.set(
    'id',
    eventIdFor(req, prefix, {
      explicit: b.event_id,
      body: req.body,
      timed: context?.['timestamp'] !== undefined,
      now,
    }),
    '/event_id',
  );
  d.set('type', type, '/event_type');
  d.set('user', userIdOf(b.user_id), '/user_id');
  if (b.tier !== undefined) d.set('tier', b.tier.toLowerCase(), '/tier');
  if (context !== undefined) d.absorb(context, contextPath);
  return d;
}

/**
 * The automation platform's routes: `POST /api/bse/process` (behaviour score and risk level),
 * `POST /api/maf/detect` (flag colour, anomalies, escalation) and `POST /api/agk/validate`
 * (validate_access, optionally with an upload). App keys only.
 * @example await app.register(automationRoutes({ ingest, configs, access, clock }));
 */
export function automationRoutes(deps: {
  readonly ingest: Pick<EventIngest, 'submit'>;
  readonly configs: Pick<ConfigService, 'current'>;
  readonly access: AccessService;
  readonly clock: { now(): number };
}): FastifyPluginAsyncTypebox {
  const { ingest, configs, access, clock } = deps;
  return async (app) => {
    app.post(
      '/api/bse/process',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['compat'],
          summary: 'Behavioural scoring engine: process one activity payload (process_payload)',
          description:
            'Event types: login, signup, meme_upload, referral, social_interaction, wallet_connect, nft_listing, ... (any Vigil type; other names become custom:<name>). Idempotent by Idempotency-Key header, event_id, or an identical body with a timestamp.',
          body: Type.Object({
            user_id: SourceUserId,
            event_type: Type.String({ minLength: 1, maxLength: 80 }),
            metadata: Type.Optional(Metadata),
            event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            tier: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
          }),
          response: responses({ 200: BseResultSchema }),
        },
      },
      async (req) => {
        const b = req.body;
        const appId = requiredAppScope(req, undefined);
        const draft = draftFor(req, 'bse', b, b.metadata, '/metadata', clock.now());
        const { decision: d, duplicate } = await submitDraft(ingest, appId, draft);
        return {
          success: true as const,
          user_id: userIdOf(b.user_id),
          event_id: d.eventId,
          event_type: String(draft.input['type']),
          behavior_score: d.behaviorScore,
          risk_level: d.level,
          risk_score: d.risk,
          flag_color: d.flag,
          anomalies_detected: [...d.anomalies],
          access_level: d.accessLevel,
          action: d.outcome,
          captcha_required: d.captcha,
          reasons: [...d.explanation],
          duplicate,
        };
      },
    );

    app.post(
      '/api/maf/detect',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['compat'],
          summary: 'Multi-layer anomaly flagger: one event in, flag colour and anomalies out (process_event)',
          body: Type.Object({
            user_id: SourceUserId,
            event_type: Type.String({ minLength: 1, maxLength: 80 }),
            request_data: Type.Optional(Metadata),
            behavior_score: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
            event_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            tier: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
          }),
          response: responses({ 200: MafResultSchema }),
        },
      },
      async (req) => {
        const b = req.body;
        const appId = requiredAppScope(req, undefined);
        const draft = draftFor(req, 'maf', b, b.request_data, '/request_data', clock.now());
        if (b.behavior_score !== undefined)
          draft.attr('reported_behavior_score', b.behavior_score, '/behavior_score');
        const { decision: d, duplicate } = await submitDraft(ingest, appId, draft);
        const score = b.behavior_score ?? d.behaviorScore;
        const e = escalate(d.flag, score, configs.current(appId).engine.detectors.maf);
        return {
          user_id: userIdOf(b.user_id),
          event_id: d.eventId,
          event_type: String(draft.input['type']),
          flag_color: d.flag,
          anomalies_detected: [...d.anomalies],
          behavior_score: score,
          action: e.action,
          escalation_reason: e.reason,
          risk_score: d.risk,
          risk_level: d.level,
          duplicate,
        };
      },
    );

    app.post(
      '/api/agk/validate',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['compat'],
          summary: 'Asset gatekeeper: validate_access, and validate_upload_request when file fields are sent',
          body: Type.Object({
            user_id: SourceUserId,
            resource: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            content_type: Type.Optional(Type.String({ maxLength: 255 })),
            content_length: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
            filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            file_head: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: MAX_HEAD_BASE64,
                description: 'base64 of the first bytes',
              }),
            ),
          }),
          response: responses({ 200: AgkResultSchema }),
        },
      },
      async (req) => {
        const b = req.body;
        const appId = requiredAppScope(req, undefined);
        const actor = `key:${principalOf(req).keyId}`;
        const user = userIdOf(b.user_id);
        const wantsUpload =
          b.content_type !== undefined ||
          b.content_length !== undefined ||
          b.filename !== undefined ||
          b.file_head !== undefined;
        if (wantsUpload) {
          const missing = (['content_type', 'content_length', 'filename'] as const).filter(
            (k) => b[k] === undefined,
          );
          if (missing.length > 0) {
            throw new DomainError(
              'validation_failed',
              'an upload check needs content_type, content_length and filename',
              {
                details: missing.map((k) => ({
                  path: `/${k}`,
                  message: 'required with the other upload fields',
                })),
              },
            );
          }
        }
        const head = b.file_head === undefined ? undefined : decodeHead(b.file_head, '/file_head');
        const r = await access.validateAccess(appId, { user, resource: b.resource }, actor, {
          unknownUser: 'deny',
        });
        const upload =
          wantsUpload &&
          b.filename !== undefined &&
          b.content_type !== undefined &&
          b.content_length !== undefined
            ? await access.validateUpload(
                appId,
                {
                  user,
                  filename: b.filename,
                  contentType: b.content_type,
                  contentLength: b.content_length,
                  head,
                },
                actor,
              )
            : undefined;
        const errors = [...r.errors.map((e) => e.message), ...(upload?.errors.map((e) => e.message) ?? [])];
        return {
          user_id: user,
          access_granted: r.accessGranted && (upload?.valid ?? true),
          access_level: r.accessLevel,
          behavior_score: r.behaviorScore === null ? null : round(r.behaviorScore, 2),
          errors,
          upload:
            upload === undefined
              ? null
              : {
                  valid: upload.valid,
                  detected_type: upload.detectedType,
                  max_bytes: upload.maxBytes,
                  errors: upload.errors.map((e) => e.message),
                },
        };
      },
    );
  };
}

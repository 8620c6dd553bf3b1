import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FLAG_COLORS, OUTCOMES, RISK_LEVELS } from '@vigil/engine';
import Type from 'typebox';
import { DomainError, type ErrorDetail } from '../../errors.js';
import { appScope, principalOf } from '../../http/auth-hook.js';
import { toErrorBody } from '../../http/error-handler.js';
import { responses } from '../../http/schemas.js';
import type { Db } from '../../storage/database.js';
import type { EventIngest, IngestResult } from './event-ingest.js';
import {
  BatchBodySchema,
  BatchResultSchema,
  DecisionItemSchema,
  EventBodySchema,
  EventItemSchema,
  ListQuerySchema,
  MAX_BATCH_EVENTS,
  StatsSchema,
} from './event.schemas.js';
import { createEventStore, type LogFilter } from './event.store.js';

const DIGITS = /^\d{1,16}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses `from`/`to`: epoch ms or ISO 8601; 400 with the parameter's path otherwise. */
export function parseTime(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = DIGITS.test(value) ? Number(value) : ISO_DATE.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new DomainError('validation_failed', `invalid ${name}`, {
      details: [{ path: `/${name}`, message: 'must be epoch milliseconds or an ISO 8601 date-time' }],
    });
  }
  return ms;
}

function problemsError(problems: readonly ErrorDetail[]): DomainError {
  return new DomainError('validation_failed', 'invalid event', { details: problems });
}

function appOf(req: Parameters<typeof principalOf>[0]): string {
  const p = principalOf(req);
  if (p.appId === null) throw new DomainError('forbidden', 'events are sent with an app key');
  return p.appId;
}

function filterOf(
  q: {
    readonly user?: string | undefined;
    readonly type?: string | undefined;
    readonly level?: string | undefined;
    readonly from?: string | undefined;
    readonly to?: string | undefined;
    readonly cursor?: string | undefined;
    readonly limit?: number | undefined;
  },
  appId: string | undefined,
): LogFilter {
  return {
    appId,
    userId: q.user,
    type: q.type,
    level: q.level,
    from: parseTime(q.from, 'from'),
    to: parseTime(q.to, 'to'),
    cursor: q.cursor,
    limit: q.limit,
  };
}

function batchItem(index: number, r: IngestResult | DomainError): string {
  if (r instanceof DomainError) return JSON.stringify({ index, ok: false, error: toErrorBody(r) });
  if (!r.ok) {
    return JSON.stringify({ index, ok: false, error: toErrorBody(problemsError(r.problems)) });
  }
  return `{"index":${index},"ok":true,"duplicate":${r.duplicate},"decision":${r.json}}`;
}

/**
 * `POST /v1/events`, `POST /v1/events/batch`, `GET /v1/events`, `GET /v1/decisions`, `GET /v1/stats`.
 * Decisions are sent as the JSON stored with them (no re-serialisation).
 * @example await app.register(eventRoutes({ db, ingest }));
 */
export function eventRoutes(deps: {
  readonly db: Db;
  readonly ingest: EventIngest;
}): FastifyPluginAsyncTypebox {
  const events = createEventStore(deps.db);
  return async (app) => {
    app.post(
      '/v1/events',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['events'],
          summary: 'Send one event; get its decision once it is durably stored',
          description:
            'Idempotent by event id: re-sending an id answers the first decision (header vigil-duplicate: true) and stores nothing.',
          body: EventBodySchema,
          response: responses({ 200: Type.Ref('Decision'), 503: Type.Ref('Error') }),
        },
      },
      async (req, reply) => {
        const r = await deps.ingest.submit(appOf(req), req.body);
        if (!r.ok) throw problemsError(r.problems);
        return reply
          .header('content-type', 'application/json; charset=utf-8')
          .header('vigil-duplicate', String(r.duplicate))
          .send(r.json);
      },
    );

    app.post(
      '/v1/events/batch',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['events'],
          summary: `Send up to ${MAX_BATCH_EVENTS} events; each gets its decision or its own error`,
          body: BatchBodySchema,
          response: responses({
            200: Type.Object({
              accepted: Type.Integer(),
              duplicates: Type.Integer(),
              rejected: Type.Integer(),
              results: Type.Array(BatchResultSchema),
            }),
          }),
        },
      },
      async (req, reply) => {
        const body: unknown = req.body;
        if (typeof body !== 'object' || body === null || Array.isArray(body) || !('events' in body)) {
          throw new DomainError('validation_failed', 'invalid body', {
            details: [{ path: '/events', message: 'required: an array of events' }],
          });
        }
        const extra = Object.keys(body).filter((k) => k !== 'events');
        if (extra.length > 0) {
          throw new DomainError('validation_failed', 'invalid body', {
            details: extra.map((k) => ({ path: `/${k}`, message: 'unknown field' })),
          });
        }
        const list = body.events;
        if (!Array.isArray(list) || list.length === 0) {
          throw new DomainError('validation_failed', 'invalid body', {
            details: [{ path: '/events', message: 'must be a non-empty array of events' }],
          });
        }
        if (list.length > MAX_BATCH_EVENTS) {
          throw new DomainError('batch_too_large', `a batch holds at most ${MAX_BATCH_EVENTS} events`, {
            details: [
              {
                path: '/events',
                message: `${list.length} events; split into batches of ${MAX_BATCH_EVENTS}`,
              },
            ],
          });
        }
        const inputs: readonly unknown[] = list;
        const results = await deps.ingest.submitMany(appOf(req), inputs);
        let accepted = 0;
        let duplicates = 0;
        for (const r of results) {
          if (r instanceof DomainError || !r.ok) continue;
          if (r.duplicate) duplicates++;
          else accepted++;
        }
        const rejected = results.length - accepted - duplicates;
        const items = results.map((r, i) => batchItem(i, r)).join(',');
        return reply
          .header('content-type', 'application/json; charset=utf-8')
          .send(
            `{"accepted":${accepted},"duplicates":${duplicates},"rejected":${rejected},"results":[${items}]}`,
          );
      },
    );

    app.get(
      '/v1/events',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['events'],
          summary: 'The event log, newest first, with each decision summary; cursor pagination',
          querystring: ListQuerySchema,
          response: responses({
            200: Type.Object({
              items: Type.Array(EventItemSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
        },
      },
      async (req, reply) => {
        const page = await events.listEvents(filterOf(req.query, appScope(req, req.query.app)));
        const items = page.items
          .map(
            (e) =>
              `{"seq":${e.seq},"id":${JSON.stringify(e.id)},"app":${JSON.stringify(e.appId)},"type":${JSON.stringify(e.type)},"at":${e.at},"user":${JSON.stringify(e.userId)},"receivedAt":${e.receivedAt},"event":${e.payload},"decision":${JSON.stringify(e.decision)}}`,
          )
          .join(',');
        return reply
          .header('content-type', 'application/json; charset=utf-8')
          .send(`{"items":[${items}],"nextCursor":${JSON.stringify(page.nextCursor)}}`);
      },
    );

    app.get(
      '/v1/decisions',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['events'],
          summary: 'Decisions, newest first, with filters; cursor pagination',
          querystring: ListQuerySchema,
          response: responses({
            200: Type.Object({
              items: Type.Array(DecisionItemSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
        },
      },
      async (req, reply) => {
        const page = await events.listDecisions(filterOf(req.query, appScope(req, req.query.app)));
        const items = page.items
          .map(
            (d) =>
              `{"seq":${d.eventSeq},"type":${JSON.stringify(d.type)},"at":${d.at},"decision":${d.payload}}`,
          )
          .join(',');
        return reply
          .header('content-type', 'application/json; charset=utf-8')
          .send(`{"items":[${items}],"nextCursor":${JSON.stringify(page.nextCursor)}}`);
      },
    );

    app.get(
      '/v1/stats',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['events'],
          summary: 'Decision totals, per level/outcome/flag counts, block and flag rates',
          querystring: Type.Object(
            {
              app: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              from: Type.Optional(Type.String({ maxLength: 40 })),
              to: Type.Optional(Type.String({ maxLength: 40 })),
            },
            { additionalProperties: false },
          ),
          response: responses({ 200: StatsSchema }),
        },
      },
      async (req) => {
        const appId = appScope(req, req.query.app);
        const from = parseTime(req.query.from, 'from');
        const to = parseTime(req.query.to, 'to');
        const c = await events.countDecisions({ appId, from, to });
        const zeros = (keys: readonly string[], counts: Readonly<Record<string, number>>) =>
          Object.fromEntries(keys.map((k) => [k, counts[k] ?? 0]));
        const flagged = c.total - (c.byFlag['GREEN'] ?? 0);
        return {
          app: appId ?? null,
          from: from ?? null,
          to: to ?? null,
          total: c.total,
          byLevel: zeros(RISK_LEVELS, c.byLevel),
          byOutcome: zeros(OUTCOMES, c.byOutcome),
          byFlag: zeros(FLAG_COLORS, c.byFlag),
          blockRate: c.total === 0 ? 0 : (c.byOutcome['block'] ?? 0) / c.total,
          flagRate: c.total === 0 ? 0 : flagged / c.total,
        };
      },
    );
  };
}

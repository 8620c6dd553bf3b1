import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ListKind } from '@vigil/engine';
import type { FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import { principalOf, requiredAppScope } from '../../http/auth-hook.js';
import { toErrorBody } from '../../http/error-handler.js';
import { responses } from '../../http/schemas.js';
import { hasAdminRole } from '../auth/auth.service.js';
import { engineVerdict } from './list-registry.js';
import type { ListService } from './list.service.js';
import {
  AddressBodySchema,
  AddressListedSchema,
  ListAppQuery,
  ListBulkResultSchema,
  ListEntrySchema,
  ListKindParams,
  ListPageQuery,
  ListPageSchema,
  ListPostBodySchema,
  ListValueParams,
  ListValueSchema,
  MAX_LIST_ROWS,
  wildcardValue,
} from './list.schemas.js';
import type { ListRecord } from './list.store.js';

/** A stored entry as the API shows it. */
function shown(r: ListRecord, now: number) {
  return {
    app: r.scope,
    kind: r.kind,
    value: r.value,
    verdict: r.verdict,
    label: r.label,
    weight: r.weight,
    expiresAt: r.expiresAt,
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    scored: engineVerdict(r.verdict) !== undefined && (r.expiresAt === null || r.expiresAt > now),
  };
}

/** The scope a request reads: an app key's own app, or the `?app=` of an admin key. */
function readScope(req: FastifyRequest, app: string | undefined): string {
  return requiredAppScope(req, app);
}

/** Like {@link readScope}, but admin keys need the analyst role to change lists. */
function writeScope(req: FastifyRequest, app: string | undefined): string {
  const p = principalOf(req);
  if (p.role !== 'app' && !hasAdminRole(p.role, 'analyst')) {
    throw new DomainError(
      'forbidden',
      'changing lists needs an app key or an admin key with the analyst role or higher',
    );
  }
  return requiredAppScope(req, app);
}

function actorOf(req: FastifyRequest): string {
  return `key:${principalOf(req).keyId}`;
}

/** The rows of a POST body: one entry, or `{ entries: [...] }`; `bulk` says which. */
function rowsOf(body: unknown): { readonly rows: readonly unknown[]; readonly bulk: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('validation_failed', 'invalid body', {
      details: [{ path: '/', message: 'must be an entry object or { entries: [...] }' }],
    });
  }
  if (!('entries' in body)) return { rows: [body], bulk: false };
  const extra = Object.keys(body).filter((k) => k !== 'entries');
  if (extra.length > 0) {
    throw new DomainError('validation_failed', 'invalid body', {
      details: extra.map((k) => ({ path: `/${k}`, message: 'unknown field' })),
    });
  }
  const entries = body.entries;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new DomainError('validation_failed', 'invalid body', {
      details: [{ path: '/entries', message: 'must be a non-empty array of entries' }],
    });
  }
  if (entries.length > MAX_LIST_ROWS) {
    throw new DomainError('batch_too_large', `at most ${MAX_LIST_ROWS} entries per request`, {
      details: [{ path: '/entries', message: `${entries.length} entries; split them into several requests` }],
    });
  }
  const rows: readonly unknown[] = entries;
  return { rows, bulk: true };
}

/** Wallet block/allow through the oracle's route shape. */
async function listAddress(
  lists: ListService,
  req: FastifyRequest,
  app: string | undefined,
  body: { readonly address: string; readonly reason?: string | undefined },
  listed: 'blacklist' | 'whitelist',
) {
  const scope = writeScope(req, app);
  const row = {
    value: body.address,
    verdict: listed === 'blacklist' ? 'block' : 'allow',
    ...(body.reason !== undefined ? { label: body.reason } : {}),
  };
  const r = await lists.add(scope, 'wallet', [row], actorOf(req));
  const first = r.errors[0];
  if (first !== undefined) {
    throw new DomainError('validation_failed', 'invalid address', {
      details: first.details.map((d) => ({
        path: d.path === '/value' ? '/address' : d.path,
        message: d.message,
      })),
    });
  }
  return { success: true, address: r.entries[0]?.value ?? body.address, listed };
}

/**
 * The list routes: `GET|POST /v1/lists/:kind`, `GET|DELETE /v1/lists/:kind/:value` (URL-encoded,
 * CIDR ranges allowed), `POST /v1/lists/reload` (admin), and the oracle's `POST /blacklist` and
 * `POST /whitelist`. App keys work on their own app's lists; admin keys name the app with
 * `?app=` (`*` for the global lists); writes need an app key or the analyst role.
 * @example await app.register(listRoutes({ lists, clock }));
 */
export function listRoutes(deps: {
  readonly lists: ListService;
  readonly clock: Clock;
}): FastifyPluginAsyncTypebox {
  const { lists, clock } = deps;
  const now = (): number => clock.now();
  return async (app) => {
    app.get(
      '/v1/lists/:kind',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['lists'],
          summary: 'One list, ordered by value, with cursor pagination',
          params: ListKindParams,
          querystring: ListPageQuery,
          response: responses({ 200: ListPageSchema }),
        },
      },
      async (req) => {
        const q = req.query;
        const page = await lists.page({
          scope: readScope(req, q.app),
          kind: req.params.kind,
          verdict: q.verdict,
          label: q.label,
          cursor: q.cursor,
          limit: q.limit,
        });
        const t = now();
        return { items: page.items.map((r) => shown(r, t)), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/v1/lists/:kind',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['lists'],
          summary: `Add or replace one entry (201), or up to ${MAX_LIST_ROWS} with a per-row report (200)`,
          description:
            "An entry for a value already listed replaces it. verdict: 'block' (default), 'allow', or 'flag' (reputation only). IP lists take addresses and CIDR ranges.",
          params: ListKindParams,
          querystring: ListAppQuery,
          body: ListPostBodySchema,
          response: responses({ 200: ListBulkResultSchema, 201: ListEntrySchema }),
        },
      },
      async (req, reply) => {
        const scope = writeScope(req, req.query.app);
        const { rows, bulk } = rowsOf(req.body);
        const r = await lists.add(scope, req.params.kind, rows, actorOf(req));
        const t = now();
        if (!bulk) {
          const first = r.errors[0];
          if (first !== undefined) {
            throw new DomainError('validation_failed', `invalid ${req.params.kind} entry`, {
              details: first.details,
            });
          }
          const entry = r.entries[0];
          if (entry === undefined) throw new Error('a valid entry was not stored');
          return reply.code(201).send(shown(entry, t));
        }
        const failures = new Map(r.errors.map((e) => [e.index, e.details]));
        let next = 0;
        const results = rows.map((_, index): Static<typeof ListBulkResultSchema>['results'][number] => {
          const details = failures.get(index);
          if (details !== undefined) {
            const body = toErrorBody(new DomainError('validation_failed', 'invalid entry', { details }));
            return { index, ok: false, error: { ...body, details: [...body.details] } };
          }
          return { index, ok: true, value: r.entries[next++]?.value ?? '' };
        });
        return reply.code(200).send({ loaded: r.loaded, failed: r.failed, notScored: r.notScored, results });
      },
    );

    app.get(
      '/v1/lists/:kind/*',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['lists'],
          summary: 'The stored entry for a value and what the engine matches for it (404 when neither)',
          params: ListValueParams,
          querystring: ListAppQuery,
          response: responses({ 200: ListValueSchema }),
        },
      },
      async (req) => {
        const scope = readScope(req, req.query.app);
        const kind: ListKind = req.params.kind;
        const value = wildcardValue(req.params);
        const entry = await lists.get(scope, kind, value).catch((err: unknown) => {
          if (err instanceof DomainError && err.code === 'not_found') return undefined;
          throw err;
        });
        const hit = lists.lookup(scope, kind, value);
        if (entry === undefined && hit === undefined) {
          throw new DomainError('not_found', `'${value}' is not on the ${kind} list`);
        }
        return {
          entry: entry === undefined ? null : shown(entry, now()),
          hit:
            hit === undefined
              ? null
              : { verdict: hit.verdict, label: hit.label, weight: hit.weight, match: hit.match },
        };
      },
    );

    app.delete(
      '/v1/lists/:kind/*',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['lists'],
          summary: 'Remove the entry for a value (URL-encoded; a CIDR range is removed as a whole)',
          params: ListValueParams,
          querystring: ListAppQuery,
          response: responses({ 200: ListEntrySchema }),
        },
      },
      async (req) => {
        const scope = writeScope(req, req.query.app);
        const removed = await lists.remove(scope, req.params.kind, wildcardValue(req.params), actorOf(req));
        return shown(removed, now());
      },
    );

    app.post(
      '/v1/lists/reload',
      {
        config: { auth: 'admin' },
        schema: {
          tags: ['lists'],
          summary: 'Reload every list from the database (after `vigil lists import` on a running server)',
          response: responses({
            200: Type.Object({ loaded: Type.Integer(), notScored: Type.Integer(), scopes: Type.Integer() }),
          }),
        },
      },
      async () => lists.load(),
    );

    for (const [url, listed] of [
      ['/blacklist', 'blacklist'],
      ['/whitelist', 'whitelist'],
    ] as const) {
      app.post(
        url,
        {
          config: { auth: 'app-or-viewer' },
          schema: {
            tags: ['compat', 'lists'],
            summary: `Oracle compatibility: ${listed === 'blacklist' ? 'block' : 'allow'} a wallet`,
            querystring: ListAppQuery,
            body: AddressBodySchema,
            response: responses({ 200: AddressListedSchema }),
          },
        },
        async (req) => listAddress(lists, req, req.query.app, req.body, listed),
      );
    }
  };
}

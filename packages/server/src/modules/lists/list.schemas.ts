import { LIST_KINDS, LIST_VERDICTS } from '@vigil/engine';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { EpochMs, literalUnion } from '../../http/schemas.js';
import { HANDLER_VALIDATES } from '../../http/validator.js';
import { ListEntryBodySchema } from './list-row.js';
import { STORED_LIST_VERDICTS } from './list.store.js';

/** Most entries in one `POST /v1/lists/:kind` body. */
export const MAX_LIST_ROWS = 10_000;

/** `:kind` of the list routes. */
export const ListKindParams = Type.Object({ kind: literalUnion([...LIST_KINDS]) });

/**
 * `:kind` of the routes whose value follows as the wildcard (`/v1/lists/ip/10.0.0.0%2F8`; a plain
 * slash works too). The wildcard is read by the handler ({@link wildcardValue}).
 */
export const ListValueParams = Type.Object({ kind: literalUnion([...LIST_KINDS]) });

/**
 * The value in the route's wildcard, decoded; 400 when missing or longer than 500 characters.
 * @example wildcardValue({ kind: 'ip', '*': '10.0.0.0/8' }); // '10.0.0.0/8'
 */
export function wildcardValue(params: object): string {
  const v = '*' in params ? params['*'] : undefined;
  if (typeof v !== 'string' || v === '' || v.length > 500) {
    throw new DomainError('validation_failed', 'invalid value', {
      details: [
        { path: '/value', message: 'the URL must end with the value (1 to 500 characters, URL-encoded)' },
      ],
    });
  }
  return v;
}

const AppQuery = {
  app: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: "Admin keys: the app id, or '*' for the global lists that apply to every app",
    }),
  ),
};

/** `?app=` only. */
export const ListAppQuery = Type.Object(AppQuery, { additionalProperties: false });

/** Filters and position of `GET /v1/lists/:kind`. */
export const ListPageQuery = Type.Object(
  {
    ...AppQuery,
    verdict: Type.Optional(literalUnion([...STORED_LIST_VERDICTS])),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'default 100' })),
  },
  { additionalProperties: false },
);

/** One stored entry as the API shows it. */
export const ListEntrySchema = Type.Object({
  app: Type.String({ description: "The app id, or '*' for the global lists" }),
  kind: literalUnion([...LIST_KINDS]),
  value: Type.String({ description: 'Canonical form (CIDR host bits cleared, lower-cased, ...)' }),
  verdict: literalUnion([...STORED_LIST_VERDICTS]),
  label: Type.String(),
  weight: Type.Number(),
  expiresAt: Type.Union([EpochMs, Type.Null()]),
  createdAt: Type.Integer({ minimum: 0, description: 'When this verdict was set (epoch ms)' }),
  createdBy: Type.String(),
  scored: Type.Boolean({
    description: 'Whether the engine scores it (false once expired)',
  }),
});

/** The body of `POST /v1/lists/:kind`: one entry, or `{ entries: [...] }` (documentation; the handler validates each row). */
export const ListPostBodySchema = {
  ...Type.Union([
    ListEntryBodySchema,
    Type.Object(
      { entries: Type.Array(ListEntryBodySchema, { minItems: 1, maxItems: MAX_LIST_ROWS }) },
      { additionalProperties: false },
    ),
  ]),
  [HANDLER_VALIDATES]: true,
};

const RowError = Type.Object({
  error: Type.String(),
  message: Type.String(),
  details: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
});

/** The per-row report of a bulk write. */
export const ListBulkResultSchema = Type.Object({
  loaded: Type.Integer(),
  failed: Type.Integer(),
  notScored: Type.Integer({
    description:
      'Stored entries the engine does not score (none while every stored verdict is an engine one)',
  }),
  results: Type.Array(
    Type.Union([
      Type.Object({ index: Type.Integer(), ok: Type.Literal(true), value: Type.String() }),
      Type.Object({ index: Type.Integer(), ok: Type.Literal(false), error: RowError }),
    ]),
  ),
});

/** A page of entries. */
export const ListPageSchema = Type.Object({
  items: Type.Array(ListEntrySchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

/** What the engine matches for a value (a range or pattern may match). */
export const ListHitSchema = Type.Object({
  verdict: literalUnion([...LIST_VERDICTS]),
  label: Type.String(),
  weight: Type.Number(),
  match: Type.String(),
});

/** `GET /v1/lists/:kind/:value`: the stored entry for the exact value and what the engine matches. */
export const ListValueSchema = Type.Object({
  entry: Type.Union([ListEntrySchema, Type.Null()]),
  hit: Type.Union([ListHitSchema, Type.Null()]),
});

/** Body of the oracle's `POST /blacklist` and `POST /whitelist`. */
export const AddressBodySchema = Type.Object(
  {
    address: Type.String({ minLength: 1, maxLength: 128, description: 'Wallet address' }),
    reason: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "Stored as the entry's label, e.g. 'sanctioned'",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Answer of the oracle's list routes. */
export const AddressListedSchema = Type.Object({
  success: Type.Boolean(),
  address: Type.String({ description: 'Canonical (lower-case) address' }),
  listed: literalUnion(['blacklist', 'whitelist']),
});

import { normalizeListEntry, type ListKind } from '@vigil/engine';
import Type, { type Static } from 'typebox';
import Compile from 'typebox/compile';
import type { ErrorDetail } from '../../errors.js';
import { problemsOf } from '../../http/validator.js';
import { STORED_LIST_VERDICTS, type StoredListVerdict } from './list.store.js';

/** Latest accepted expiry: the end of year 9999. */
const MAX_EPOCH_MS = 253_402_300_799_999;

/**
 * One entry as sent to `POST /v1/lists/:kind` (the kind comes from the path). `verdict`
 * defaults to `block`; `flag` lists a value for reputation without forcing an action.
 * @example Compile(ListEntryBodySchema).Check({ value: '10.0.0.0/8', verdict: 'block', label: 'office' }); // true
 */
export const ListEntryBodySchema = Type.Object(
  {
    value: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'IP or CIDR, wallet, e-mail, domain, ...',
    }),
    verdict: Type.Optional(
      Type.Enum(STORED_LIST_VERDICTS, {
        description: "block (forced), allow, or flag (reputation only); default 'block'",
      }),
    ),
    label: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "Reason class: 'sanctioned', 'bad_actor', 'tor', 'disposable', 'bad_ip', 'crawler', ...",
      }),
    ),
    weight: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1e9, description: 'How many reports the value has (default 1)' }),
    ),
    expiresAt: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_EPOCH_MS,
        description: 'Epoch ms after which the entry is dropped',
      }),
    ),
    shared: Type.Optional(
      Type.Boolean({
        description:
          'Also share it (hashed) with the other apps as shared intelligence: block entries of devices, single IPs, wallets and e-mails of an app that contributes; removing the entry withdraws it',
      }),
    ),
  },
  { additionalProperties: false },
);

/** @example const e: ListEntryBody = { value: '1.2.3.4' }; */
export type ListEntryBody = Static<typeof ListEntryBodySchema>;

/** A validated, normalised row ready to store. */
export interface ValidListRow {
  readonly kind: ListKind;
  /** Canonical value (`10.1.2.3/8` became `10.0.0.0/8`, wallets lower-cased, ...). */
  readonly value: string;
  readonly verdict: StoredListVerdict;
  readonly label: string;
  readonly weight: number;
  readonly expiresAt: number | null;
}

/** The label of a flagged entry that has none. */
export const DEFAULT_FLAG_LABEL = 'reputation';

const checkBody = Compile(ListEntryBodySchema);

/** TypeBox errors as details, with a missing property reported at its own path. */
function detailsOf(raw: unknown): ErrorDetail[] {
  const errors = checkBody.Errors(raw);
  const out: ErrorDetail[] = [];
  const rest: typeof errors = [];
  for (const e of errors) {
    const params: unknown = e.params;
    const missing =
      e.keyword === 'required' &&
      typeof params === 'object' &&
      params !== null &&
      'requiredProperties' in params
        ? params.requiredProperties
        : undefined;
    if (Array.isArray(missing)) {
      for (const p of missing) out.push({ path: `${e.instancePath}/${String(p)}`, message: 'is required' });
    } else rest.push(e);
  }
  return rest.length > 0 || out.length === 0 ? [...out, ...problemsOf(rest)] : out;
}

/** Result of {@link validateListRow}. */
export type ListRowResult =
  | { readonly ok: true; readonly row: ValidListRow; readonly shared: boolean }
  | { readonly ok: false; readonly details: readonly ErrorDetail[] };

/**
 * Validates one untrusted entry for a list kind with the engine's normalisation (the same rules
 * the in-memory lists apply), so what is stored is exactly what the engine will hold.
 * Expiry must lie after `now`.
 * @example
 * validateListRow('ip', { value: '10.1.2.3/8' }, Date.now());
 * // { ok: true, row: { kind: 'ip', value: '10.0.0.0/8', verdict: 'block', label: 'blocklist', weight: 1, expiresAt: null }, shared: false }
 */
export function validateListRow(kind: ListKind, raw: unknown, now: number): ListRowResult {
  if (!checkBody.Check(raw)) return { ok: false, details: detailsOf(raw) };
  const verdict = raw.verdict ?? 'block';
  if (raw.expiresAt !== undefined && raw.expiresAt <= now) {
    return { ok: false, details: [{ path: '/expiresAt', message: 'must be in the future' }] };
  }
  const n = normalizeListEntry({
    kind,
    value: raw.value,
    verdict,
    ...(raw.label !== undefined
      ? { label: raw.label }
      : verdict === 'flag'
        ? { label: DEFAULT_FLAG_LABEL }
        : {}),
    ...(raw.weight !== undefined ? { weight: raw.weight } : {}),
    ...(raw.expiresAt !== undefined ? { expiresAt: raw.expiresAt } : {}),
  });
  if (!n.ok) return { ok: false, details: n.problems };
  const e = n.value.entry;
  return {
    ok: true,
    row: { kind, value: e.value, verdict, label: e.label, weight: e.weight, expiresAt: e.expiresAt ?? null },
    shared: raw.shared === true,
  };
}

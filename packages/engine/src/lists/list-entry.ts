import Type, { type Static } from 'typebox';
import type { Problem, Validated } from '../events/validate-event.js';
import { formatCidr, formatIp, parseCidr } from '../util/ip.js';
import { LIST_KINDS, LIST_VERDICTS, type ListHit, type ListKind, type ListVerdict } from './list-lookup.js';

/**
 * The wire shape of one list entry (API bodies, bulk loads). Values are normalised by
 * {@link normalizeListEntry}; see there for what each kind accepts.
 * @example Compile(ListEntryInputSchema).Check({ kind: 'ip', value: '10.0.0.0/8', verdict: 'block' }); // true
 */
export const ListEntryInputSchema = Type.Object(
  {
    kind: Type.Enum(LIST_KINDS),
    value: Type.String({ minLength: 1, maxLength: 500 }),
    verdict: Type.Enum(LIST_VERDICTS),
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
      Type.Integer({ minimum: 0, description: 'Epoch ms after which prune() drops the entry' }),
    ),
  },
  { additionalProperties: false },
);

/** One entry as an operator or a feed sends it. @example const e: ListEntryInput = { kind: 'wallet', value: '0xabc', verdict: 'block', label: 'sanctioned' }; */
export type ListEntryInput = Static<typeof ListEntryInputSchema>;

/**
 * A stored, normalised entry. It is also the {@link ListHit} that lookups return, so a hit
 * costs no allocation: `match` is the canonical value (an IP, a CIDR range, a domain, a pattern).
 * @example lists.entries('ip')[0]?.value; // '10.0.0.0/8'
 */
export interface ListEntry extends ListHit {
  readonly kind: ListKind;
  /** Canonical form of the value (same as `match`). */
  readonly value: string;
  readonly expiresAt?: number;
}

/** Default label of an entry that has none. @example DEFAULT_LIST_LABELS.block; // 'blocklist' */
export const DEFAULT_LIST_LABELS = {
  block: 'blocklist',
  allow: 'allowlist',
  flag: 'reputation',
} as const satisfies Record<ListVerdict, string>;

const EMAIL_RE = /^[^\s@]+@([^\s@]+\.[^\s@]+)$/;
const DOMAIN_RE = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
const NO_SPACE_RE = /^\S+$/;
const MAX_ID = 200;

/** A value normalised for one list kind. `ip` values also carry their parsed range. @example const n = normalizeListValue('wallet', '0xAB'); // n.value.value === '0xab' */
export type NormalizedValue =
  | {
      readonly kind: 'ip';
      readonly value: string;
      readonly version: 4 | 6;
      readonly prefix: number;
      readonly base: bigint;
    }
  | { readonly kind: Exclude<ListKind, 'ip'>; readonly value: string };

/**
 * Normalises a value for a list kind, or explains why it is not acceptable:
 * - `ip`: one address or a CIDR range (host bits are cleared: `10.1.2.3/8` → `10.0.0.0/8`; a full-length
 *   prefix becomes the plain address);
 * - `wallet`, `email`: lower-cased (an e-mail must look like one);
 * - `email_domain`: lower-cased, a leading `@` or `*.` dropped; it also matches subdomains;
 * - `user_agent`: a case-insensitive substring pattern (stored lower-cased);
 * - `user`, `device`: exact, case-sensitive.
 * @example normalizeListValue('ip', '10.1.2.3/8'); // { ok: true, value: { kind: 'ip', value: '10.0.0.0/8', ... } }
 */
export function normalizeListValue(kind: ListKind, raw: string): Validated<NormalizedValue> {
  const fail = (message: string): Validated<NormalizedValue> => ({
    ok: false,
    problems: [{ path: '/value', message }],
  });
  const s = raw.trim();
  if (s === '') return fail('must not be empty');
  switch (kind) {
    case 'ip': {
      const c = parseCidr(s);
      if (!c) return fail(`'${s}' is not an IPv4/IPv6 address or CIDR range`);
      const bits = c.version === 4 ? 32 : 128;
      const value = c.prefix === bits ? formatIp({ version: c.version, value: c.base }) : formatCidr(c);
      return { ok: true, value: { kind, value, version: c.version, prefix: c.prefix, base: c.base } };
    }
    case 'wallet':
      if (s.length > 128 || !NO_SPACE_RE.test(s)) return fail('a wallet is 1-128 characters without spaces');
      return { ok: true, value: { kind, value: s.toLowerCase() } };
    case 'email': {
      const v = s.toLowerCase();
      if (v.length > 254 || !EMAIL_RE.test(v)) return fail(`'${s}' is not an e-mail address`);
      return { ok: true, value: { kind, value: v } };
    }
    case 'email_domain': {
      let v = s.toLowerCase();
      if (v.startsWith('@')) v = v.slice(1);
      else if (v.startsWith('*.')) v = v.slice(2);
      if (v.length > 253 || !DOMAIN_RE.test(v)) return fail(`'${s}' is not a domain name`);
      return { ok: true, value: { kind, value: v } };
    }
    case 'user_agent':
      if (s.length > 500) return fail('a user-agent pattern is at most 500 characters');
      return { ok: true, value: { kind, value: s.toLowerCase() } };
    case 'user':
    case 'device':
      if (s.length > MAX_ID) return fail(`at most ${MAX_ID} characters`);
      return { ok: true, value: { kind, value: s } };
  }
}

/**
 * Validates a typed entry and builds the stored form (frozen; also the lookup hit).
 * @example normalizeListEntry({ kind: 'wallet', value: '0xABC', verdict: 'block', label: 'sanctioned' });
 */
export function normalizeListEntry(
  input: ListEntryInput,
): Validated<{ readonly entry: ListEntry; readonly normalized: NormalizedValue }> {
  const problems: Problem[] = [];
  const n = normalizeListValue(input.kind, input.value);
  if (!n.ok) problems.push(...n.problems);
  if (input.weight !== undefined && !(Number.isFinite(input.weight) && input.weight >= 0))
    problems.push({ path: '/weight', message: 'must be a finite number >= 0' });
  if (input.expiresAt !== undefined && !Number.isInteger(input.expiresAt))
    problems.push({ path: '/expiresAt', message: 'must be epoch milliseconds' });
  const label = input.label?.trim();
  if (label === '') problems.push({ path: '/label', message: 'must not be blank' });
  if (!n.ok || problems.length > 0) return { ok: false, problems };
  const value = n.value.value;
  const entry: { -readonly [K in keyof ListEntry]: ListEntry[K] } = {
    kind: input.kind,
    value,
    match: value,
    verdict: input.verdict,
    label: label ?? DEFAULT_LIST_LABELS[input.verdict],
    weight: input.weight ?? 1,
  };
  if (input.expiresAt !== undefined) entry.expiresAt = input.expiresAt;
  return { ok: true, value: { entry: Object.freeze(entry), normalized: n.value } };
}

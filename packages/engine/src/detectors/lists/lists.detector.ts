import Type from 'typebox';
import type { VigilEvent } from '../../events/event.js';
import type { ListHit, ListKind } from '../../lists/list-lookup.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import type { AlertType, Signal } from '../signal.js';

/** Options of the list detector. @example const o: ListsOptions = { ...LISTS_DEFAULTS, blockScore: 0.9 }; */
export interface ListsOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score of a block-list hit (0..1). */
  readonly blockScore: number;
  /** Emit an info signal (score 0, action 'allow') for allow-list hits. */
  readonly allowSignals: boolean;
  /** Also look the recipient (`counterparty`) up in the wallet lists. */
  readonly counterparty: boolean;
}

/** Defaults: a block hit scores 1 and asks for block; allow hits are reported. @example LISTS_DEFAULTS.blockScore; // 1 */
export const LISTS_DEFAULTS: ListsOptions = Object.freeze({
  enabled: true,
  blockScore: 1,
  allowSignals: true,
  counterparty: true,
});

/** Schema of {@link ListsOptions} (every field optional). @example Compile(ListsOptionsSchema).Check({ blockScore: 0.9 }) */
export const ListsOptionsSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Run the list detector (default true)' })),
    blockScore: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'Score of a block-list hit (default 1)' }),
    ),
    allowSignals: Type.Optional(
      Type.Boolean({ description: 'Report allow-list hits as info signals (default true)' }),
    ),
    counterparty: Type.Optional(
      Type.Boolean({ description: 'Look the counterparty up in the wallet lists (default true)' }),
    ),
  },
  { additionalProperties: false },
);

/** What well-known labels mean, for the reason text. */
const LABEL_WORDS: Readonly<Record<string, string>> = {
  sanctioned: 'a sanctioned address',
  bad_actor: 'a known bad actor',
  tor: 'a Tor exit node',
  disposable: 'a disposable e-mail provider',
  crawler: 'a known crawler or bot',
  bad_ip: 'an address with a bad reputation',
};

interface Checked {
  /** Snake-case field name used in codes and evidence. */
  readonly field: string;
  readonly kind: ListKind;
  readonly noun: string;
  readonly read: (e: VigilEvent) => string | undefined;
  readonly blockedCode: string;
  readonly allowedCode: string;
}

function checked(
  field: string,
  kind: ListKind,
  noun: string,
  read: (e: VigilEvent) => string | undefined,
): Checked {
  return {
    field,
    kind,
    noun,
    read,
    blockedCode: `lists.${field}_blocked`,
    allowedCode: `lists.${field}_allowed`,
  };
}

const FIELDS: readonly Checked[] = [
  checked('user', 'user', 'User', (e) => e.user),
  checked('device', 'device', 'Device', (e) => e.device),
  checked('ip', 'ip', 'IP', (e) => e.ip),
  checked('wallet', 'wallet', 'Wallet', (e) => e.wallet),
  checked('counterparty', 'wallet', 'Counterparty wallet', (e) => e.counterparty),
  checked('email', 'email', 'E-mail', (e) => e.email),
  checked('email_domain', 'email_domain', 'E-mail domain', (e) => e.emailDomain),
  checked('user_agent', 'user_agent', 'User agent', (e) => e.userAgent),
];

function shown(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

function blockReason(c: Checked, value: string, hit: ListHit): string {
  const words = Object.prototype.hasOwnProperty.call(LABEL_WORDS, hit.label)
    ? LABEL_WORDS[hit.label]
    : undefined;
  const what = words === undefined ? `'${hit.label}'` : `'${hit.label}' (${words})`;
  const via = hit.match === value ? '' : `, matched by ${hit.match}`;
  return `${c.noun} ${shown(value)} is on the block list as ${what}${via}.`;
}

function allowReason(c: Checked, value: string, hit: ListHit): string {
  const via = hit.match === value ? '' : `, matched by ${hit.match}`;
  return `${c.noun} ${shown(value)} is on the allow list as '${hit.label}'${via}.`;
}

function alertOf(c: Checked, hit: ListHit): AlertType | undefined {
  return c.kind === 'wallet' && hit.label === 'sanctioned' ? 'SANCTIONED_INTERACTION' : undefined;
}

function signalOf(c: Checked, value: string, hit: ListHit, opts: ListsOptions): Signal {
  const block = hit.verdict === 'block';
  const s: { -readonly [K in keyof Signal]: Signal[K] } = {
    code: block ? c.blockedCode : c.allowedCode,
    score: block ? opts.blockScore : 0,
    severity: block ? 'critical' : 'info',
    category: 'list',
    reason: block ? blockReason(c, value, hit) : allowReason(c, value, hit),
    evidence: {
      field: c.field,
      list: c.kind,
      value,
      match: hit.match,
      verdict: hit.verdict,
      label: hit.label,
      weight: hit.weight,
    },
    action: block ? 'block' : 'allow',
  };
  const alert = block ? alertOf(c, hit) : undefined;
  if (alert !== undefined) s.alert = alert;
  return s;
}

/**
 * Block/allow lists: looks the event's user, device, IP, wallet, counterparty (wallet lists),
 * e-mail, e-mail domain and user agent up in the lists. A block hit is a critical signal with
 * action 'block' (`lists.<field>_blocked`, score 1 by default; a sanctioned wallet also raises
 * SANCTIONED_INTERACTION); an allow hit is an info signal with score 0 and action 'allow'
 * (`lists.<field>_allowed`). The policy decides what wins when both kinds of hit occur.
 * Costs one map lookup per present field when nothing is listed.
 * @example
 * const d = createListDetector({ blockScore: 0.95 });
 * d.detect({ event, features, lists, now }, out); // out.signals gets 'lists.ip_blocked' for a Tor exit
 */
export function createListDetector(opts?: Partial<ListsOptions>): Detector {
  const o: ListsOptions = Object.freeze({ ...LISTS_DEFAULTS, ...opts });
  const fields = FIELDS.filter((c) => o.counterparty || c.field !== 'counterparty');
  return {
    id: 'lists',
    features: [],
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      if (!o.enabled) return;
      const e = ctx.event;
      const lists = ctx.lists;
      for (const c of fields) {
        const value = c.read(e);
        if (value === undefined) continue;
        const hit = lists.lookup(c.kind, value);
        if (hit === undefined || (hit.verdict === 'allow' && !o.allowSignals)) continue;
        out.signals.push(signalOf(c, value, hit, o));
      }
    },
  };
}

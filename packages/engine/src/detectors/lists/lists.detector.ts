import Type from 'typebox';
import type { VigilEvent } from '../../events/event.js';
import type { ListHit, ListKind } from '../../lists/list-lookup.js';
import { assertNever } from '../../util/assert-never.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { severityOf, type AlertType, type Signal } from '../signal.js';

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
  /** Score of a flagged (reputation-only) entry whose label has no score of its own (0..1). */
  readonly flagScore: number;
}

/** Defaults: a block hit scores 1 and asks for block; allow hits are reported. @example LISTS_DEFAULTS.blockScore; // 1 */
export const LISTS_DEFAULTS: ListsOptions = Object.freeze({
  enabled: true,
  blockScore: 1,
  allowSignals: true,
  counterparty: true,
  flagScore: 0.3,
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
    flagScore: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'Score of a flagged entry with an unknown label (default 0.3)',
      }),
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
  readonly flaggedCode: string;
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
    flaggedCode: `lists.${field}_flagged`,
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

function flagReason(c: Checked, value: string, hit: ListHit, score: number): string {
  const words = Object.prototype.hasOwnProperty.call(LABEL_WORDS, hit.label)
    ? LABEL_WORDS[hit.label]
    : undefined;
  const what = words === undefined ? `'${hit.label}'` : `'${hit.label}' (${words})`;
  const reports = hit.label === 'bad_ip' ? ` with ${hit.weight} reports` : '';
  const via = hit.match === value ? '' : `, matched by ${hit.match}`;
  return `${c.noun} ${shown(value)} is flagged as ${what}${reports}${via}; reputation score ${Math.round(score * 100) / 100}.`;
}

/**
 * Reputation score of a flagged entry: Tor exit 0.5, crawler user agent 0.6, disposable e-mail
 * 0.4, `bad_ip` by the number of feeds listing it (weight 1 -> 0.3, +0.1 per feed, 5 or more ->
 * 0.7); any other label scores `fallback`.
 * @example flagScore({ verdict: 'flag', label: 'bad_ip', weight: 3, match: '1.2.3.4' }, 0.3); // 0.5
 */
export function flagScore(hit: ListHit, fallback: number): number {
  switch (hit.label) {
    case 'tor':
      return 0.5;
    case 'crawler':
      return 0.6;
    case 'disposable':
      return 0.4;
    case 'bad_ip': {
      const feeds = Number.isFinite(hit.weight) ? Math.max(1, Math.min(5, Math.floor(hit.weight))) : 1;
      return Math.round((0.3 + 0.1 * (feeds - 1)) * 10) / 10;
    }
    default:
      return fallback;
  }
}

function allowReason(c: Checked, value: string, hit: ListHit): string {
  const via = hit.match === value ? '' : `, matched by ${hit.match}`;
  return `${c.noun} ${shown(value)} is on the allow list as '${hit.label}'${via}.`;
}

function alertOf(c: Checked, hit: ListHit): AlertType | undefined {
  return c.kind === 'wallet' && hit.label === 'sanctioned' ? 'SANCTIONED_INTERACTION' : undefined;
}

function evidenceOf(c: Checked, value: string, hit: ListHit): Signal['evidence'] {
  return {
    field: c.field,
    list: c.kind,
    value,
    match: hit.match,
    verdict: hit.verdict,
    label: hit.label,
    weight: hit.weight,
  };
}

function signalOf(c: Checked, value: string, hit: ListHit, opts: ListsOptions): Signal {
  const verdict = hit.verdict;
  switch (verdict) {
    case 'block': {
      const s: { -readonly [K in keyof Signal]: Signal[K] } = {
        code: c.blockedCode,
        score: opts.blockScore,
        severity: 'critical',
        category: 'list',
        reason: blockReason(c, value, hit),
        evidence: evidenceOf(c, value, hit),
        action: 'block',
      };
      const alert = alertOf(c, hit);
      if (alert !== undefined) s.alert = alert;
      return s;
    }
    case 'allow':
      return {
        code: c.allowedCode,
        score: 0,
        severity: 'info',
        category: 'list',
        reason: allowReason(c, value, hit),
        evidence: evidenceOf(c, value, hit),
        action: 'allow',
      };
    case 'flag': {
      const score = flagScore(hit, opts.flagScore);
      return {
        code: c.flaggedCode,
        score,
        severity: severityOf(score),
        category: 'reputation',
        reason: flagReason(c, value, hit, score),
        evidence: evidenceOf(c, value, hit),
      };
    }
    default:
      return assertNever(verdict);
  }
}

/** How the catalogue wires the list detector to the other detectors. @example const w: ListDetectorWiring = { ipFlagLabelsGradedElsewhere: ['tor'] }; */
export interface ListDetectorWiring {
  /**
   * Labels of flagged IP entries another detector already grades (`shield.ip_reputation`): the
   * list detector leaves those hits to it, so one IP makes one reputation finding.
   */
  readonly ipFlagLabelsGradedElsewhere?: readonly string[];
}

/**
 * Block/allow lists: looks the event's user, device, IP, wallet, counterparty (wallet lists),
 * e-mail, e-mail domain and user agent up in the lists. A block hit is a critical signal with
 * action 'block' (`lists.<field>_blocked`, score 1 by default; a sanctioned wallet also raises
 * SANCTIONED_INTERACTION); an allow hit is an info signal with score 0 and action 'allow'
 * (`lists.<field>_allowed`). A flag hit (reputation feeds) forces nothing: it is a graded
 * `reputation` signal (`lists.<field>_flagged`, see {@link flagScore}). IP flag hits whose label
 * `wiring.ipFlagLabelsGradedElsewhere` names are left to `shield.ip_reputation`. The policy
 * decides what wins when a block and an allow hit occur together; allow wins over any flag.
 * Costs one map lookup per present field when nothing is listed.
 * @example
 * const d = createListDetector({ blockScore: 0.95 });
 * d.detect({ event, features, lists, now }, out); // out.signals gets 'lists.ip_blocked' for a Tor exit
 */
export function createListDetector(opts?: Partial<ListsOptions>, wiring: ListDetectorWiring = {}): Detector {
  const o: ListsOptions = Object.freeze({ ...LISTS_DEFAULTS, ...opts });
  const ipGraded = new Set((wiring.ipFlagLabelsGradedElsewhere ?? []).map((l) => l.toLowerCase()));
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
        if (hit.verdict === 'flag' && c.kind === 'ip' && ipGraded.has(hit.label.toLowerCase())) continue;
        out.signals.push(signalOf(c, value, hit, o));
      }
    },
  };
}

import type { EventType } from '../events/event-types.js';
import type { Geo, VigilEvent } from '../events/event.js';
import { assertNever } from '../util/assert-never.js';
import type { EntityKind } from './entities.js';

/** Durations in milliseconds. */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * Numeric event fields a feature can aggregate. `won` is a game result's `attrs.won` as 1/0, so
 * `stats(field: 'won')` keeps a win rate (mean) and a game count (n). Stores read values only
 * through {@link numericFieldValue}. `payout` is a game result's `attrs.payout` (a finite number), so
 * `sum(field: 'payout')` keeps the payouts of a user over a window.
 */
export const NUMERIC_FIELDS = ['amount', 'won', 'payout'] as const;
export type NumericField = (typeof NUMERIC_FIELDS)[number];

/**
 * The value of a numeric field in an event, or undefined when the event lacks it (the feature
 * then ignores the event).
 * @example numericFieldValue({ ...e, attrs: { won: true } }, 'won'); // 1
 */
export function numericFieldValue(e: VigilEvent, field: NumericField): number | undefined {
  switch (field) {
    case 'amount':
      return e.amount;
    case 'won': {
      const w = e.attrs?.['won'];
      return w === true ? 1 : w === false ? 0 : undefined;
    }
    case 'payout': {
      const p = e.attrs?.['payout'];
      return typeof p === 'number' && Number.isFinite(p) ? p : undefined;
    }
    default:
      return assertNever(field);
  }
}

/**
 * Event fields whose last value a feature can remember. `country` is `geo.country`; `canvas` and
 * `webgl` are the fingerprint hashes the tracker sends as string `attrs.canvas` / `attrs.webgl`
 * (absent, or not a string, means the event does not update them). `jackpot` is the payout
 * multiple (`attrs.payout / amount`) of a win above {@link JACKPOT_MULTIPLE} times the bet, so
 * `last(field: 'jackpot')` remembers a player's latest jackpot and when it happened.
 */
export const LAST_FIELDS = [
  'ip',
  'device',
  'geo',
  'country',
  'userAgent',
  'amount',
  'type',
  'wallet',
  'email',
  'counterparty',
  'canvas',
  'webgl',
  'jackpot',
] as const;
export type LastField = (typeof LAST_FIELDS)[number];
export type LastValue = string | number | Geo;

/** A win above this multiple of the bet is a jackpot for `last(field: 'jackpot')` (spec: win amount > 100x bet). @example JACKPOT_MULTIPLE; // 100 */
export const JACKPOT_MULTIPLE = 100;

/**
 * The value of a last-value field in an event, or undefined when the event lacks it (the feature
 * then keeps its previous value). Stores should read values only through this function so new
 * fields work everywhere at once.
 * @example lastFieldValue({ ...e, attrs: { canvas: 'a1b2' } }, 'canvas'); // 'a1b2'
 */
export function lastFieldValue(e: VigilEvent, field: LastField): LastValue | undefined {
  switch (field) {
    case 'ip':
      return e.ip;
    case 'device':
      return e.device;
    case 'geo':
      return e.geo;
    case 'country':
      return e.geo?.country;
    case 'userAgent':
      return e.userAgent;
    case 'amount':
      return e.amount;
    case 'type':
      return e.type;
    case 'wallet':
      return e.wallet;
    case 'email':
      return e.email;
    case 'counterparty':
      return e.counterparty;
    case 'canvas':
    case 'webgl': {
      const v = e.attrs?.[field];
      return typeof v === 'string' && v !== '' ? v : undefined;
    }
    case 'jackpot': {
      const bet = e.amount;
      const p = e.attrs?.['payout'];
      if (bet === undefined || !(bet > 0) || typeof p !== 'number' || !Number.isFinite(p)) return undefined;
      const multiple = p / bet;
      return multiple > JACKPOT_MULTIPLE ? multiple : undefined;
    }
    default:
      return assertNever(field);
  }
}

interface SpecBase {
  /** Canonical identity of the spec; equal keys mean shared state. Set by the factories. */
  readonly key: string;
  /** The entity whose state this feature keeps. */
  readonly entity: EntityKind;
  /** Only events of these types update the feature (all types when absent). */
  readonly types?: readonly EventType[];
  /**
   * Read the state of the entity found in this other field (same namespace) instead, without
   * updating it. E.g. the round-trip check reads `last(pair)` as `reverse_pair`.
   */
  readonly readAs?: EntityKind;
}

/** Events in a sliding window, including the current one. Value: number. */
export interface CountSpec extends SpecBase {
  readonly kind: 'count';
  readonly window: number;
}
/** Sum of a numeric field over a sliding window, including the current event. Value: number. */
export interface SumSpec extends SpecBase {
  readonly kind: 'sum';
  readonly field: NumericField;
  readonly window: number;
}
/** Running mean/std of a numeric field (exponentially decayed when halfLife is set), before the current event. */
export interface StatsSpec extends SpecBase {
  readonly kind: 'stats';
  readonly field: NumericField;
  readonly halfLife?: number;
}
/** Distinct values of another entity seen with this one in a window, including the current event. Value: number. */
export interface DistinctSpec extends SpecBase {
  readonly kind: 'distinct';
  readonly of: EntityKind;
  readonly window: number;
}
/** Previous value of a field and when it was seen (before the current event). */
export interface LastSpec extends SpecBase {
  readonly kind: 'last';
  readonly field: LastField;
}
/** When the entity was first seen (before the current event; undefined for a new entity). */
export interface FirstSpec extends SpecBase {
  readonly kind: 'first';
}
/** Counts per hour of day (24, UTC) or day of week (7, Sunday first), before the current event. */
export interface HistSpec extends SpecBase {
  readonly kind: 'hist';
  readonly of: 'hour' | 'dow';
}
/** The most recent distinct values of another entity linked to this one (newest first, at most max), before the current event. */
export interface NeighborsSpec extends SpecBase {
  readonly kind: 'neighbors';
  readonly of: EntityKind;
  readonly max: number;
}
/**
 * Users linked by sharing any value of the `via` entities (union-find over the whole history).
 * `entity` is always 'user'. Value: size of the current user's cluster after linking this event.
 */
export interface ClusterSpec extends SpecBase {
  readonly kind: 'cluster';
  readonly via: readonly EntityKind[];
}

export type FeatureSpec =
  | CountSpec
  | SumSpec
  | StatsSpec
  | DistinctSpec
  | LastSpec
  | FirstSpec
  | HistSpec
  | NeighborsSpec
  | ClusterSpec;
export type FeatureKind = FeatureSpec['kind'];

/** Running statistics of a numeric field. */
export interface RunningStats {
  readonly n: number;
  readonly mean: number;
  readonly std: number;
}
/** A remembered value with the time it was seen. */
export interface Seen<T> {
  readonly value: T;
  readonly at: number;
}
/** Cluster membership of the current user. */
export interface ClusterValue {
  readonly size: number;
}

/** The value type of each kind of spec. */
export type FeatureValueOf<S extends FeatureSpec> = S extends CountSpec | SumSpec | DistinctSpec
  ? number
  : S extends StatsSpec
    ? RunningStats
    : S extends LastSpec
      ? Seen<LastValue> | undefined
      : S extends FirstSpec
        ? number | undefined
        : S extends HistSpec
          ? readonly number[]
          : S extends NeighborsSpec
            ? readonly string[]
            : S extends ClusterSpec
              ? ClusterValue
              : never;

type Opts<S extends FeatureSpec> = Omit<S, 'key' | 'kind'>;

function typesKey(t: readonly EventType[] | undefined): string {
  return t === undefined || t.length === 0 ? '*' : [...t].sort().join(',');
}

function base(
  kind: FeatureKind,
  o: { entity: EntityKind; types?: readonly EventType[] | undefined },
  extra: string,
): string {
  return `${kind}|${o.entity}|${typesKey(o.types)}|${extra}`;
}

function finish<S extends FeatureSpec>(spec: Omit<S, 'key'>, key: string): S {
  const readAs = spec.readAs;
  return Object.freeze({ ...spec, key: readAs === undefined ? key : `${key}@${readAs}` }) as S;
}

/** The storage key of a spec: `readAs` reads share state with the spec they read. */
export function stateKey(spec: FeatureSpec): string {
  const at = spec.key.lastIndexOf('@');
  return spec.readAs === undefined || at < 0 ? spec.key : spec.key.slice(0, at);
}

/** @example count({ entity: 'ip', window: HOUR, types: ['signup'] }) // signups from this IP in the last hour */
export const count = (o: Opts<CountSpec>): CountSpec =>
  finish<CountSpec>({ kind: 'count', ...o }, base('count', o, `${o.window}`));
/** @example sum({ entity: 'user', field: 'amount', window: DAY }) */
export const sum = (o: Opts<SumSpec>): SumSpec =>
  finish<SumSpec>({ kind: 'sum', ...o }, base('sum', o, `${o.field}|${o.window}`));
/** @example stats({ entity: 'wallet', field: 'amount', types: ['transfer'] }) */
export const stats = (o: Opts<StatsSpec>): StatsSpec =>
  finish<StatsSpec>({ kind: 'stats', ...o }, base('stats', o, `${o.field}|${o.halfLife ?? 0}`));
/** @example distinct({ entity: 'device', of: 'user', window: DAY }) // accounts seen on this device today */
export const distinct = (o: Opts<DistinctSpec>): DistinctSpec =>
  finish<DistinctSpec>({ kind: 'distinct', ...o }, base('distinct', o, `${o.of}|${o.window}`));
/** @example last({ entity: 'user', field: 'geo', types: ['login'] }) // where the previous login came from */
export const last = (o: Opts<LastSpec>): LastSpec =>
  finish<LastSpec>({ kind: 'last', ...o }, base('last', o, o.field));
/** @example first({ entity: 'user' }) // account age */
export const first = (o: Opts<FirstSpec>): FirstSpec =>
  finish<FirstSpec>({ kind: 'first', ...o }, base('first', o, ''));
/** @example hist({ entity: 'wallet', of: 'hour', types: ['transfer'] }) */
export const hist = (o: Opts<HistSpec>): HistSpec =>
  finish<HistSpec>({ kind: 'hist', ...o }, base('hist', o, o.of));
/** @example neighbors({ entity: 'wallet', of: 'counterparty', max: 16 }) */
export const neighbors = (o: Opts<NeighborsSpec>): NeighborsSpec =>
  finish<NeighborsSpec>({ kind: 'neighbors', ...o }, base('neighbors', o, `${o.of}|${o.max}`));
/** @example cluster({ entity: 'user', via: ['device', 'ip'] }) */
export const cluster = (o: Opts<ClusterSpec>): ClusterSpec =>
  finish<ClusterSpec>({ kind: 'cluster', ...o }, base('cluster', o, [...o.via].sort().join(',')));

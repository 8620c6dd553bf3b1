import type { DetectorContext } from '../detectors/detector.js';
import { MONEY_EVENT_TYPES } from '../events/event-types.js';
import type { AttrValue } from '../events/event.js';
import { entityId } from '../features/entities.js';
import { DAY, HOUR, count, first, last, type FeatureSpec } from '../features/feature-spec.js';
import { haversineKm } from '../util/geo.js';
import type { FeatureCall } from './feature-call.js';

/** CEL types of rule variables. Counts are CEL `int`; amounts, distances and ages are `double`. @example RULE_VARIABLE_TYPES.includes('int'); // true */
export const RULE_VARIABLE_TYPES = ['string', 'int', 'double', 'map<string, dyn>'] as const;
export type RuleVariableType = (typeof RULE_VARIABLE_TYPES)[number];

/** A variable rules can use, for documentation and editor completion. @example RULE_VARIABLES.find((v) => v.name === 'amount')?.type; // 'double' */
export interface RuleVariableInfo {
  readonly name: string;
  readonly type: RuleVariableType;
  readonly description: string;
  /** Whether the variable can be missing on an event (a rule needing it is then false). */
  readonly optional: boolean;
}

/**
 * A value source of the rule context: one CEL variable (or several aliases of one feature call),
 * the specs it reads, and how to read it for an event (`undefined` when missing).
 * @example RULE_SLOTS[0]?.read(ctx); // 'payment'
 */
export interface RuleSlot {
  readonly info: RuleVariableInfo;
  /** How the value is named in evidence and reasons: the variable name or the call as written. */
  readonly label: string;
  readonly specs: readonly FeatureSpec[];
  readonly read: (ctx: DetectorContext) => unknown;
}

const SMALL_INTS: readonly bigint[] = Array.from({ length: 4096 }, (_, i) => BigInt(i));

/**
 * A JS number as a CEL int (BigInt), without allocating for the small counts that dominate.
 * @example toCelInt(3); // 3n
 */
export function toCelInt(n: number): bigint | undefined {
  if (!Number.isFinite(n)) return undefined;
  const t = Math.trunc(n);
  return t >= 0 && t < SMALL_INTS.length ? SMALL_INTS[t] : BigInt(t);
}

const finite = (n: number | undefined): number | undefined =>
  n !== undefined && Number.isFinite(n) ? n : undefined;

const EMPTY_ATTRS: Readonly<Record<string, AttrValue>> = Object.freeze({});

/** Previous geo of the user (the "home" stand-in) and the user's first-seen time. */
const LAST_GEO = last({ entity: 'user', field: 'geo' });
const FIRST_SEEN = first({ entity: 'user' });
/** When the event's device was first seen (by any account). */
const DEVICE_FIRST_SEEN = first({ entity: 'device' });
/** Elapsed time floor of `travel_speed_kmh`, so two events in the same second give a finite speed. */
const MIN_TRAVEL_MS = 60_000;
const MONEY_PER_HOUR = count({ entity: 'user', types: [...MONEY_EVENT_TYPES], window: HOUR });

function attrNumber(attrs: Readonly<Record<string, AttrValue>> | undefined, key: string): number | undefined {
  if (attrs === undefined || !Object.prototype.hasOwnProperty.call(attrs, key)) return undefined;
  const v = attrs[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Great-circle distance from the user's home: `attrs.home_lat` / `attrs.home_lon` when the event
 * carries them, otherwise the user's last known location (the previous event with a geo).
 * Missing when the event has no geo or there is no home to compare with (first event).
 */
function distanceFromHome(ctx: DetectorContext): number | undefined {
  const e = ctx.event;
  const here = e.geo;
  if (here === undefined) return undefined;
  const lat = attrNumber(e.attrs, 'home_lat');
  const lon = attrNumber(e.attrs, 'home_lon');
  if (lat !== undefined && lon !== undefined && Math.abs(lat) <= 90 && Math.abs(lon) <= 180)
    return haversineKm({ lat, lon }, here);
  if (e.user === undefined) return undefined;
  const prev = ctx.features.get(LAST_GEO)?.value;
  if (prev === undefined || typeof prev !== 'object') return undefined;
  return haversineKm(prev, here);
}

/**
 * Speed in km/h from the user's previous location (the previous event with a geo) to this event's,
 * the elapsed time floored at one minute. Missing without a geo or a previous location.
 */
function travelSpeed(ctx: DetectorContext): number | undefined {
  const here = ctx.event.geo;
  if (here === undefined || ctx.event.user === undefined) return undefined;
  const prev = ctx.features.get(LAST_GEO);
  if (prev === undefined || typeof prev.value !== 'object') return undefined;
  const km = haversineKm(prev.value, here);
  const ms = Math.max(Math.abs(ctx.event.at - prev.at), MIN_TRAVEL_MS);
  return finite(km / (ms / HOUR));
}

function slot(
  name: string,
  type: RuleVariableType,
  description: string,
  read: (ctx: DetectorContext) => unknown,
  specs: readonly FeatureSpec[] = [],
  optional = true,
): RuleSlot {
  return { info: { name, type, description, optional }, label: name, specs, read };
}

function utcHour(at: number): number {
  return (((Math.floor(at / HOUR) % 24) + 24) % 24) | 0;
}

/**
 * Every named variable of the rule language: event fields and named features. Feature calls
 * (`count(...)`, `sum(...)`, `distinct(...)`) come on top, see `parseFeatureCall`.
 * @example RULE_SLOTS.map((s) => s.info.name); // ['type', 'amount', ...]
 */
export const RULE_SLOTS: readonly RuleSlot[] = [
  slot('type', 'string', 'Event type (login, payment, custom:<name>, ...)', (c) => c.event.type, [], false),
  slot('amount', 'double', 'Event amount', (c) => finite(c.event.amount)),
  slot('currency', 'string', 'ISO currency code, upper-case', (c) => c.event.currency),
  slot('user', 'string', 'User id', (c) => c.event.user),
  slot('tier', 'string', 'User tier: guest, bronze, silver, gold, vip, platinum', (c) => c.event.tier),
  slot('ip', 'string', 'Client IP (canonical form)', (c) => c.event.ip),
  slot('device', 'string', 'Device fingerprint', (c) => c.event.device),
  slot('country', 'string', 'ISO country code of the event geo (upper-case)', (c) => c.event.geo?.country),
  slot('email_domain', 'string', 'Domain of the e-mail address, lower-case', (c) => c.event.emailDomain),
  slot('merchant', 'string', 'Merchant id', (c) => c.event.merchant),
  slot('wallet', 'string', 'Sender wallet, lower-case', (c) => c.event.wallet),
  slot('counterparty', 'string', 'Recipient wallet or account, lower-case', (c) => c.event.counterparty),
  slot('hour', 'int', 'UTC hour of the event time, 0-23', (c) => SMALL_INTS[utcHour(c.event.at)], [], false),
  slot(
    'attrs',
    'map<string, dyn>',
    "The event's free attributes",
    (c) => c.event.attrs ?? EMPTY_ATTRS,
    [],
    false,
  ),
  slot(
    'transactions_per_hour',
    'int',
    "Money events (payment, transfer, withdrawal) of the event's user in the last hour, this one included",
    (c) => (c.event.user === undefined ? undefined : toCelInt(c.features.get(MONEY_PER_HOUR))),
    [MONEY_PER_HOUR],
  ),
  slot(
    'distance_from_home_km',
    'double',
    "Great-circle km from home: attrs.home_lat/home_lon when present, else the user's last known location",
    distanceFromHome,
    [LAST_GEO],
  ),
  slot(
    'travel_speed_kmh',
    'double',
    "km/h from the user's last known location to this event's (elapsed time at least one minute)",
    travelSpeed,
    [LAST_GEO],
  ),
  slot(
    'device_age_hours',
    'double',
    "Hours since the event's device was first seen by any account (0 for a device seen for the first time)",
    (c) => {
      if (c.event.device === undefined) return undefined;
      const firstAt = c.features.get(DEVICE_FIRST_SEEN);
      return firstAt === undefined ? 0 : Math.max(0, (c.event.at - firstAt) / HOUR);
    },
    [DEVICE_FIRST_SEEN],
  ),
  slot(
    'account_age_days',
    'double',
    'Days since the user was first seen (0 for a new user)',
    (c) => {
      if (c.event.user === undefined) return undefined;
      const firstAt = c.features.get(FIRST_SEEN);
      return firstAt === undefined ? 0 : Math.max(0, (c.event.at - firstAt) / DAY);
    },
    [FIRST_SEEN],
  ),
];

/** Documentation of every named rule variable. @example RULE_VARIABLES.map((v) => v.name); */
export const RULE_VARIABLES: readonly RuleVariableInfo[] = RULE_SLOTS.map((s) => s.info);

/**
 * The slot of a feature call: missing when the event lacks the entity the feature is kept for.
 * @example featureCallSlot(parsed, '_f0______').read(ctx); // 3n
 */
export function featureCallSlot(call: FeatureCall, name: string): RuleSlot {
  const spec = call.spec;
  const isSum = spec.kind === 'sum';
  return {
    info: {
      name,
      type: isSum ? 'double' : 'int',
      description: call.label,
      optional: true,
    },
    label: call.label,
    specs: [spec],
    read: (c) => {
      if (entityId(c.event, spec.entity) === undefined) return undefined;
      const v = c.features.get(spec);
      return isSum ? finite(v) : toCelInt(v);
    },
  };
}

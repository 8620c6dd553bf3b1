/**
 * The features a deployed model can read from live traffic, by column name. A model trained on a
 * table whose columns are these names scores live events with exactly the same values: the
 * event-log trainer computes them through the same feature specs and the same extractors.
 *
 * Names: the windowed ones in {@link LIVE_FEATURE_NAMES}, the event fields `type`, `currency`,
 * `country` (categorical), and `attrs.<key>` (the event's own attribute, number/boolean/string).
 */
import type { DetectorContext } from '../../detectors/detector.js';
import type { VigilEvent } from '../../events/event.js';
import type { Cell } from '../../data/data-table.js';
import {
  count,
  DAY,
  distinct,
  first,
  HOUR,
  stats,
  sum,
  type FeatureSpec,
} from '../../features/feature-spec.js';
import type { FeatureSnapshot } from '../../features/feature-store.js';

const userCount1h = count({ entity: 'user', window: HOUR });
const userCount1d = count({ entity: 'user', window: DAY });
const userCount7d = count({ entity: 'user', window: 7 * DAY });
const userSum1d = sum({ entity: 'user', field: 'amount', window: DAY });
const userSum7d = sum({ entity: 'user', field: 'amount', window: 7 * DAY });
const userStats = stats({ entity: 'user', field: 'amount' });
const userFirst = first({ entity: 'user' });
const userIps1d = distinct({ entity: 'user', of: 'ip', window: DAY });
const userDevices1d = distinct({ entity: 'user', of: 'device', window: DAY });
const deviceCount1d = count({ entity: 'device', window: DAY });
const deviceUsers1d = distinct({ entity: 'device', of: 'user', window: DAY });
const ipCount1h = count({ entity: 'ip', window: HOUR });
const ipCount1d = count({ entity: 'ip', window: DAY });
const ipUsers1d = distinct({ entity: 'ip', of: 'user', window: DAY });
const merchantCount1d = count({ entity: 'merchant', window: DAY });
const merchantSum1d = sum({ entity: 'merchant', field: 'amount', window: DAY });

type Extract = (e: VigilEvent, f: FeatureSnapshot) => Cell;

const num = (v: number | undefined): Cell => (v === undefined || !Number.isFinite(v) ? null : v);

/** Windowed and per-event live features: name → (specs read, extractor). */
const WINDOWED: Readonly<Record<string, { readonly specs: readonly FeatureSpec[]; readonly get: Extract }>> =
  {
    amount: { specs: [], get: (e) => num(e.amount) },
    hour: { specs: [], get: (e) => new Date(e.at).getUTCHours() },
    dow: { specs: [], get: (e) => new Date(e.at).getUTCDay() },
    account_age_days: {
      specs: [userFirst],
      get: (e, f) => {
        if (e.user === undefined) return null;
        const t = f.get(userFirst);
        return t === undefined ? 0 : Math.max(0, (e.at - t) / DAY);
      },
    },
    user_count_1h: {
      specs: [userCount1h],
      get: (e, f) => (e.user === undefined ? null : f.get(userCount1h)),
    },
    user_count_1d: {
      specs: [userCount1d],
      get: (e, f) => (e.user === undefined ? null : f.get(userCount1d)),
    },
    user_count_7d: {
      specs: [userCount7d],
      get: (e, f) => (e.user === undefined ? null : f.get(userCount7d)),
    },
    user_amount_sum_1d: {
      specs: [userSum1d],
      get: (e, f) => (e.user === undefined ? null : f.get(userSum1d)),
    },
    user_amount_sum_7d: {
      specs: [userSum7d],
      get: (e, f) => (e.user === undefined ? null : f.get(userSum7d)),
    },
    user_amount_mean: {
      specs: [userStats],
      get: (e, f) => {
        if (e.user === undefined) return null;
        const s = f.get(userStats);
        return s.n === 0 ? null : s.mean;
      },
    },
    amount_z: {
      specs: [userStats],
      get: (e, f) => {
        if (e.user === undefined || e.amount === undefined) return null;
        const s = f.get(userStats);
        if (s.n < 2) return 0;
        return s.std > 0 ? (e.amount - s.mean) / s.std : 0;
      },
    },
    user_distinct_ips_1d: {
      specs: [userIps1d],
      get: (e, f) => (e.user === undefined ? null : f.get(userIps1d)),
    },
    user_distinct_devices_1d: {
      specs: [userDevices1d],
      get: (e, f) => (e.user === undefined ? null : f.get(userDevices1d)),
    },
    device_count_1d: {
      specs: [deviceCount1d],
      get: (e, f) => (e.device === undefined ? null : f.get(deviceCount1d)),
    },
    device_distinct_users_1d: {
      specs: [deviceUsers1d],
      get: (e, f) => (e.device === undefined ? null : f.get(deviceUsers1d)),
    },
    ip_count_1h: { specs: [ipCount1h], get: (e, f) => (e.ip === undefined ? null : f.get(ipCount1h)) },
    ip_count_1d: { specs: [ipCount1d], get: (e, f) => (e.ip === undefined ? null : f.get(ipCount1d)) },
    ip_distinct_users_1d: {
      specs: [ipUsers1d],
      get: (e, f) => (e.ip === undefined ? null : f.get(ipUsers1d)),
    },
    merchant_count_1d: {
      specs: [merchantCount1d],
      get: (e, f) => (e.merchant === undefined ? null : f.get(merchantCount1d)),
    },
    merchant_amount_sum_1d: {
      specs: [merchantSum1d],
      get: (e, f) => (e.merchant === undefined ? null : f.get(merchantSum1d)),
    },
    type: { specs: [], get: (e) => e.type },
    currency: { specs: [], get: (e) => e.currency ?? null },
    country: { specs: [], get: (e) => e.geo?.country ?? null },
  };

/**
 * Every named live feature (besides `attrs.<key>`).
 * @example LIVE_FEATURE_NAMES.includes('user_count_1h'); // true
 */
export const LIVE_FEATURE_NAMES: readonly string[] = Object.freeze(Object.keys(WINDOWED));

/** The prefix of a column read from the event's own attributes. */
export const ATTR_PREFIX = 'attrs.';

/**
 * Whether a column name can be computed from live events.
 * @example isLiveFeature('attrs.score'); // true
 */
export function isLiveFeature(name: string): boolean {
  return Object.hasOwn(WINDOWED, name) || (name.startsWith(ATTR_PREFIX) && name.length > ATTR_PREFIX.length);
}

/** A compiled set of live columns: the specs to add to the engine's plan and a record filler. */
export interface LiveFeatureSet {
  readonly columns: readonly string[];
  readonly specs: readonly FeatureSpec[];
  /** Writes every column's value for the event into `record` (reused across events). */
  fill(event: VigilEvent, features: FeatureSnapshot, record: Record<string, Cell>): void;
}

/**
 * Compiles live columns; throws naming every column that cannot be computed from live events.
 * @example
 * const set = compileLiveFeatures(['amount', 'user_count_1h']);
 * set.fill(ctx.event, ctx.features, record);
 */
export function compileLiveFeatures(columns: readonly string[]): LiveFeatureSet {
  const unknown = columns.filter((c) => !isLiveFeature(c));
  if (unknown.length > 0) {
    throw new Error(
      `column(s) ${unknown.join(', ')} cannot be computed from live events; live features are ${LIVE_FEATURE_NAMES.join(', ')} and attrs.<key>`,
    );
  }
  const specs = new Map<string, FeatureSpec>();
  const getters: Extract[] = [];
  for (const c of columns) {
    const w = WINDOWED[c];
    if (w !== undefined) {
      for (const s of w.specs) specs.set(s.key, s);
      getters.push(w.get);
    } else {
      const key = c.slice(ATTR_PREFIX.length);
      getters.push((e) => {
        const v = e.attrs?.[key];
        return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
      });
    }
  }
  const cols = [...columns];
  return {
    columns: cols,
    specs: [...specs.values()],
    fill(event, features, record) {
      for (let i = 0; i < cols.length; i++) record[cols[i]!] = getters[i]!(event, features);
    },
  };
}

/**
 * The live feature values of one event as a record (training from the event log).
 * @example const row = liveFeatureRecord(set, ctx);
 */
export function liveFeatureRecord(
  set: LiveFeatureSet,
  ctx: Pick<DetectorContext, 'event' | 'features'>,
): Record<string, Cell> {
  const r: Record<string, Cell> = {};
  set.fill(ctx.event, ctx.features, r);
  return r;
}

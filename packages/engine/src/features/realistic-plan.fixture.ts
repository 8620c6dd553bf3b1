import type { VigilEvent } from '../events/event.js';
import { MONEY_EVENT_TYPES } from '../events/event-types.js';
import {
  DAY,
  HOUR,
  MINUTE,
  cluster,
  count,
  distinct,
  first,
  hist,
  last,
  neighbors,
  stats,
  sum,
  type FeatureSpec,
} from './feature-spec.js';

/**
 * A realistic plan of 42 specs over users, devices, IPs, e-mail domains, wallets and pairs (the
 * kind of plan the built-in detectors compile), for the store's memory test and timing script.
 * @example const plan = compilePlan(realisticSpecs());
 */
export function realisticSpecs(): FeatureSpec[] {
  const money = MONEY_EVENT_TYPES;
  return [
    count({ entity: 'user', window: MINUTE }),
    count({ entity: 'user', window: 10 * MINUTE, types: ['login'] }),
    count({ entity: 'user', window: HOUR, types: ['login'] }),
    count({ entity: 'user', window: DAY, types: money }),
    sum({ entity: 'user', field: 'amount', window: DAY, types: money }),
    stats({ entity: 'user', field: 'amount', types: money }),
    stats({ entity: 'user', field: 'amount', halfLife: 7 * DAY, types: money }),
    last({ entity: 'user', field: 'ip' }),
    last({ entity: 'user', field: 'geo', types: ['login'] }),
    last({ entity: 'user', field: 'device' }),
    first({ entity: 'user' }),
    hist({ entity: 'user', of: 'hour' }),
    distinct({ entity: 'user', of: 'ip', window: DAY }),
    distinct({ entity: 'user', of: 'device', window: 7 * DAY }),
    neighbors({ entity: 'user', of: 'device', max: 5 }),
    cluster({ entity: 'user', via: ['device', 'ip'] }),
    distinct({ entity: 'device', of: 'user', window: DAY }),
    distinct({ entity: 'device', of: 'user', window: HOUR }),
    count({ entity: 'device', window: HOUR }),
    count({ entity: 'device', window: MINUTE, types: ['signup'] }),
    first({ entity: 'device' }),
    last({ entity: 'device', field: 'ip' }),
    last({ entity: 'device', field: 'userAgent' }),
    neighbors({ entity: 'device', of: 'user', max: 8 }),
    count({ entity: 'ip', window: MINUTE }),
    count({ entity: 'ip', window: HOUR, types: ['signup'] }),
    count({ entity: 'ip', window: DAY, types: ['login'] }),
    distinct({ entity: 'ip', of: 'user', window: HOUR }),
    distinct({ entity: 'ip', of: 'device', window: DAY }),
    first({ entity: 'ip' }),
    sum({ entity: 'ip', field: 'amount', window: HOUR, types: money }),
    count({ entity: 'email_domain', window: DAY, types: ['signup'] }),
    count({ entity: 'wallet', window: HOUR, types: ['transfer'] }),
    sum({ entity: 'wallet', field: 'amount', window: DAY, types: ['transfer'] }),
    stats({ entity: 'wallet', field: 'amount', types: ['transfer'] }),
    hist({ entity: 'wallet', of: 'hour', types: ['transfer'] }),
    neighbors({ entity: 'wallet', of: 'counterparty', max: 16 }),
    distinct({ entity: 'wallet', of: 'counterparty', window: DAY }),
    first({ entity: 'wallet' }),
    count({ entity: 'counterparty', window: HOUR, types: ['transfer'] }),
    last({ entity: 'pair', field: 'amount' }),
    last({ entity: 'pair', field: 'amount', readAs: 'reverse_pair' }),
  ];
}

/**
 * A deterministic stream of realistic events (logins, signups, payments, transfers) over
 * `users` users, each with one or two devices and home IPs, starting at `start` with `gapMs`
 * between events. Uses its own seeded generator (no Math.random).
 * @example const events = realisticEvents({ users: 1000, count: 10_000 });
 */
export function realisticEvents(o: {
  users: number;
  count: number;
  seed?: number;
  start?: number;
  gapMs?: number;
}): VigilEvent[] {
  let s = (o.seed ?? 1) >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pick = (n: number): number => Math.floor(rnd() * n);
  const out: VigilEvent[] = [];
  let at = o.start ?? Date.UTC(2026, 0, 5);
  const gap = o.gapMs ?? 50;
  for (let i = 0; i < o.count; i++) {
    const u = pick(o.users);
    const r = rnd();
    const type = r < 0.05 ? 'signup' : r < 0.6 ? 'login' : r < 0.8 ? 'payment' : 'transfer';
    const user = `user-${u}`;
    const device = `dev-${u}-${pick(2)}`;
    const ip = `10.${(u >> 8) & 255}.${u & 255}.${1 + pick(2)}`;
    at += gap;
    const base = { id: `e${i}`, app: 'shop', type, at, user, device, ip } as const;
    if (type === 'signup')
      out.push({ ...base, email: `${user}@mail${u % 50}.example`, emailDomain: `mail${u % 50}.example` });
    else if (type === 'login')
      out.push({
        ...base,
        geo: { lat: (u % 90) - 45, lon: (u % 180) - 90, country: 'FR' },
        userAgent: 'Mozilla/5.0',
      });
    else if (type === 'payment') out.push({ ...base, amount: 5 + pick(200), merchant: `m${pick(100)}` });
    else
      out.push({
        ...base,
        amount: 10 + pick(1000),
        wallet: `0xw${u}`,
        counterparty: `0xw${pick(o.users)}`,
      });
  }
  return out;
}

import type { Tier } from '../events/event-types.js';
import type { Geo } from '../events/event.js';
import { DAY, HOUR, MINUTE, SECOND } from '../features/feature-spec.js';
import { assertNever } from '../util/assert-never.js';
import { haversineKm } from '../util/geo.js';
import {
  NORMAL_LABEL,
  runScenario,
  type EventFields,
  type SimWorld,
  type VictimView,
} from './attack-scenarios.js';
import { createSimRandom, cumulate, type SimRandom } from './sim-random.js';
import {
  SCENARIO_NAMES,
  type ScenarioName,
  type SimEvent,
  type SimulatedEvent,
  type SimulatedLabel,
} from './simulated-event.js';
import {
  BROWSER_USER_AGENTS,
  DATACENTER_PREFIXES,
  EMAIL_DOMAINS,
  GAMES,
  SIM_CITIES,
  type SimCity,
} from './simulator-data.js';

/** Options of {@link createSimulator}. @example const o: SimulatorOptions = { seed: 1, users: 500, attackRate: 0.05 }; */
export interface SimulatorOptions {
  /** Seed of the one random stream everything is drawn from. Same seed and options, same events. */
  readonly seed: number;
  /** Normal users that exist at the start (more join over time by referral and organic signup). Default 10,000. */
  readonly users?: number;
  /** Simulated start time, epoch ms. Default 2026-01-05T00:00:00Z (a Monday). */
  readonly start?: number;
  /** `app` of every event. Default 'sim'. */
  readonly app?: string;
  /** Target fraction of malicious events, 0..1. Default 0.02. */
  readonly attackRate?: number;
  /** Scenarios to inject, in round-robin. Default all of {@link SCENARIO_NAMES}. */
  readonly scenarios?: readonly ScenarioName[];
  /** Prefix of event ids. Default `s<seed>-`. */
  readonly idPrefix?: string;
}

/** Default simulated start: Monday 2026-01-05 00:00 UTC. @example new Date(DEFAULT_SIM_START).toISOString(); */
export const DEFAULT_SIM_START = Date.UTC(2026, 0, 5);

type Profile = 'shopper' | 'gamer' | 'trader' | 'creator';
const PROFILES: readonly Profile[] = ['shopper', 'gamer', 'trader', 'creator'];
const PROFILE_CUM = cumulate([35, 25, 20, 20]);

const ACTIONS = ['pay', 'transfer', 'game', 'upload', 'social', 'withdraw', 'wallet', 'nft'] as const;
type Action = (typeof ACTIONS)[number];
const ACTION_WEIGHTS: Readonly<Record<Profile, readonly number[]>> = {
  // pay, transfer, game, upload, social, withdraw, wallet, nft
  shopper: cumulate([60, 10, 5, 5, 15, 3, 1, 1]),
  gamer: cumulate([10, 5, 60, 5, 15, 5, 0, 0]),
  trader: cumulate([15, 45, 5, 0, 10, 10, 5, 10]),
  creator: cumulate([10, 5, 5, 40, 30, 0, 0, 10]),
};

const TIERS_CUM = cumulate([5, 45, 30, 12, 6, 2]);
const NORMAL_TIERS: readonly Tier[] = ['guest', 'bronze', 'silver', 'gold', 'vip', 'platinum'];
const FIRST_NAMES = [
  'alex',
  'sam',
  'maria',
  'li',
  'yuki',
  'omar',
  'anna',
  'jon',
  'priya',
  'lucas',
  'emma',
  'kofi',
];
const EURO = new Set(['DE', 'FR', 'ES']);
const SOCIAL_ACTIONS = ['like', 'comment', 'follow', 'share'] as const;
const WALLET_PROVIDERS = ['metamask', 'walletconnect', 'coinbase'] as const;
/** Game payout multipliers of a win and their odds: fair games, nothing near 100x. */
const MULTIPLIERS = [2, 3, 10, 50] as const;
const MULTIPLIER_CUM = cumulate([900, 70, 25, 5]);

interface Device {
  readonly id: string;
  readonly userAgent: string;
}

interface NormalUser {
  readonly id: string;
  readonly tier: Tier;
  readonly email: string;
  readonly wallet: string;
  readonly cashout: string;
  readonly home: SimCity;
  readonly homeIp: string;
  readonly cards: readonly string[];
  readonly profile: Profile;
  readonly sessionMeanMs: number;
  readonly devices: Device[];
  readonly counterparties: string[];
  readonly merchants: string[];
  mobileIp: string;
  /** Where the user is now: home, or a trip's city and hotel IP until `tripEnds`. */
  city: SimCity;
  tripIp: string;
  tripEnds: number;
  /** When and where the user was last seen (any event): a trip never leaves faster than a plane. */
  lastSeenAt: number;
  lastSeenGeo: Geo;
  /** End of the user's latest queued session: no takeover is staged before it. */
  busyUntil: number;
  rounds: number;
  /** Who referred the user, sent as `referrer` on all of the user's events. */
  referrer: string | undefined;
}

type Item =
  | { readonly kind: 'event'; readonly at: number; readonly seq: number; readonly out: SimulatedEvent }
  | { readonly kind: 'session'; readonly at: number; readonly seq: number; readonly user: NormalUser }
  | {
      readonly kind: 'signup';
      readonly at: number;
      readonly seq: number;
      readonly user: NormalUser;
      readonly referrer?: string;
    }
  | { readonly kind: 'attack_tick'; readonly at: number; readonly seq: number }
  | { readonly kind: 'arrival'; readonly at: number; readonly seq: number };

/** Binary min-heap on (at, seq): equal times come out in the order they were queued. */
class ItemHeap {
  private readonly items: Item[] = [];
  get size(): number {
    return this.items.length;
  }
  push(x: Item): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p];
      if (parent === undefined || !before(x, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = x;
  }
  pop(): Item | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const left = a[l];
      const right = a[r];
      if (left === undefined) break;
      let c = l;
      let child = left;
      if (right !== undefined && before(right, left)) {
        c = r;
        child = right;
      }
      if (!before(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

function before(a: Item, b: Item): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Local hour of day (0..24) at a longitude, from solar time: good enough for human rhythms. */
function localHour(t: number, lon: number): number {
  const h = (t / HOUR + lon / 15) % 24;
  return h < 0 ? h + 24 : h;
}

/**
 * A seeded, endless stream of labelled traffic for one app: normal users and injected attacks.
 *
 * Normal users live in one of 20 cities on six continents with a home IP, one or two devices and
 * a wallet. They come back every few hours (mostly between 07:00 and 24:00 local time), log in,
 * and do a handful of things fitting their profile (shopper, gamer, trader, creator): pay
 * favourite merchants log-normal amounts (3% declined), transfer to a few regular counterparties,
 * withdraw to their own cash-out wallet, play fair games (`game_bet` then `game_result` with
 * `amount` = the bet, `attrs.won`, `attrs.bet`, `attrs.payout`), upload memes with
 * unique content hashes, socialise, connect wallets, list NFTs. About one session in a hundred
 * starts a trip to another city (the first event there comes no sooner than an 800 km/h flight
 * from the user's last event allows); one in 250 adds a new device. New users arrive by organic signup and by real referrals
 * (`signup` with `referrer`, then a `referral` event; `user` is the new account on both; the
 * referred user's later events also carry `referrer`, as apps attributing referrals send it).
 *
 * Attacks (see {@link SCENARIO_NAMES} and `attack-scenarios.ts`) are started in round-robin
 * whenever the malicious share of queued events falls below `attackRate`, so the share stays
 * close to it. Every attacker event is labelled `{ malicious: true, scenario, episode }`; the
 * account-takeover victim's own login that precedes the attack is labelled normal.
 *
 * Events come out in non-decreasing `at` order (no jitter, no out-of-order events); equal times
 * keep the order in which they were generated. The stream never ends: take what you need.
 * @example
 * const sim = createSimulator({ seed: 1, users: 1000 });
 * const { event, label } = sim.next().value;
 */
export function createSimulator(opts: SimulatorOptions): Generator<SimulatedEvent, never, undefined> {
  return run(opts);
}

/**
 * The first `count` events of a simulation.
 * @example const events = simulate({ seed: 1, users: 200 }, 5000);
 */
export function simulate(opts: SimulatorOptions, count: number): SimulatedEvent[] {
  const out: SimulatedEvent[] = [];
  if (count <= 0) return out;
  for (const x of createSimulator(opts)) {
    out.push(x);
    if (out.length >= count) break;
  }
  return out;
}

function* run(opts: SimulatorOptions): Generator<SimulatedEvent, never, undefined> {
  const r: SimRandom = createSimRandom(opts.seed);
  const app = opts.app ?? 'sim';
  const start = opts.start ?? DEFAULT_SIM_START;
  const attackRate = Math.min(1, Math.max(0, opts.attackRate ?? 0.02));
  const scenarios: readonly ScenarioName[] = opts.scenarios ?? SCENARIO_NAMES;
  const idPrefix = opts.idPrefix ?? `s${opts.seed}-`;
  const initialUsers = Math.max(1, Math.floor(opts.users ?? 10_000));

  const heap = new ItemHeap();
  let seq = 0;
  let now = start;
  let eventSeq = 0;
  let userSeq = 0;
  let deviceSeq = 0;
  let sessionSeq = 0;
  let queuedNormal = 0;
  let queuedMalicious = 0;
  let episodes = 0;
  let nextScenario = 0;
  const users: NormalUser[] = [];

  const merchantCount = Math.max(200, Math.floor(initialUsers / 5));
  // Popularity is skewed: low merchant numbers are the big shops.
  const randomMerchant = (): string => `m${Math.floor(merchantCount * r.next() * r.next())}`;
  const newUserId = (): string => `u${++userSeq}`;
  const newDeviceId = (): string => `d${(++deviceSeq).toString(36)}${r.hex(6)}`;
  const newWallet = (): string => `0x${r.hex(40)}`;
  const newSessionId = (): string => `s${(++sessionSeq).toString(36)}`;
  const ipIn = (prefixes: readonly (readonly [number, number])[]): string => {
    const [a, b] = r.pick(prefixes);
    return `${a}.${b}.${r.int(0, 255)}.${r.int(1, 254)}`;
  };
  const residentialIp = (city: SimCity): string => ipIn(city.ipv4);
  const datacenterIp = (): string => ipIn(DATACENTER_PREFIXES);
  const ipv6 = (): string => {
    let s = `2a02:${(r.int(1, 0xfff) | 0x8000).toString(16)}`;
    for (let i = 0; i < 6; i++) s += `:${r.int(1, 0xffff).toString(16)}`;
    return s;
  };
  const geoIn = (city: SimCity): Geo => ({
    lat: Math.round((city.lat + r.uniform(-0.05, 0.05)) * 1e4) / 1e4,
    lon: Math.round((city.lon + r.uniform(-0.05, 0.05)) * 1e4) / 1e4,
    country: city.country,
  });

  const emit = (at: number, fields: EventFields, label: SimulatedLabel): void => {
    // Scenarios only schedule forwards; clamping keeps the output ordered if one ever did not.
    const t = Math.max(Math.round(at), now);
    const event: SimEvent = { id: `${idPrefix}${(++eventSeq).toString(36)}`, app, at: t, ...fields };
    if (label.malicious) queuedMalicious++;
    else queuedNormal++;
    heap.push({ kind: 'event', at: t, seq: seq++, out: { event, label } });
  };

  /** Moves a session start out of the small hours (most people sleep) and returns it. */
  const humanTime = (t: number, lon: number): number => {
    const h = localHour(t, lon);
    if (h < 7 && r.chance(0.85)) return t + Math.round((7 - h + r.uniform(0, 3)) * HOUR);
    return t;
  };

  const createUser = (home: SimCity): NormalUser => {
    const id = newUserId();
    const profile = PROFILES[r.weighted(PROFILE_CUM)] ?? 'shopper';
    const devices: Device[] = [{ id: newDeviceId(), userAgent: r.pick(BROWSER_USER_AGENTS) }];
    if (r.chance(0.4)) devices.push({ id: newDeviceId(), userAgent: r.pick(BROWSER_USER_AGENTS) });
    const merchants = Array.from({ length: r.int(3, 6) }, randomMerchant);
    const homeIp = r.chance(0.1) ? ipv6() : residentialIp(home);
    return {
      id,
      tier: NORMAL_TIERS[r.weighted(TIERS_CUM)] ?? 'bronze',
      email: `${r.pick(FIRST_NAMES)}.${id}@${r.pick(EMAIL_DOMAINS)}`,
      wallet: newWallet(),
      cashout: newWallet(),
      home,
      homeIp,
      cards: Array.from({ length: r.int(1, 2) }, () => String(r.int(0, 9999)).padStart(4, '0')),
      profile,
      sessionMeanMs: r.uniform(4, 16) * HOUR,
      devices,
      counterparties: [],
      merchants,
      mobileIp: residentialIp(home),
      city: home,
      tripIp: '',
      tripEnds: 0,
      lastSeenAt: 0,
      lastSeenGeo: geoIn(home),
      busyUntil: 0,
      rounds: 0,
      referrer: undefined,
    };
  };

  const addCounterparties = (u: NormalUser): void => {
    const k = r.int(1, 4);
    for (let i = 0; i < k && users.length > 1; i++) {
      const other = r.pick(users);
      if (other !== u && !u.counterparties.includes(other.wallet)) u.counterparties.push(other.wallet);
    }
    if (u.counterparties.length === 0) u.counterparties.push(newWallet());
  };

  const schedule = (u: NormalUser, after: number): void => {
    const gap = Math.max(20 * MINUTE, r.exp(u.sessionMeanMs));
    const at = humanTime(after + Math.round(gap), u.city.lon);
    heap.push({ kind: 'session', at, seq: seq++, user: u });
  };

  /** Emits one session of a normal user starting at about `t0`; returns when it ends. */
  const runSession = (u: NormalUser, t0: number): number => {
    let t = t0;
    // Trips: leave home now and then, come back when the trip is over; never faster than a plane.
    let travelled = false;
    if (u.tripEnds === 0 && r.chance(0.01)) {
      const sameContinent = SIM_CITIES.filter((c) => c !== u.home && c.continent === u.home.continent);
      const pool =
        sameContinent.length > 0 && r.chance(0.7) ? sameContinent : SIM_CITIES.filter((c) => c !== u.home);
      u.city = r.pick(pool);
      u.tripIp = residentialIp(u.city);
      u.tripEnds = t + Math.round(r.uniform(2, 7) * DAY);
      travelled = true;
    } else if (u.tripEnds !== 0 && t >= u.tripEnds) {
      u.city = u.home;
      u.tripEnds = 0;
      travelled = true;
    }
    const geo = geoIn(u.city);
    if (travelled) {
      const km = haversineKm(u.lastSeenGeo, geo);
      const earliest = u.lastSeenAt + Math.round((km / 800 + 2) * HOUR);
      t = Math.max(t, earliest);
    }
    if (u.devices.length < 4 && r.chance(0.004)) {
      u.devices.push({ id: newDeviceId(), userAgent: r.pick(BROWSER_USER_AGENTS) });
    }
    const device = u.devices.length > 1 && r.chance(0.3) ? r.pick(u.devices) : u.devices[0];
    if (device === undefined) return t;
    let ip: string;
    if (u.tripEnds !== 0) ip = u.tripIp;
    else if (r.chance(0.8)) ip = u.homeIp;
    else {
      if (r.chance(0.1)) u.mobileIp = residentialIp(u.home);
      ip = u.mobileIp;
    }
    const session = newSessionId();
    const common = {
      user: u.id,
      tier: u.tier,
      device: device.id,
      userAgent: device.userAgent,
      ip,
      geo,
      session,
    };
    // Apps that reward referrals attribute a referred user's activity to the referrer.
    const base: Omit<EventFields, 'type'> =
      u.referrer === undefined ? common : { ...common, referrer: u.referrer };
    const step = (): number => Math.round(3 * SECOND + r.exp(60 * SECOND));

    if (travelled || r.chance(0.8)) {
      if (r.chance(0.02)) {
        emit(t, { type: 'login', ...base, attrs: { status: 'failed', method: 'password' } }, NORMAL_LABEL);
        t += r.int(5, 40) * SECOND;
      }
      emit(
        t,
        {
          type: 'login',
          ...base,
          attrs: { status: 'success', method: r.chance(0.3) ? 'passkey' : 'password' },
        },
        NORMAL_LABEL,
      );
      t += step();
    }
    const actions = Math.min(12, 1 + Math.floor(r.exp(2.5)));
    const currency = EURO.has(u.home.country) ? 'EUR' : 'USD';
    for (let i = 0; i < actions; i++) {
      const action: Action = ACTIONS[r.weighted(ACTION_WEIGHTS[u.profile])] ?? 'social';
      switch (action) {
        case 'pay': {
          const merchant = r.chance(0.7) ? r.pick(u.merchants) : randomMerchant();
          const amount = Math.round(Math.min(5000, Math.max(0.5, r.logNormal(25, 1))) * 100) / 100;
          const status = r.chance(0.03) ? 'declined' : 'approved';
          emit(
            t,
            {
              type: 'payment',
              ...base,
              amount,
              currency,
              merchant,
              attrs: { status, card: r.pick(u.cards) },
            },
            NORMAL_LABEL,
          );
          break;
        }
        case 'transfer': {
          if (r.chance(0.05) || u.counterparties.length === 0) {
            const other = r.pick(users);
            if (other !== u && !u.counterparties.includes(other.wallet)) u.counterparties.push(other.wallet);
          }
          const counterparty = r.pick(u.counterparties);
          if (counterparty === u.wallet) break;
          const amount = Math.round(Math.min(8000, Math.max(1, r.logNormal(60, 1.1))) * 100) / 100;
          emit(
            t,
            { type: 'transfer', ...base, wallet: u.wallet, counterparty, amount, currency: 'USDC' },
            NORMAL_LABEL,
          );
          break;
        }
        case 'withdraw': {
          const amount = Math.round(Math.min(20_000, Math.max(10, r.logNormal(150, 0.9))) * 100) / 100;
          emit(
            t,
            {
              type: 'withdrawal',
              ...base,
              wallet: u.wallet,
              counterparty: u.cashout,
              amount,
              currency: 'USDC',
            },
            NORMAL_LABEL,
          );
          break;
        }
        case 'game': {
          const game = r.pick(GAMES);
          const bet = Math.round(Math.max(0.1, r.logNormal(5, 0.8)) * 100) / 100;
          const round = `${session}-${++u.rounds}`;
          emit(t, { type: 'game_bet', ...base, amount: bet, currency, attrs: { game, round } }, NORMAL_LABEL);
          t += r.int(2, 60) * SECOND;
          const won = r.chance(0.47);
          const payout = won
            ? Math.round(bet * (MULTIPLIERS[r.weighted(MULTIPLIER_CUM)] ?? 2) * 100) / 100
            : 0;
          emit(
            t,
            {
              type: 'game_result',
              ...base,
              amount: bet,
              currency,
              attrs: { game, round, bet, payout, won },
            },
            NORMAL_LABEL,
          );
          break;
        }
        case 'upload':
          emit(
            t,
            {
              type: 'upload',
              ...base,
              contentHash: r.hex(32),
              attrs: {
                kind: 'meme',
                mime: r.chance(0.7) ? 'image/png' : 'image/jpeg',
                size: r.int(40_000, 4_000_000),
              },
            },
            NORMAL_LABEL,
          );
          break;
        case 'social':
          emit(t, { type: 'social', ...base, attrs: { action: r.pick(SOCIAL_ACTIONS) } }, NORMAL_LABEL);
          break;
        case 'wallet':
          emit(
            t,
            {
              type: 'wallet_connect',
              ...base,
              wallet: u.wallet,
              attrs: { provider: r.pick(WALLET_PROVIDERS) },
            },
            NORMAL_LABEL,
          );
          break;
        case 'nft':
          emit(
            t,
            {
              type: 'nft_listing',
              ...base,
              wallet: u.wallet,
              amount: Math.round(r.logNormal(80, 1) * 100) / 100,
              currency: 'USDC',
              contentHash: r.hex(32),
            },
            NORMAL_LABEL,
          );
          break;
        default:
          assertNever(action);
      }
      t += step();
    }
    // A real friend joins on the user's invitation some time later, from their own device and home.
    if (r.chance(0.003)) {
      const friend = createUser(r.chance(0.6) ? u.home : r.pick(SIM_CITIES));
      if (!friend.counterparties.includes(u.wallet)) friend.counterparties.push(u.wallet);
      heap.push({
        kind: 'signup',
        at: t + Math.round(r.uniform(10 * MINUTE, 3 * DAY)),
        seq: seq++,
        user: friend,
        referrer: u.id,
      });
    }
    u.busyUntil = t;
    u.lastSeenAt = t;
    u.lastSeenGeo = geo;
    return t;
  };

  const runSignup = (u: NormalUser, t0: number, referrer: string | undefined): void => {
    const device = u.devices[0];
    if (device === undefined) return;
    const geo = geoIn(u.home);
    const base = {
      user: u.id,
      tier: u.tier,
      device: device.id,
      userAgent: device.userAgent,
      ip: u.homeIp,
      geo,
    };
    emit(
      t0,
      referrer === undefined
        ? { type: 'signup', ...base, email: u.email }
        : { type: 'signup', ...base, email: u.email, referrer },
      NORMAL_LABEL,
    );
    if (referrer !== undefined)
      emit(t0 + r.int(5, 30) * SECOND, { type: 'referral', ...base, referrer }, NORMAL_LABEL);
    u.lastSeenAt = t0;
    u.lastSeenGeo = geo;
    u.referrer = referrer;
    users.push(u);
    addCounterparties(u);
    const end = runSession(u, t0 + r.int(1, 5) * MINUTE);
    schedule(u, end);
  };

  const world: SimWorld = {
    rnd: r,
    emit,
    newUserId,
    newDeviceId,
    newWallet,
    newSessionId,
    residentialIp,
    datacenterIp,
    randomMerchant,
    geoIn,
    takeoverVictim: (at: number): VictimView | undefined => {
      for (let i = 0; i < 30 && users.length > 0; i++) {
        const u = r.pick(users);
        const device = u.devices[0];
        if (device === undefined || u.tripEnds !== 0 || u.busyUntil > at) continue;
        const geo = geoIn(u.home);
        u.lastSeenAt = at;
        u.lastSeenGeo = geo;
        return {
          id: u.id,
          tier: u.tier,
          wallet: u.wallet,
          device: device.id,
          userAgent: device.userAgent,
          ip: u.homeIp,
          city: u.home,
          geo,
        };
      }
      return undefined;
    },
  };

  // The initial population: accounts that already exist, first seen when they next come back.
  for (let i = 0; i < initialUsers; i++) users.push(createUser(r.pick(SIM_CITIES)));
  for (const u of users) {
    addCounterparties(u);
    heap.push({
      kind: 'session',
      at: humanTime(start + Math.round(r.uniform(0, u.sessionMeanMs)), u.home.lon),
      seq: seq++,
      user: u,
    });
  }
  // Organic growth: about 2% of the initial population signs up per day.
  const arrivalMeanMs = DAY / Math.max(1, initialUsers * 0.02);
  heap.push({ kind: 'arrival', at: start + Math.round(r.exp(arrivalMeanMs)), seq: seq++ });
  if (attackRate > 0 && scenarios.length > 0)
    heap.push({ kind: 'attack_tick', at: start + MINUTE, seq: seq++ });
  let order = shuffled(r, scenarios);

  for (;;) {
    const item = heap.pop();
    if (item === undefined) throw new Error('simulator ran out of work');
    now = item.at;
    switch (item.kind) {
      case 'event':
        yield item.out;
        break;
      case 'session': {
        const end = runSession(item.user, item.at);
        schedule(item.user, end);
        break;
      }
      case 'signup':
        runSignup(item.user, item.at, item.referrer);
        break;
      case 'arrival': {
        runSignup(createUser(r.pick(SIM_CITIES)), item.at, undefined);
        heap.push({
          kind: 'arrival',
          at: item.at + Math.max(1, Math.round(r.exp(arrivalMeanMs))),
          seq: seq++,
        });
        break;
      }
      case 'attack_tick': {
        // Start an episode whenever the malicious share of everything queued so far is short of the target.
        if (queuedMalicious < attackRate * (queuedNormal + queuedMalicious)) {
          if (nextScenario >= order.length) {
            order = shuffled(r, scenarios);
            nextScenario = 0;
          }
          const name = order[nextScenario++];
          if (name !== undefined) {
            const label: SimulatedLabel = Object.freeze({
              malicious: true,
              scenario: name,
              episode: ++episodes,
            });
            if (runScenario(name, world, item.at, label) === 0) episodes--;
          }
        }
        heap.push({
          kind: 'attack_tick',
          at: item.at + Math.round(30 * SECOND + r.exp(90 * SECOND)),
          seq: seq++,
        });
        break;
      }
      default:
        assertNever(item);
    }
  }
}

function shuffled<T>(r: SimRandom, xs: readonly T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    const ai = a[i];
    const aj = a[j];
    if (ai === undefined || aj === undefined) continue;
    a[i] = aj;
    a[j] = ai;
  }
  return a;
}

import type { ActivityEventType, Tier } from '../events/event-types.js';
import type { Geo } from '../events/event.js';
import { MINUTE, SECOND } from '../features/feature-spec.js';
import { assertNever } from '../util/assert-never.js';
import type { SimRandom } from './sim-random.js';
import type { ScenarioName, SimEvent, SimulatedLabel } from './simulated-event.js';
import {
  BOT_USER_AGENTS,
  BROWSER_USER_AGENTS,
  DISPOSABLE_EMAIL_DOMAINS,
  EMAIL_DOMAINS,
  GAMES,
  SIM_CITIES,
  SIMULATED_SANCTIONED_WALLETS,
  type SimCity,
} from './simulator-data.js';

/**
 * The fields of a wire event the simulator fills in (the world adds id, app and at).
 * @example const f: EventFields = { type: 'login', user: 'u1', ip: '81.100.2.3' };
 */
export type EventFields = Omit<SimEvent, 'id' | 'app' | 'at' | 'type'> & {
  readonly type: ActivityEventType;
};

/** Label shared by every normal event. @example NORMAL_LABEL.malicious; // false */
export const NORMAL_LABEL: SimulatedLabel = Object.freeze({ malicious: false, scenario: 'normal' });

/** What an account takeover needs to know about its victim. @example world.takeoverVictim(t)?.wallet */
export interface VictimView {
  readonly id: string;
  readonly tier: Tier;
  readonly wallet: string;
  readonly device: string;
  readonly userAgent: string;
  readonly ip: string;
  readonly city: SimCity;
  readonly geo: Geo;
}

/**
 * The simulator's services available to attack scenarios.
 * @example world.emit(t, { type: 'signup', user: world.newUserId() }, label);
 */
export interface SimWorld {
  readonly rnd: SimRandom;
  /** Queues an event at `at` (never earlier than the current simulated time). */
  emit(at: number, fields: EventFields, label: SimulatedLabel): void;
  newUserId(): string;
  newDeviceId(): string;
  newWallet(): string;
  newSessionId(): string;
  residentialIp(city: SimCity): string;
  datacenterIp(): string;
  randomMerchant(): string;
  /** A position in a city, a few km around its centre. */
  geoIn(city: SimCity): Geo;
  /**
   * A normal user at home and idle at `at`, whose own login at `at` the scenario emits (the
   * world records it as the victim's last login). Undefined when no user qualifies.
   */
  takeoverVictim(at: number): VictimView | undefined;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Where an attacker operates from: a residential address in some city, with its geo. */
interface Origin {
  readonly ip: string;
  readonly geo?: Geo;
}

function residentialOrigin(w: SimWorld, city: SimCity = w.rnd.pick(SIM_CITIES)): Origin {
  return { ip: w.residentialIp(city), geo: w.geoIn(city) };
}

function withOrigin(fields: EventFields, o: Origin): EventFields {
  return o.geo === undefined ? { ...fields, ip: o.ip } : { ...fields, ip: o.ip, geo: o.geo };
}

/**
 * Emits one episode of an attack scenario starting at `t0` and returns how many events it
 * queued. Every event an attacker sends is labelled with `label` (malicious); the only normal
 * events an episode emits are the account-takeover victim's own login.
 * @example runScenario('structuring', world, Date.UTC(2026, 0, 5), { malicious: true, scenario: 'structuring', episode: 1 });
 */
export function runScenario(name: ScenarioName, w: SimWorld, t0: number, label: SimulatedLabel): number {
  switch (name) {
    case 'card_testing':
      return cardTesting(w, t0, label);
    case 'account_takeover':
      return accountTakeover(w, t0, label);
    case 'bot_signup_farm':
      return botSignupFarm(w, t0, label);
    case 'referral_ring':
      return referralRing(w, t0, label);
    case 'wash_trading':
      return washTrading(w, t0, label);
    case 'structuring':
      return structuring(w, t0, label);
    case 'win_rate_cheating':
      return winRateCheating(w, t0, label);
    case 'sanctioned_wallet':
      return sanctionedWallet(w, t0, label);
    default:
      return assertNever(name);
  }
}

/** A guest checkout tries 15-40 stolen cards for tiny amounts across many merchants within minutes. */
function cardTesting(w: SimWorld, t0: number, label: SimulatedLabel): number {
  const r = w.rnd;
  const user = w.newUserId();
  const device = w.newDeviceId();
  const session = w.newSessionId();
  const origin: Origin = r.chance(0.5) ? { ip: w.datacenterIp() } : residentialOrigin(w);
  const userAgent = r.chance(0.3) ? r.pick(BOT_USER_AGENTS) : r.pick(BROWSER_USER_AGENTS);
  const n = r.int(15, 40);
  let t = t0;
  let lastCard = '';
  for (let i = 0; i < n; i++) {
    const declined = r.chance(0.8);
    const card = String(r.int(0, 9999)).padStart(4, '0');
    if (!declined) lastCard = card;
    const amount = r.chance(0.3) ? 1 : round2(r.uniform(0.5, 3));
    w.emit(
      t,
      withOrigin(
        {
          type: 'payment',
          user,
          tier: 'guest',
          amount,
          currency: 'USD',
          device,
          userAgent,
          merchant: w.randomMerchant(),
          session,
          attrs: { status: declined ? 'declined' : 'approved', card },
        },
        origin,
      ),
      label,
    );
    t += Math.round(2 * SECOND + r.exp(10 * SECOND));
  }
  if (lastCard !== '' && r.chance(0.5)) {
    w.emit(
      t + r.int(30, 300) * SECOND,
      withOrigin(
        {
          type: 'payment',
          user,
          tier: 'guest',
          amount: round2(r.uniform(200, 900)),
          currency: 'USD',
          device,
          userAgent,
          merchant: w.randomMerchant(),
          session,
          attrs: { status: 'approved', card: lastCard },
        },
        origin,
      ),
      label,
    );
    return n + 1;
  }
  return n;
}

/**
 * The victim logs in at home; 3-30 minutes later someone logs in as the victim from another
 * continent on a new device (sometimes after failed attempts) and withdraws to a new wallet.
 */
function accountTakeover(w: SimWorld, t0: number, label: SimulatedLabel): number {
  const r = w.rnd;
  const v = w.takeoverVictim(t0);
  if (v === undefined) return 0;
  let n = 0;
  w.emit(
    t0,
    {
      type: 'login',
      user: v.id,
      tier: v.tier,
      device: v.device,
      userAgent: v.userAgent,
      ip: v.ip,
      geo: v.geo,
      session: w.newSessionId(),
      attrs: { status: 'success', method: 'password' },
    },
    NORMAL_LABEL,
  );
  n++;
  const far = SIM_CITIES.filter((c) => c.continent !== v.city.continent);
  const origin = residentialOrigin(w, r.pick(far));
  const device = w.newDeviceId();
  const userAgent = r.pick(BROWSER_USER_AGENTS);
  const session = w.newSessionId();
  let t = t0 + Math.round(r.uniform(3, 30) * MINUTE);
  const base = { user: v.id, tier: v.tier, device, userAgent, session };
  if (r.chance(0.4)) {
    const fails = r.int(1, 3);
    for (let i = 0; i < fails; i++) {
      w.emit(
        t - (fails - i) * r.int(5, 20) * SECOND,
        withOrigin({ type: 'login', ...base, attrs: { status: 'failed', method: 'password' } }, origin),
        label,
      );
      n++;
    }
  }
  w.emit(
    t,
    withOrigin({ type: 'login', ...base, attrs: { status: 'success', method: 'password' } }, origin),
    label,
  );
  n++;
  const drop = w.newWallet();
  if (r.chance(0.3)) {
    t += Math.round(r.uniform(0.5, 3) * MINUTE);
    w.emit(
      t,
      withOrigin(
        {
          type: 'transfer',
          ...base,
          wallet: v.wallet,
          counterparty: drop,
          amount: round2(r.logNormal(400, 0.5)),
          currency: 'USDC',
        },
        origin,
      ),
      label,
    );
    n++;
  }
  t += Math.round(r.uniform(1, 10) * MINUTE);
  w.emit(
    t,
    withOrigin(
      {
        type: 'withdrawal',
        ...base,
        wallet: v.wallet,
        counterparty: drop,
        amount: round2(r.logNormal(1500, 0.6)),
        currency: 'USDC',
      },
      origin,
    ),
    label,
  );
  return n + 1;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function randomHandle(r: SimRandom): string {
  let s = '';
  const len = r.int(6, 10);
  for (let i = 0; i < len; i++) s += LETTERS.charAt(r.int(0, 25));
  return `${s}${r.int(10, 9999)}`;
}

/** 20-60 signups in minutes from one or two datacenter IPs and a few devices, with a headless or library user agent. */
function botSignupFarm(w: SimWorld, t0: number, label: SimulatedLabel): number {
  const r = w.rnd;
  const ips = Array.from({ length: r.int(1, 2) }, () => w.datacenterIp());
  const devices = Array.from({ length: r.int(1, 3) }, () => w.newDeviceId());
  const userAgent = r.pick(BOT_USER_AGENTS);
  const connects = r.chance(0.5);
  const n = r.int(20, 60);
  let t = t0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const user = w.newUserId();
    const device = r.pick(devices);
    const ip = r.pick(ips);
    const domain = r.chance(0.7) ? r.pick(DISPOSABLE_EMAIL_DOMAINS) : r.pick(EMAIL_DOMAINS);
    w.emit(
      t,
      {
        type: 'signup',
        user,
        tier: 'guest',
        email: `${randomHandle(r)}@${domain}`,
        device,
        ip,
        userAgent,
        attrs: { screen: '800x600' },
      },
      label,
    );
    count++;
    if (connects) {
      w.emit(
        t + r.int(5, 20) * SECOND,
        { type: 'wallet_connect', user, tier: 'guest', wallet: w.newWallet(), device, ip, userAgent },
        label,
      );
      count++;
    }
    t += Math.round(SECOND + r.exp(30 * SECOND));
  }
  return count;
}

/**
 * A ring leader signs up, then 8-25 accounts sign up with the leader as referrer from one or
 * two shared devices and IPs, each followed by a referral event, and are never used again.
 */
function referralRing(w: SimWorld, t0: number, label: SimulatedLabel): number {
  const r = w.rnd;
  const city = r.pick(SIM_CITIES);
  const leader = w.newUserId();
  const leaderDevice = w.newDeviceId();
  const userAgent = r.pick(BROWSER_USER_AGENTS);
  const leaderIp = w.residentialIp(city);
  const leaderHandle = randomHandle(r);
  const domain = r.pick(EMAIL_DOMAINS);
  w.emit(
    t0,
    {
      type: 'signup',
      user: leader,
      tier: 'bronze',
      email: `${leaderHandle}@${domain}`,
      device: leaderDevice,
      ip: leaderIp,
      userAgent,
      geo: w.geoIn(city),
    },
    label,
  );
  let count = 1;
  const devices = Array.from({ length: r.int(1, 2) }, () => w.newDeviceId());
  if (r.chance(0.5)) devices.push(leaderDevice);
  const ips = Array.from({ length: r.int(1, 2) }, () => w.residentialIp(city));
  const n = r.int(8, 25);
  let t = t0 + r.int(2, 10) * MINUTE;
  for (let i = 0; i < n; i++) {
    const user = w.newUserId();
    const device = r.pick(devices);
    const ip = r.pick(ips);
    const geo = w.geoIn(city);
    w.emit(
      t,
      {
        type: 'signup',
        user,
        tier: 'guest',
        email: `${leaderHandle}${i + 1}@${domain}`,
        device,
        ip,
        userAgent,
        geo,
        referrer: leader,
      },
      label,
    );
    w.emit(
      t + r.int(5, 30) * SECOND,
      { type: 'referral', user, tier: 'guest', referrer: leader, device, ip, userAgent, geo },
      label,
    );
    count += 2;
    t += Math.round(20 * SECOND + r.exp(3 * MINUTE));
  }
  return count;
}

interface Trader {
  readonly user: string;
  readonly wallet: string;
  readonly device: string;
  readonly ip: string;
  readonly geo: Geo;
}

/** Two or three colluding wallets send near-equal amounts around a cycle (A->B->A or A->B->C->A), 4-10 rounds. */
function washTrading(w: SimWorld, t0: number, label: SimulatedLabel): number {
  const r = w.rnd;
  const city = r.pick(SIM_CITIES);
  const sharedDevice = r.chance(0.5) ? w.newDeviceId() : undefined;
  const sharedIp = r.chance(0.5) ? w.residentialIp(city) : undefined;
  const userAgent = r.pick(BROWSER_USER_AGENTS);
  const size = r.chance(0.3) ? 3 : 2;
  const ring: Trader[] = Array.from({ length: size }, () => ({
    user: w.newUserId(),
    wallet: w.newWallet(),
    device: sharedDevice ?? w.newDeviceId(),
    ip: sharedIp ?? w.residentialIp(city),
    geo: w.geoIn(city),
  }));
  const rounds = r.int(4, 10);
  let t = t0;
  let count = 0;
  for (let k = 0; k < rounds; k++) {
    let amount = round2(r.uniform(300, 4000));
    for (let i = 0; i < size; i++) {
      const from = ring[i];
      const to = ring[(i + 1) % size];
      if (from === undefined || to === undefined) continue;
      w.emit(
        t,
        {
          type: 'transfer',
          user: from.user,
          tier: 'silver',
          wallet: from.wallet,
          counterparty: to.wallet,
          amount,
          currency: 'USDC',
          device: from.device,
          ip: from.ip,
          userAgent,
          geo: from.geo,
        },
        label,
      );
      count++;
      amount = round2(amount * r.uniform(0.97, 1));
      t += Math.round(r.uniform(1, 10) * MINUTE);
    }
    t += Math.round(r.uniform(5, 30) * MINUTE);
  }
  return count;
}

/** 4-10 transfers of 9,000-9,999.99 (just under a 10k reporting threshold) over a few hours. */
function structuring(w: SimWorld, t0: number, label: SimulatedLabel): number {
  const r = w.rnd;
  const city = r.pick(SIM_CITIES);
  const user = w.newUserId();
  const wallet = w.newWallet();
  const device = w.newDeviceId();
  const ip = w.residentialIp(city);
  const userAgent = r.pick(BROWSER_USER_AGENTS);
  const targets = Array.from({ length: r.int(1, 3) }, () => w.newWallet());
  const n = r.int(4, 10);
  let t = t0;
  for (let i = 0; i < n; i++) {
    w.emit(
      t,
      {
        type: 'transfer',
        user,
        tier: 'bronze',
        wallet,
        counterparty: r.pick(targets),
        amount: round2(r.uniform(9000, 9999.99)),
        currency: 'USD',
        device,
        ip,
        userAgent,
        geo: w.geoIn(city),
      },
      label,
    );
    t += Math.round(r.uniform(10, 90) * MINUTE);
  }
  return n;
}

/**
 * 15-40 game rounds. Half the episodes win ~95% of rounds at the normal 2x payout; the other
 * half win ~60% with at least one payout above 100x the bet.
 */
function winRateCheating(w: SimWorld, t0: number, label: SimulatedLabel): number {
  const r = w.rnd;
  const city = r.pick(SIM_CITIES);
  const user = w.newUserId();
  const device = w.newDeviceId();
  const ip = w.residentialIp(city);
  const userAgent = r.pick(BROWSER_USER_AGENTS);
  const session = w.newSessionId();
  const game = r.pick(GAMES);
  const streak = r.chance(0.5);
  const rounds = r.int(15, 40);
  const jackpotRound = r.int(0, rounds - 1);
  let t = t0;
  for (let i = 0; i < rounds; i++) {
    const bet = round2(r.uniform(5, 50));
    const roundId = `${session}-${i}`;
    const base = { user, tier: 'bronze' as const, device, ip, userAgent, session, geo: w.geoIn(city) };
    w.emit(
      t,
      { type: 'game_bet', ...base, amount: bet, currency: 'USD', attrs: { game, round: roundId } },
      label,
    );
    let won: boolean;
    let multiplier: number;
    if (streak) {
      won = r.chance(0.95);
      multiplier = 2;
    } else {
      const jackpot = i === jackpotRound || r.chance(0.15);
      won = jackpot || r.chance(0.6);
      multiplier = jackpot ? Math.round(r.uniform(120, 500)) : 2;
    }
    const payout = won ? round2(bet * multiplier) : 0;
    w.emit(
      t + r.int(2, 20) * SECOND,
      {
        type: 'game_result',
        ...base,
        amount: bet,
        currency: 'USD',
        attrs: { game, round: roundId, bet, payout, won },
      },
      label,
    );
    t += Math.round(25 * SECOND + r.exp(90 * SECOND));
  }
  return rounds * 2;
}

/**
 * A wallet pays a sanctioned wallet directly (1-3 transfers), or (40%) through a fresh
 * intermediary wallet that forwards each amount within the hour (one hop).
 */
function sanctionedWallet(w: SimWorld, t0: number, label: SimulatedLabel): number {
  const r = w.rnd;
  const city = r.pick(SIM_CITIES);
  const user = w.newUserId();
  const wallet = w.newWallet();
  const device = w.newDeviceId();
  const ip = w.residentialIp(city);
  const userAgent = r.pick(BROWSER_USER_AGENTS);
  const sanctioned = r.pick(SIMULATED_SANCTIONED_WALLETS);
  const n = r.int(1, 3);
  const hop = r.chance(0.4);
  const mule = hop
    ? {
        user: w.newUserId(),
        wallet: w.newWallet(),
        device: w.newDeviceId(),
        ip: w.residentialIp(city),
        geo: w.geoIn(city),
      }
    : undefined;
  let t = t0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const amount = round2(r.logNormal(800, 0.8));
    w.emit(
      t,
      {
        type: 'transfer',
        user,
        tier: 'bronze',
        wallet,
        counterparty: mule?.wallet ?? sanctioned,
        amount,
        currency: 'USDC',
        device,
        ip,
        userAgent,
        geo: w.geoIn(city),
      },
      label,
    );
    count++;
    if (mule !== undefined) {
      w.emit(
        t + Math.round(r.uniform(10, 60) * MINUTE),
        {
          type: 'transfer',
          user: mule.user,
          tier: 'bronze',
          wallet: mule.wallet,
          counterparty: sanctioned,
          amount: round2(amount * r.uniform(0.95, 0.99)),
          currency: 'USDC',
          device: mule.device,
          ip: mule.ip,
          userAgent,
          geo: mule.geo,
        },
        label,
      );
      count++;
    }
    t += Math.round(r.uniform(5, 60) * MINUTE);
  }
  return count;
}

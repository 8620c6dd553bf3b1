import Compile from 'typebox/compile';
import { EventInputSchema } from './event.schema.js';
import type { Geo, VigilEvent } from './event.js';
import { isEventType, type EventType } from './event-types.js';
import { canonicalIp } from '../util/ip.js';

/** One problem found in an input, with a JSON-pointer-like path (`/geo/lat`). */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Outcome of validating untrusted input: the value, or every problem found. Never throws. */
export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly Problem[] };

/** Options for {@link validateEvent}. */
export interface ValidateEventOptions {
  /** Receipt time (epoch ms); also the default for a missing `at`. */
  readonly now: number;
  /** App the event belongs to when the input has none (the server passes the API key's app). */
  readonly app?: string;
  /** How far in the future an event time may be. Default 5 minutes (clock skew). */
  readonly maxFutureMs?: number;
  /** How far in the past an event time may be. Default 400 days. */
  readonly maxPastMs?: number;
}

const checker = Compile(EventInputSchema);
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const EMAIL_RE = /^[^\s@]+@([^\s@]+\.[^\s@]+)$/;

function pathOf(instancePath: string): string {
  return instancePath === '' ? '/' : instancePath;
}

/**
 * Validates and normalises an untrusted event. Returns every problem with its path.
 * @example
 * const r = validateEvent({ id: 'e1', type: 'login', user: 'u1', ip: '1.2.3.4' }, { now: Date.now(), app: 'shop' });
 * if (r.ok) r.value.at; else r.problems;
 */
export function validateEvent(input: unknown, opts: ValidateEventOptions): Validated<VigilEvent> {
  if (!checker.Check(input)) {
    const problems = checker
      .Errors(input)
      .filter((e) => e.message !== 'must not have additional properties')
      .map((e) => ({
        path: pathOf(e.instancePath),
        message: e.message === 'schema is false' ? 'unknown field' : e.message,
      }));
    return {
      ok: false,
      problems: problems.length > 0 ? problems : [{ path: '/', message: 'invalid event' }],
    };
  }
  const problems: Problem[] = [];
  const e = input;
  if (!isEventType(e.type)) {
    problems.push({
      path: '/type',
      message: `unknown event type '${e.type}' (use a built-in type or custom:<name>)`,
    });
  }
  let at = opts.now;
  if (e.at !== undefined) {
    if (typeof e.at === 'number') {
      if (!Number.isFinite(e.at) || !Number.isInteger(e.at))
        problems.push({ path: '/at', message: 'epoch milliseconds must be an integer' });
      else at = e.at;
    } else if (!ISO_RE.test(e.at) || Number.isNaN(Date.parse(e.at))) {
      problems.push({ path: '/at', message: 'must be an ISO 8601 date-time or epoch milliseconds' });
    } else {
      at = Date.parse(e.at);
    }
    if (at > opts.now + (opts.maxFutureMs ?? 5 * 60_000))
      problems.push({ path: '/at', message: 'event time is too far in the future' });
    if (at < opts.now - (opts.maxPastMs ?? 400 * 86_400_000))
      problems.push({ path: '/at', message: 'event time is too far in the past' });
  }
  let ip: string | undefined;
  if (e.ip !== undefined) {
    ip = canonicalIp(e.ip);
    if (ip === undefined) problems.push({ path: '/ip', message: `'${e.ip}' is not an IPv4 or IPv6 address` });
  }
  let email: string | undefined;
  let emailDomain: string | undefined;
  if (e.email !== undefined) {
    email = e.email.trim().toLowerCase();
    const m = EMAIL_RE.exec(email);
    if (!m) problems.push({ path: '/email', message: 'not an e-mail address' });
    else emailDomain = m[1];
  }
  const app = e.app ?? opts.app;
  if (app === undefined) problems.push({ path: '/app', message: 'app is required' });
  if (e.attrs) {
    for (const [k, v] of Object.entries(e.attrs)) {
      if (typeof v === 'number' && !Number.isFinite(v))
        problems.push({ path: `/attrs/${k}`, message: 'must be a finite number' });
    }
  }
  if (problems.length > 0 || app === undefined) return { ok: false, problems };

  const out: { -readonly [K in keyof VigilEvent]: VigilEvent[K] } = {
    id: e.id,
    app,
    type: e.type as EventType,
    at,
  };
  if (e.user !== undefined) out.user = e.user;
  if (e.tier !== undefined) out.tier = e.tier;
  if (e.amount !== undefined) out.amount = e.amount;
  if (e.currency !== undefined) out.currency = e.currency.toUpperCase();
  if (ip !== undefined) out.ip = ip;
  if (e.device !== undefined) out.device = e.device;
  if (e.userAgent !== undefined) out.userAgent = e.userAgent;
  if (e.geo !== undefined) {
    const g: { lat: number; lon: number; country?: string } = { lat: e.geo.lat, lon: e.geo.lon };
    if (e.geo.country !== undefined) g.country = e.geo.country.toUpperCase();
    out.geo = g satisfies Geo;
  }
  if (e.wallet !== undefined) out.wallet = e.wallet.toLowerCase();
  if (e.counterparty !== undefined) out.counterparty = e.counterparty.toLowerCase();
  if (e.merchant !== undefined) out.merchant = e.merchant;
  if (e.terminal !== undefined) out.terminal = e.terminal;
  if (email !== undefined) out.email = email;
  if (emailDomain !== undefined) out.emailDomain = emailDomain;
  if (e.referrer !== undefined) out.referrer = e.referrer;
  if (e.contentHash !== undefined) out.contentHash = e.contentHash.toLowerCase();
  if (e.session !== undefined) out.session = e.session;
  if (e.attrs !== undefined) out.attrs = e.attrs;
  return { ok: true, value: out };
}

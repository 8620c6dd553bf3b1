import { randomUUID } from 'node:crypto';
import { createStatusCache, type StatusCache } from './status-cache.js';
import { VigilError } from './vigil-error.js';
import { verifyWebhook } from './webhook-verify.js';
import type { HeaderBag } from './request-info.js';
import { cleanStatus, readDecision, readErrorBody, readUserStatus } from './wire-readers.js';
import type {
  AttrValue,
  Decision,
  EventInput,
  SignalEventType,
  Tier,
  UserStatus,
  WebhookPayload,
} from './wire-types.js';

/** The SDK's version, sent in the User-Agent header. @example SDK_VERSION; // '0.1.0' */
export const SDK_VERSION = '0.1.0';

/**
 * Options of {@link Vigil}.
 * @example const opts: VigilOptions = { apiUrl: 'https://vigil.internal', apiKey: process.env.VIGIL_KEY! };
 */
export interface VigilOptions {
  /** Base URL of the Vigil server, e.g. `https://vigil.example.com` (a path prefix is kept). */
  readonly apiUrl: string;
  /** The app's API key (sent as `Authorization: Bearer`). It decides which app events belong to. */
  readonly apiKey: string;
  /** Your app's name, sent as `x-vigil-app-name` for the server's logs. */
  readonly appName?: string | undefined;
  /** `production`, `staging`...; sent as `x-vigil-environment`. */
  readonly environment?: string | undefined;
  /** Budget of one call in ms, retries included; default 2000. */
  readonly timeoutMs?: number;
  /** Middleware lets requests through when Vigil cannot answer (default true); false answers 503. */
  readonly failOpen?: boolean;
  /** How long a user status stays cached, in ms; default 30000; 0 disables the cache. */
  readonly statusCacheMs?: number;
  /** How long past its freshness a cached status still answers while Vigil is unreachable; default 300000. */
  readonly staleStatusMs?: number;
  /** Most user statuses cached; default 10000. */
  readonly statusCacheSize?: number;
  /** Retries after a 5xx, 429 or network failure (within `timeoutMs`); default 2. */
  readonly retries?: number;
  /** First retry delay in ms, doubled each time, with jitter; default 100. Retry-After wins when sent. */
  readonly retryBaseMs?: number;
  /** Webhook signing secret(s) for {@link Vigil.handleWebhook}; several during rotation. */
  readonly webhookSecret?: string | readonly string[] | undefined;
  /** Where failures of {@link Vigil.track} and stale status answers are reported; default: ignored. */
  readonly onError?: (err: VigilError, operation: VigilOperation) => void;
  /** The fetch implementation; default the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Clock for the status cache and the webhook timestamp check, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

/** SDK calls, as named in `onError` reports. @example const op: VigilOperation = 'track'; */
export type VigilOperation = 'track' | 'score' | 'signal' | 'getUserStatus';

/**
 * What {@link Vigil.track} resolves to. It never rejects: failures are reported here and to `onError`.
 * @example const r: TrackResult = await vigil.track({ type: 'login', user: 'u1' }); if (!r.ok) log(r.error);
 */
export type TrackResult =
  | { readonly ok: true; readonly id: string; readonly decision: Decision }
  | { readonly ok: false; readonly id: string; readonly error: VigilError };

/**
 * What a shield signal says. Keys that are event fields (`ip`, `device`, `userAgent`, `email`,
 * `wallet`, `counterparty`, `merchant`, `terminal`, `session`, `referrer`, `contentHash`,
 * `currency`, `amount`) go to those fields; every other key goes to the event's `attrs`.
 * Undefined values are left out.
 * @example const data: SignalData = { reason: 'card testing', amount: 1.5, currency: 'USD', cards: 14 };
 */
export type SignalData = Readonly<Record<string, AttrValue | undefined>>;

const STRING_FIELDS = [
  'ip',
  'device',
  'userAgent',
  'email',
  'wallet',
  'counterparty',
  'merchant',
  'terminal',
  'session',
  'referrer',
  'contentHash',
  'currency',
] as const;
type StringField = (typeof STRING_FIELDS)[number];

const DEFAULTS = {
  timeoutMs: 2000,
  failOpen: true,
  statusCacheMs: 30_000,
  staleStatusMs: 300_000,
  statusCacheSize: 10_000,
  retries: 2,
  retryBaseMs: 100,
} as const;

/** Longest wait between retries, unless Retry-After asks for more (and the budget allows it). */
const MAX_BACKOFF_MS = 2000;
const ENFORCEMENT_PREFIX = 'enforcement.';

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function causeCode(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const c: unknown = err.cause;
  if (typeof c === 'object' && c !== null && 'code' in c && typeof c.code === 'string') return c.code;
  return undefined;
}

function positive(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new VigilError('invalid_argument', `${name} must be a number >= 0`);
  return v;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The Vigil client: sends events and shield signals, reads user status (cached), verifies
 * webhooks. One instance per process; it holds the status cache.
 * @example
 * import { Vigil } from '@vigil/sdk';
 * const vigil = new Vigil({ apiUrl: 'http://localhost:8080', apiKey: process.env.VIGIL_API_KEY!, appName: 'casino' });
 * const decision = await vigil.score({ type: 'withdrawal', user: 'u42', amount: 250, currency: 'USD' });
 */
export class Vigil {
  /** Whether middleware lets requests through when Vigil cannot answer. @example if (!vigil.failOpen) warmUpCache(); */
  readonly failOpen: boolean;
  readonly #base: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryBaseMs: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #cache: StatusCache;
  readonly #webhookSecrets: readonly string[];
  readonly #now: () => number;
  readonly #onError: ((err: VigilError, operation: VigilOperation) => void) | undefined;

  constructor(opts: VigilOptions) {
    let url: URL;
    try {
      url = new URL(opts.apiUrl);
    } catch (err) {
      throw new VigilError('invalid_argument', `apiUrl is not a URL: '${opts.apiUrl}'`, { cause: err });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new VigilError('invalid_argument', 'apiUrl must be http:// or https://');
    }
    if (typeof opts.apiKey !== 'string' || opts.apiKey === '') {
      throw new VigilError('invalid_argument', 'apiKey is required');
    }
    this.#base = url.href.replace(/\/+$/, '');
    this.#headers = {
      authorization: `Bearer ${opts.apiKey}`,
      accept: 'application/json',
      'user-agent': `vigil-sdk-node/${SDK_VERSION}`,
      ...(opts.appName === undefined ? {} : { 'x-vigil-app-name': opts.appName }),
      ...(opts.environment === undefined ? {} : { 'x-vigil-environment': opts.environment }),
    };
    this.#timeoutMs = positive('timeoutMs', opts.timeoutMs ?? DEFAULTS.timeoutMs);
    this.#retries = Math.floor(positive('retries', opts.retries ?? DEFAULTS.retries));
    this.#retryBaseMs = positive('retryBaseMs', opts.retryBaseMs ?? DEFAULTS.retryBaseMs);
    this.failOpen = opts.failOpen ?? DEFAULTS.failOpen;
    this.#fetch = opts.fetch ?? globalThis.fetch;
    this.#onError = opts.onError;
    const secret = opts.webhookSecret;
    this.#webhookSecrets = secret === undefined ? [] : typeof secret === 'string' ? [secret] : [...secret];
    this.#now = opts.now ?? Date.now;
    this.#cache = createStatusCache({
      ttlMs: positive('statusCacheMs', opts.statusCacheMs ?? DEFAULTS.statusCacheMs),
      staleMs: positive('staleStatusMs', opts.staleStatusMs ?? DEFAULTS.staleStatusMs),
      maxEntries: Math.max(1, Math.floor(opts.statusCacheSize ?? DEFAULTS.statusCacheSize)),
      now: this.#now,
    });
  }

  /**
   * Sends an event without making the caller wait for or handle failures: the promise resolves
   * to the decision or to the error (also passed to `onError`) and never rejects. The id is
   * generated when absent, so retries of the same call are idempotent.
   * @example
   * void vigil.track({ type: 'login', user: req.user.id, ...getRequestContext(req) });
   */
  async track(event: EventInput): Promise<TrackResult> {
    const withId = this.#withId(event);
    try {
      return { ok: true, id: withId.id, decision: await this.#post(withId) };
    } catch (err) {
      const error = this.#asVigilError(err);
      this.#report(error, 'track');
      return { ok: false, id: withId.id, error };
    }
  }

  /**
   * Sends an event and returns Vigil's decision; rejects with a VigilError when Vigil refuses it
   * (400 `validation_failed` with `details`) or cannot answer within `timeoutMs`.
   * @example
   * const d = await vigil.score({ type: 'payment', user: 'u1', amount: 99, currency: 'EUR' });
   * if (d.outcome === 'block') return res.status(403).end();
   */
  async score(event: EventInput): Promise<Decision> {
    return this.#post(this.#withId(event));
  }

  /**
   * Reports a shield signal of any type (`fraud_signal`, `user_report`, `bot_detection`...) and
   * returns the decision; see {@link SignalData} for how `data` maps onto the event.
   * @example await vigil.sendSignal('device_reuse', 'u1', 'silver', { device: 'd-9', accounts: 4 });
   */
  async sendSignal(
    type: SignalEventType,
    user: string,
    tier: Tier,
    data: SignalData = {},
  ): Promise<Decision> {
    return this.#post(this.#withId(signalEvent(type, user, tier, data)));
  }

  /**
   * Reports fraud seen by the app (`fraud_signal`, base impact 0.8).
   * @example await vigil.sendFraudSignal('u1', 'guest', { reason: 'stolen card', ip: '203.0.113.9' });
   */
  async sendFraudSignal(user: string, tier: Tier, data: SignalData = {}): Promise<Decision> {
    return this.sendSignal('fraud_signal', user, tier, data);
  }

  /**
   * Reports cheating in a game (`cheat_signal`, base impact 0.7).
   * @example await vigil.sendCheatSignal('u1', 'gold', { game: 'poker', reason: 'collusion', table: 't-4' });
   */
  async sendCheatSignal(user: string, tier: Tier, data: SignalData = {}): Promise<Decision> {
    return this.sendSignal('cheat_signal', user, tier, data);
  }

  /**
   * Reports a risky payment (`payment_risk`, base impact 0.9).
   * @example await vigil.sendPaymentRisk('u1', 'bronze', { amount: 5000, currency: 'USD', reason: 'bin mismatch' });
   */
  async sendPaymentRisk(user: string, tier: Tier, data: SignalData = {}): Promise<Decision> {
    return this.sendSignal('payment_risk', user, tier, data);
  }

  /**
   * Reports unusual behaviour (`behavioral_anomaly`, base impact 0.5).
   * @example await vigil.sendBehavioralAnomaly('u1', 'silver', { pattern: 'scripted_clicks', rate: 40 });
   */
  async sendBehavioralAnomaly(user: string, tier: Tier, data: SignalData = {}): Promise<Decision> {
    return this.sendSignal('behavioral_anomaly', user, tier, data);
  }

  /**
   * The user's status (blocked, suspended, restricted features), from the local cache when fresh.
   * An unknown user gets a clean status. When Vigil cannot answer, a cached status up to
   * `staleStatusMs` old answers; otherwise the VigilError propagates (middleware then applies
   * fail-open or fail-closed).
   * @example
   * const s = await vigil.getUserStatus('u1');
   * if (s.blocked) return res.status(403).end();
   */
  async getUserStatus(user: string): Promise<UserStatus> {
    if (typeof user !== 'string' || user === '') {
      throw new VigilError('invalid_argument', 'user must be a non-empty string');
    }
    return this.#cache.get(
      user,
      () => this.#fetchStatus(user),
      (err) => this.#report(this.#asVigilError(err), 'getUserStatus'),
    );
  }

  /**
   * Drops a user's cached status (or everyone's) so the next check asks Vigil.
   * @example vigil.invalidateUserStatus('u1');
   */
  invalidateUserStatus(user?: string): void {
    this.#cache.invalidate(user);
  }

  /**
   * Verifies a webhook with the `webhookSecret` option and returns its payload; an enforcement
   * (or any delivery naming `data.user`) drops that user's cached status, and an enforcement
   * without a user drops the whole cache. Throws WebhookVerificationError.
   * @example
   * app.post('/vigil/webhook', express.raw({ type: 'application/json' }), (req, res) => {
   *   vigil.handleWebhook(req.headers, req.body);
   *   res.sendStatus(204);
   * });
   */
  handleWebhook(headers: HeaderBag, body: string | Uint8Array): WebhookPayload {
    if (this.#webhookSecrets.length === 0) {
      throw new VigilError('invalid_argument', 'handleWebhook needs the webhookSecret option');
    }
    // the timestamp is judged by the client's clock (the `now` option), like cache freshness
    const payload = verifyWebhook(headers, body, this.#webhookSecrets, { now: this.#now() });
    const user = payload.data['user'];
    if (typeof user === 'string' && user !== '') this.#cache.invalidate(user);
    else if (payload.type.startsWith(ENFORCEMENT_PREFIX)) this.#cache.invalidate();
    return payload;
  }

  #withId(event: EventInput): EventInput & { readonly id: string } {
    const id = event.id;
    return typeof id === 'string' && id !== '' ? { ...event, id } : { ...event, id: randomUUID() };
  }

  async #post(event: EventInput): Promise<Decision> {
    const answer = await this.#request('POST', '/v1/events', event);
    if (answer.status === 200) return readDecision(answer.body);
    throw this.#errorOf(answer);
  }

  async #fetchStatus(user: string): Promise<UserStatus> {
    const answer = await this.#request('GET', `/v1/users/${encodeURIComponent(user)}/status`, undefined);
    if (answer.status === 200) return readUserStatus(answer.body, user);
    // Only a 404 about the user means "unknown user"; a 404 for the route means a wrong apiUrl.
    const err = readErrorBody(answer.body);
    if (answer.status === 404 && (err?.error === 'user_not_found' || err?.error === 'not_found')) {
      return cleanStatus(user, '');
    }
    throw this.#errorOf(answer);
  }

  #errorOf(answer: Answer): VigilError {
    const e = readErrorBody(answer.body);
    if (e === undefined) {
      return new VigilError('http_error', `Vigil answered HTTP ${answer.status}`, { status: answer.status });
    }
    return new VigilError(e.error, e.message, { status: answer.status, details: e.details });
  }

  /** One call: attempts until success, a non-retryable answer, the retry cap or the deadline. */
  async #request(method: 'GET' | 'POST', path: string, body: unknown): Promise<Answer> {
    const deadline = Date.now() + this.#timeoutMs;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      let failure: VigilError;
      try {
        const answer = await this.#attempt(method, path, payload, deadline);
        if (answer.status < 500 && answer.status !== 429) return answer;
        failure = this.#errorOf(answer);
        if (answer.retryAfterMs !== undefined) {
          failure = new VigilError(failure.code, failure.message, {
            status: answer.status,
            details: failure.details,
            retryAfterMs: answer.retryAfterMs,
          });
        }
      } catch (err) {
        const e = this.#asVigilError(err);
        if (e.code !== 'network_error') throw e;
        failure = e;
      }
      if (attempt >= this.#retries) throw failure;
      const backoff = Math.min(MAX_BACKOFF_MS, this.#retryBaseMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      const wait = failure.retryAfterMs ?? backoff;
      // Waiting past the deadline cannot help: report the failure now.
      if (Date.now() + wait >= deadline) throw failure;
      await delay(wait);
    }
  }

  async #attempt(
    method: 'GET' | 'POST',
    path: string,
    payload: string | undefined,
    deadline: number,
  ): Promise<Answer & { readonly retryAfterMs: number | undefined }> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new VigilError('timeout', `Vigil did not answer within ${this.#timeoutMs} ms`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), remaining);
    try {
      const res = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers:
          payload === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { body: payload }),
        signal: controller.signal,
      });
      const text = await res.text();
      let parsed: unknown = undefined;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch (err) {
          if (res.status === 200) {
            throw new VigilError('invalid_response', 'Vigil answered 200 with a body that is not JSON', {
              status: 200,
              cause: err,
            });
          }
        }
      }
      return { status: res.status, body: parsed, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
    } catch (err) {
      if (err instanceof VigilError) throw err;
      if (controller.signal.aborted) {
        throw new VigilError('timeout', `Vigil did not answer within ${this.#timeoutMs} ms`, { cause: err });
      }
      const code = causeCode(err);
      throw new VigilError(
        'network_error',
        `cannot reach Vigil at ${this.#base}${code ? ` (${code})` : ''}`,
        {
          cause: err,
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  #asVigilError(err: unknown): VigilError {
    if (err instanceof VigilError) return err;
    return new VigilError('network_error', err instanceof Error ? err.message : String(err), { cause: err });
  }

  #report(err: VigilError, operation: VigilOperation): void {
    try {
      this.#onError?.(err, operation);
    } catch {
      // A failing error reporter must not turn fire-and-forget into a rejection.
    }
  }
}

/**
 * The event a shield signal becomes (exported for apps that batch or queue signals themselves).
 * @example signalEvent('fraud_signal', 'u1', 'guest', { ip: '203.0.113.9', reason: 'stolen card' });
 * // { type: 'fraud_signal', user: 'u1', tier: 'guest', ip: '203.0.113.9', attrs: { reason: 'stolen card' } }
 */
export function signalEvent(type: SignalEventType, user: string, tier: Tier, data: SignalData): EventInput {
  const lifted: Partial<Record<StringField, string>> = {};
  for (const field of STRING_FIELDS) {
    const v = data[field];
    if (typeof v === 'string') lifted[field] = v;
  }
  const amount = data['amount'];
  const attrs: Record<string, AttrValue> = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined || Object.hasOwn(lifted, key) || (key === 'amount' && typeof value === 'number'))
      continue;
    attrs[key] = value;
  }
  return {
    ...lifted,
    ...(typeof amount === 'number' ? { amount } : {}),
    type,
    user,
    tier,
    ...(Object.keys(attrs).length === 0 ? {} : { attrs }),
  };
}

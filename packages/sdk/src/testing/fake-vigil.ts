import { createServer } from 'node:net';
import Fastify from 'fastify';
import { Webhook } from 'standardwebhooks';
import {
  SIGNAL_EVENT_TYPES,
  type Decision,
  type RiskLevel,
  type StatusEnforcement,
  type UserStatus,
} from '../wire-types.js';

/*
 * A stand-in Vigil server for the SDK's tests: a real Fastify app on 127.0.0.1 speaking the
 * HTTP API the SDK uses (POST /v1/events, GET /v1/users/:id/status, Standard Webhooks
 * deliveries). Tests arrange user states through it and make it slow, failing or rate limited.
 */

const IMPACT: Readonly<Record<string, number>> = {
  fraud_signal: 0.8,
  cheat_signal: 0.7,
  payment_risk: 0.9,
  behavioral_anomaly: 0.5,
};

interface UserState {
  blocked: boolean;
  suspendedUntil: number | null;
  suspended: boolean;
  restrictedFeatures: string[];
  enforcements: StatusEnforcement[];
}

/** One request the fake received. @example fake.requests.filter((r) => r.path === '/v1/events') */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

/** One webhook the fake delivered and the receiver's answer. @example expect(fake.deliveries[0]?.status).toBe(204) */
export interface Delivery {
  readonly type: string;
  readonly user: string;
  readonly status: number;
}

/** How the fake misbehaves; every field can be changed between requests. @example fake.behaviour.statusDelayMs = 2000 */
export interface FakeBehaviour {
  /** Delay before answering GET /v1/users/:id/status. */
  statusDelayMs: number;
  /** Delay before answering POST /v1/events. */
  eventDelayMs: number;
  /** The next n requests answer `failStatus`. */
  failNext: number;
  failStatus: number;
  /** Sent as Retry-After (seconds) with failures when set. */
  retryAfterSec: number | undefined;
}

/** Options of an arranging call. @example await fake.block('u1', { notify: false }) */
export interface ArrangeOptions {
  /** Deliver the matching enforcement webhook to the receiver (when one is set); default true. */
  readonly notify?: boolean;
}

/** A running fake Vigil. @example const fake = await startFakeVigil(); new Vigil({ apiUrl: fake.url, apiKey: fake.apiKey }) */
export interface FakeVigil {
  readonly url: string;
  readonly apiKey: string;
  /** `whsec_...` secret the deliveries are signed with. */
  readonly webhookSecret: string;
  readonly behaviour: FakeBehaviour;
  readonly requests: RecordedRequest[];
  readonly deliveries: Delivery[];
  /** Receiver of enforcement webhooks (the app under test). */
  setWebhookUrl(url: string | undefined): void;
  block(user: string, opts?: ArrangeOptions): Promise<void>;
  suspend(user: string, untilMs: number | null, opts?: ArrangeOptions): Promise<void>;
  restrict(user: string, features: readonly string[], opts?: ArrangeOptions): Promise<void>;
  lift(user: string, opts?: ArrangeOptions): Promise<void>;
  /** Signs and POSTs a webhook to the receiver; resolves to its HTTP status. */
  deliver(type: string, data: Readonly<Record<string, unknown>>): Promise<number>;
  close(): Promise<void>;
}

/** A base URL where nothing listens (Vigil down). @example new Vigil({ apiUrl: await unusedUrl(), apiKey: 'k' }) */
export async function unusedUrl(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return `http://127.0.0.1:${addr.port}`;
}

function levelOf(score: number): RiskLevel {
  if (score > 80) return 'CRITICAL';
  if (score > 60) return 'HIGH';
  if (score > 40) return 'MEDIUM';
  if (score > 20) return 'LOW';
  return 'SAFE';
}

function isRecord(u: unknown): u is Readonly<Record<string, unknown>> {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

/**
 * Starts the fake on 127.0.0.1 with a random port.
 * @example const fake = await startFakeVigil(); afterAll(() => fake.close());
 */
export async function startFakeVigil(): Promise<FakeVigil> {
  const apiKey = 'vk_test_app_key';
  const webhookSecret = `whsec_${Buffer.from('fake-vigil-webhook-secret-0123456789').toString('base64')}`;
  const signer = new Webhook(webhookSecret);
  const users = new Map<string, UserState>();
  const decisions = new Map<string, Decision>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: RecordedRequest[] = [];
  const deliveries: Delivery[] = [];
  const behaviour: FakeBehaviour = {
    statusDelayMs: 0,
    eventDelayMs: 0,
    failNext: 0,
    failStatus: 503,
    retryAfterSec: undefined,
  };
  let webhookUrl: string | undefined;
  let seq = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const stateOf = (user: string): UserState => {
    let s = users.get(user);
    if (s === undefined) {
      s = {
        blocked: false,
        suspended: false,
        suspendedUntil: null,
        restrictedFeatures: [],
        enforcements: [],
      };
      users.set(user, s);
    }
    return s;
  };

  async function deliver(type: string, data: Readonly<Record<string, unknown>>): Promise<number> {
    if (webhookUrl === undefined) return 0;
    const body = JSON.stringify({ type, app: 'fake-app', data, at: Date.now() });
    const id = `msg_${++seq}`;
    const signature = signer.sign(id, new Date(), body);
    const res = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': signature,
      },
      body,
    });
    await res.arrayBuffer();
    deliveries.push({ type, user: typeof data['user'] === 'string' ? data['user'] : '', status: res.status });
    return res.status;
  }

  async function enforce(
    user: string,
    action: string,
    expiresAt: number | null,
    features: readonly string[],
    opts: ArrangeOptions,
  ): Promise<void> {
    const s = stateOf(user);
    const e: StatusEnforcement = {
      id: `enf_${++seq}`,
      action,
      status: 'active',
      expiresAt,
      features: [...features],
    };
    s.enforcements.push(e);
    if (opts.notify !== false) await deliver('enforcement.created', { user, enforcement: e });
  }

  const app = Fastify({ forceCloseConnections: true });

  app.addHook('onRequest', async (req, reply) => {
    requests.push({ method: req.method, path: req.url, headers: req.headers, body: undefined });
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return reply
        .code(401)
        .send({ error: 'unauthorized', message: 'missing or invalid API key', details: [] });
    }
    if (behaviour.failNext > 0) {
      behaviour.failNext--;
      if (behaviour.retryAfterSec !== undefined)
        void reply.header('retry-after', String(behaviour.retryAfterSec));
      const code = behaviour.failStatus === 429 ? 'rate_limited' : 'unavailable';
      return reply.code(behaviour.failStatus).send({ error: code, message: 'try again', details: [] });
    }
    return undefined;
  });

  app.post('/v1/events', async (req, reply) => {
    const last = requests.at(-1);
    if (last !== undefined) requests[requests.length - 1] = { ...last, body: req.body };
    if (behaviour.eventDelayMs > 0) await sleep(behaviour.eventDelayMs);
    const b = req.body;
    if (!isRecord(b) || typeof b['id'] !== 'string' || typeof b['type'] !== 'string') {
      return reply.code(400).send({
        error: 'validation_failed',
        message: 'invalid event',
        details: [{ path: '/id', message: 'required' }],
      });
    }
    if (typeof b['amount'] === 'number' && b['amount'] < 0) {
      return reply.code(400).send({
        error: 'validation_failed',
        message: 'invalid event',
        details: [{ path: '/amount', message: 'must be >= 0' }],
      });
    }
    const known = decisions.get(b['id']);
    if (known !== undefined) return reply.header('vigil-duplicate', 'true').send(known);
    const user = typeof b['user'] === 'string' ? b['user'] : undefined;
    const tier = b['tier'] === 'gold' || b['tier'] === 'vip' ? b['tier'] : 'guest';
    const risk = IMPACT[b['type']] ?? 0.05;
    const score = Math.round(risk * 100);
    const signal = SIGNAL_EVENT_TYPES.some((t) => t === b['type']);
    const autoBlock = signal && risk >= 0.8 && tier === 'guest' && user !== undefined;
    const decision: Decision = {
      eventId: b['id'],
      app: 'fake-app',
      ...(user === undefined ? {} : { user }),
      risk,
      score,
      level: levelOf(score),
      flag: risk >= 0.7 ? 'RED' : risk >= 0.4 ? 'YELLOW' : 'GREEN',
      outcome: autoBlock ? 'block' : risk >= 0.4 ? 'review' : 'allow',
      confidence: 0.9,
      behaviorScore: Math.round(100 - risk * 100),
      accessLevel: autoBlock ? 'MINIMAL' : 'FULL',
      captcha: false,
      enforcement: {
        action: autoBlock ? 'auto_block' : 'observe',
        tier,
        requiresReview: autoBlock,
        reviewSlaMs: 86_400_000,
      },
      anomalies: [],
      alerts: [],
      signals: signal
        ? [
            {
              code: `shield.${b['type']}`,
              score: risk,
              severity: risk >= 0.8 ? 'critical' : 'high',
              category: 'report',
              reason: `the app reported ${b['type']}`,
              evidence: isRecord(b['attrs']) ? b['attrs'] : {},
            },
          ]
        : [],
      models: [],
      explanation: signal ? [`The app reported ${b['type']}.`] : [],
      failures: [],
    };
    decisions.set(b['id'], decision);
    if (autoBlock) {
      stateOf(user).blocked = true;
      await enforce(user, 'auto_block', null, [], {});
    }
    return reply.header('vigil-duplicate', 'false').send(decision);
  });

  app.get<{ Params: { id: string } }>('/v1/users/:id/status', async (req, reply) => {
    // The answer reflects the state when the request arrived, however long it then takes.
    const s = users.get(req.params.id);
    const now = Date.now();
    const suspended = s !== undefined && s.suspended && (s.suspendedUntil === null || s.suspendedUntil > now);
    const status: UserStatus | undefined =
      s === undefined
        ? undefined
        : {
            user: req.params.id,
            app: 'fake-app',
            blocked: s.blocked,
            suspended,
            suspendedUntil: suspended ? s.suspendedUntil : null,
            restrictedFeatures: [...s.restrictedFeatures],
            accessLevel: s.blocked ? 'MINIMAL' : s.restrictedFeatures.length > 0 ? 'RESTRICTED' : 'FULL',
            behaviorScore: s.blocked ? 10 : 90,
            risk: s.blocked ? 0.9 : 0.1,
            enforcements: [...s.enforcements],
          };
    if (behaviour.statusDelayMs > 0) await sleep(behaviour.statusDelayMs);
    if (status === undefined) {
      return reply
        .code(404)
        .send({ error: 'user_not_found', message: `no user '${req.params.id}'`, details: [] });
    }
    return status;
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('fake Vigil has no port');

  return {
    url: `http://127.0.0.1:${addr.port}`,
    apiKey,
    webhookSecret,
    behaviour,
    requests,
    deliveries,
    setWebhookUrl(url) {
      webhookUrl = url;
    },
    async block(user, opts = {}) {
      stateOf(user).blocked = true;
      await enforce(user, 'auto_block', null, [], opts);
    },
    async suspend(user, untilMs, opts = {}) {
      const s = stateOf(user);
      s.suspended = true;
      s.suspendedUntil = untilMs;
      await enforce(user, 'temp_suspend', untilMs, [], opts);
    },
    async restrict(user, features, opts = {}) {
      stateOf(user).restrictedFeatures = [...features];
      await enforce(user, 'suspend_features', null, features, opts);
    },
    async lift(user, opts = {}) {
      const s = stateOf(user);
      const lifted = s.enforcements;
      users.set(user, {
        blocked: false,
        suspended: false,
        suspendedUntil: null,
        restrictedFeatures: [],
        enforcements: [],
      });
      if (opts.notify !== false) {
        for (const e of lifted)
          await deliver('enforcement.lifted', { user, enforcement: { ...e, status: 'lifted' } });
      }
    },
    deliver,
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await app.close();
    },
  };
}

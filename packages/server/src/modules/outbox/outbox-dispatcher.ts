import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/database.js';
import type { Backoff } from './backoff.js';
import { createOutboxStore, type ClaimedOutboxMessage } from './outbox.store.js';

/** Runs a callback later. Tests pass a manual one; the default uses unref'd timers. */
export interface Scheduler {
  schedule(fn: () => void, ms: number): { cancel(): void };
}

/** Real timers that do not keep the process alive. @example createOutboxDispatcher({ ..., scheduler: systemScheduler }) */
export const systemScheduler: Scheduler = {
  schedule(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** What happened to a message after an attempt. */
export type Settlement =
  | { readonly status: 'delivered' }
  | { readonly status: 'retry'; readonly nextAttemptAt: number }
  | { readonly status: 'dead' };

/** A handler's answer for one attempt. */
export interface HandlerResult {
  readonly ok: boolean;
  /** Why it failed (stored as the message's last error). */
  readonly error?: string;
  /** A failure retrying cannot fix: dead-letter now. */
  readonly permanent?: boolean;
  /**
   * Runs in the transaction that records the settlement (e.g. a delivery log row), so the log and
   * the message's state never disagree. Not called when the lease was lost meanwhile.
   */
  readonly record?: (tx: Db, settlement: Settlement) => Promise<void>;
}

/** Runs the messages of one kind. */
export interface OutboxHandler {
  readonly kind: string;
  /** Attempts before the message is dead-lettered. */
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  /** One attempt. Throwing counts as a failure; `signal` aborts when the dispatcher stops. */
  handle(message: ClaimedOutboxMessage, signal: AbortSignal): Promise<HandlerResult>;
  /** Deletes the handler's own records older than `before` (called with the outbox purge). */
  purge?(db: Db, before: number): Promise<number>;
}

/** Options of {@link createOutboxDispatcher}. */
export interface OutboxDispatcherOptions {
  /** Messages claimed per round (default 32); they run concurrently. */
  readonly batchSize?: number;
  /** How long a claim holds before another dispatcher may retry the message (default 5 min). Keep it above every handler's timeout. */
  readonly leaseMs?: number;
  /** How often the loop looks for due messages when nothing woke it (default 1 s). */
  readonly pollMs?: number;
  /** Delivered and dead messages (and handler records) older than this are deleted (default 7 days). */
  readonly retentionMs?: number;
  /** How often the loop purges (default 1 h). */
  readonly purgeEveryMs?: number;
  /** How long {@link OutboxDispatcher.stop} lets attempts in flight finish before aborting them (default 5 s). */
  readonly stopGraceMs?: number;
}

/** Claims due outbox messages, runs their handlers and records the results. */
export interface OutboxDispatcher {
  /** Starts the background loop (polling, and woken by {@link OutboxDispatcher.wake}). */
  start(): void;
  /** Asks the loop to look for due messages now (after a local enqueue committed). */
  wake(): void;
  /** One round: claims up to a batch of due messages, runs them, records results; returns how many it claimed. */
  runOnce(): Promise<number>;
  /** Rounds until nothing is due; returns how many messages were claimed in all. */
  drain(): Promise<number>;
  /** Deletes finished messages and handler records older than the retention; returns how many messages. */
  purge(): Promise<number>;
  /**
   * Stops the loop and waits for attempts in flight; those still running after the grace period
   * are aborted and their messages handed back untried (sent again later, same webhook-id).
   */
  stop(): Promise<void>;
  readonly isRunning: () => boolean;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Creates the dispatcher. Delivery is at least once: a message is marked only after its handler
 * returns, so a crash in between leaves it pending and it runs again when the lease expires.
 * Results are recorded only by the lease holder (the claim token), so a slow dispatcher whose
 * lease ran out cannot overwrite the newer owner's result. Failures back off per the handler;
 * after `maxAttempts` (or a permanent failure) the message is dead.
 * @example
 * const d = createOutboxDispatcher({ db, clock, handlers: [webhookHandler] });
 * d.start(); // ... later: await d.stop();
 */
export function createOutboxDispatcher(
  deps: {
    readonly db: Db;
    readonly clock: Clock;
    readonly handlers: readonly OutboxHandler[];
    readonly scheduler?: Scheduler;
    /** Uniform [0, 1) for backoff jitter (default Math.random). */
    readonly random?: () => number;
    readonly logger?: Pick<FastifyBaseLogger, 'warn'>;
  },
  opts: OutboxDispatcherOptions = {},
): OutboxDispatcher {
  const { db, clock, logger } = deps;
  const scheduler = deps.scheduler ?? systemScheduler;
  const random = deps.random ?? Math.random;
  const batchSize = opts.batchSize ?? 32;
  const leaseMs = opts.leaseMs ?? 300_000;
  const pollMs = opts.pollMs ?? 1000;
  const retentionMs = opts.retentionMs ?? 7 * 86_400_000;
  const purgeEveryMs = opts.purgeEveryMs ?? 3_600_000;
  const stopGraceMs = opts.stopGraceMs ?? 5000;
  const handlers = new Map(deps.handlers.map((h) => [h.kind, h]));
  const kinds = [...handlers.keys()];
  const store = createOutboxStore(db);

  let controller = new AbortController();
  let running = false;
  let timer: { cancel(): void } | undefined;
  let loop: Promise<void> | undefined;
  let again = false;
  let lastPurge = Number.NEGATIVE_INFINITY;

  async function settle(m: ClaimedOutboxMessage, result: HandlerResult, settlement: Settlement) {
    const now = clock.now();
    const error = result.error ?? 'failed';
    const held = await db.transaction(async (tx) => {
      const s = createOutboxStore(tx);
      let ok: boolean;
      switch (settlement.status) {
        case 'delivered':
          ok = await s.markDelivered(m.id, m.token, now);
          break;
        case 'retry':
          ok = await s.markRetry(m.id, m.token, settlement.nextAttemptAt, error);
          break;
        case 'dead':
          ok = await s.markDead(m.id, m.token, now, error);
          break;
      }
      if (ok) await result.record?.(tx, settlement);
      return ok;
    });
    if (!held) {
      logger?.warn({ id: m.id, kind: m.kind }, 'outbox lease lost before the result was recorded');
    }
  }

  async function run(m: ClaimedOutboxMessage, signal: AbortSignal): Promise<void> {
    const h = handlers.get(m.kind);
    if (h === undefined) return; // claim() only returns kinds with handlers
    if (m.attempts > h.maxAttempts) {
      // claimed again and again without a result (a crash during the attempt each time)
      await settle(
        m,
        {
          ok: false,
          error: `gave up after ${h.maxAttempts} attempts: ${m.lastError ?? 'no result recorded'}`,
        },
        {
          status: 'dead',
        },
      );
      return;
    }
    let result: HandlerResult;
    try {
      result = await h.handle(m, signal);
    } catch (err) {
      result = { ok: false, error: message(err) };
    }
    if (!result.ok && signal.aborted) {
      await store.release(m.id, m.token, clock.now());
      return;
    }
    const settlement: Settlement = result.ok
      ? { status: 'delivered' }
      : result.permanent === true || m.attempts >= h.maxAttempts
        ? { status: 'dead' }
        : { status: 'retry', nextAttemptAt: clock.now() + Math.max(0, h.backoff(m.attempts, random)) };
    await settle(m, result, settlement);
  }

  async function runOnce(): Promise<number> {
    const signal = controller.signal;
    const claimed = await store.claim({ now: clock.now(), limit: batchSize, leaseMs, kinds });
    await Promise.all(
      claimed.map((m) =>
        run(m, signal).catch((err: unknown) => {
          // the lease expires and the message runs again
          logger?.warn({ err, id: m.id, kind: m.kind }, 'recording an outbox result failed');
        }),
      ),
    );
    return claimed.length;
  }

  async function purge(): Promise<number> {
    const before = clock.now() - retentionMs;
    const n = await store.purge(before);
    for (const h of handlers.values()) await h.purge?.(db, before);
    return n;
  }

  function scheduleTick(ms: number): void {
    timer?.cancel();
    timer = scheduler.schedule(() => {
      timer = undefined;
      tick();
    }, ms);
  }

  function tick(): void {
    if (!running) return;
    if (loop !== undefined) {
      again = true;
      return;
    }
    let failed = false;
    loop = (async () => {
      try {
        do {
          again = false;
          const n = await runOnce();
          if (n >= batchSize) again = true;
          const now = clock.now();
          if (now - lastPurge >= purgeEveryMs) {
            lastPurge = now;
            await purge();
          }
        } while (again && running);
      } catch (err) {
        failed = true;
        logger?.warn({ err }, 'outbox dispatch failed');
      }
    })();
    void loop.finally(() => {
      loop = undefined;
      if (running) scheduleTick(again && !failed ? 0 : pollMs);
    });
  }

  return {
    start() {
      if (running) return;
      running = true;
      scheduleTick(0);
    },
    wake() {
      if (!running) return;
      if (loop !== undefined) again = true;
      else scheduleTick(0);
    },
    runOnce,
    async drain() {
      let total = 0;
      for (;;) {
        const n = await runOnce();
        total += n;
        if (n === 0) return total;
      }
    },
    purge,
    async stop() {
      running = false;
      timer?.cancel();
      timer = undefined;
      const current = loop;
      if (current !== undefined) {
        const grace = scheduler.schedule(() => controller.abort(), stopGraceMs);
        await current.catch(() => {});
        grace.cancel();
      }
      controller = new AbortController();
    },
    isRunning: () => running,
  };
}

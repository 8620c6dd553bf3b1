import { validateEvent, type Decision, type Problem, type VigilEvent } from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Metrics } from '../../http/metrics.js';
import type { Db } from '../../storage/database.js';
import { createUserStore, userActivityPart, type UserActivity } from '../users/user.store.js';
import {
  appendAtomic,
  createEventStore,
  eventKey,
  type EventWithDecision,
  type NewDecisionRow,
} from './event.store.js';

/** What the ingest needs from the engine: scoring that updates its feature store. */
export interface ScoringEngine {
  score(event: VigilEvent, now: number): Decision;
}

/** The answer for one submitted event. `json` is the decision as JSON (what is stored and returned). */
export type IngestResult =
  | { readonly ok: true; readonly json: string; readonly duplicate: boolean; readonly decision?: Decision }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** Durable event intake with group commit. */
export interface EventIngest {
  /**
   * Validates, scores and durably stores one event, resolving once its transaction committed.
   * An id the app already sent answers the stored decision and writes nothing. Validation
   * problems are returned; a storage failure rejects with `unavailable`.
   */
  submit(appId: string, input: unknown): Promise<IngestResult>;
  /** The same for many events, which share commits; one result per input, in order. */
  submitMany(appId: string, inputs: readonly unknown[]): Promise<readonly (IngestResult | DomainError)[]>;
  /** Runs `fn` between two group commits, when every scored event is committed (snapshots). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Events waiting for a commit. */
  depth(): number;
  /** The highest event seq applied to the feature store. */
  lastSeq(): number;
  /** Waits for the queue to drain; later submits are refused with `unavailable`. */
  close(): Promise<void>;
}

/** A decision written by a group commit, with its event and log position. */
export interface CommittedDecision {
  readonly seq: number;
  readonly event: VigilEvent;
  readonly decision: Decision;
}

/**
 * Runs with each group commit: `onCommit` inside its transaction (write side effects to the outbox
 * there, so they commit or roll back with the decisions; throwing fails the whole batch), then
 * `afterCommit` once it committed.
 */
export interface DecisionCommitHook {
  onCommit(tx: Db, committed: readonly CommittedDecision[]): Promise<void>;
  /**
   * Whether `onCommit` has work for these decisions (asked before their seqs exist). A batch that
   * no hook needs commits in one piece (one round trip on SQLite); without this, a hook is
   * assumed to need every batch.
   */
  needed?(decided: readonly Pick<CommittedDecision, 'event' | 'decision'>[]): boolean;
  /** A notification (e.g. wake a dispatcher); what it throws is ignored. */
  afterCommit?(committed: readonly CommittedDecision[]): void;
}

/** Options of {@link createEventIngest}. */
export interface EventIngestOptions {
  /** Called with the decisions of every group commit (see {@link DecisionCommitHook}). */
  readonly commitHooks?: readonly DecisionCommitHook[];
  /** Most events per transaction (default 512). */
  readonly maxBatch?: number;
  /** The highest seq already in the feature store (after recovery). Default 0. */
  readonly lastSeq?: number;
  /** Called when a group commit fails (its callers get `unavailable`). */
  readonly onCommitError?: (err: unknown) => void;
  /**
   * Group commits that may be in flight at once (default 4): the next batches are checked and
   * scored while the previous one commits; commits still happen one at a time, in scoring order.
   * (With SQLite on its worker thread, 4 gave a lower p99 than 1 or 2 in bench:http.)
   */
  readonly maxInFlight?: number;
}

interface EventItem {
  readonly kind: 'event';
  readonly event: VigilEvent;
  readonly key: string;
  readonly receivedAt: number;
  readonly resolve: (r: IngestResult) => void;
  readonly reject: (err: unknown) => void;
}

interface TaskItem {
  readonly kind: 'task';
  readonly run: () => Promise<void>;
}

type Item = EventItem | TaskItem;

function validate(
  appId: string,
  input: unknown,
  now: number,
): { event: VigilEvent } | { problems: readonly Problem[] } {
  if (
    typeof input === 'object' &&
    input !== null &&
    'app' in input &&
    input.app !== undefined &&
    input.app !== appId
  ) {
    return { problems: [{ path: '/app', message: "must be the API key's app id (or left out)" }] };
  }
  const v = validateEvent(input, { now, app: appId });
  return v.ok ? { event: v.value } : { problems: v.problems };
}

function signalRows(d: Decision): NewDecisionRow['signals'] {
  return d.signals.map((s) => ({ code: s.code, score: s.score, category: s.category, severity: s.severity }));
}

/**
 * Creates the intake. Events queue up; after the current tick (or when `maxBatch` are waiting)
 * one flush checks which ids are already in the log, scores the new events in arrival order,
 * and writes events, decisions, signals and user profiles in one transaction. Flushes run one
 * at a time, so the feature store sees events in log order and a snapshot taken between two
 * flushes matches a log position exactly.
 * @example
 * const ingest = createEventIngest({ db, engine, clock, metrics });
 * const r = await ingest.submit(appId, { id: 'e1', type: 'login', user: 'u1' });
 */
export function createEventIngest(
  deps: {
    readonly db: Db;
    readonly engine: ScoringEngine;
    readonly clock: Clock;
    readonly metrics?: Metrics;
    /** Adds provider attributes before scoring (never rejects; see modules/enrichment). */
    readonly enrich?: (event: VigilEvent) => Promise<VigilEvent>;
  },
  opts: EventIngestOptions = {},
): EventIngest {
  const { db, engine, clock, metrics } = deps;
  const maxBatch = opts.maxBatch ?? 512;
  const hooks = opts.commitHooks ?? [];
  const events = createEventStore(db);
  let queue: Item[] = [];
  let running = false;
  let scheduled = false;
  let closing = false;
  let lastSeq = opts.lastSeq ?? 0;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => {};

  function schedule(): void {
    if (running || scheduled) return;
    scheduled = true;
    idle = new Promise((r) => (markIdle = r));
    setImmediate(() => void run());
  }

  const maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
  /** Commits under way, oldest first. */
  const inFlight: Promise<void>[] = [];
  /** Keys of scored events whose commit is under way, and the item that will settle them. */
  const committing = new Map<string, EventItem>();
  /** Later submits of a key that is committing: answered with its decision once it settles. */
  const waitingFor = new Map<string, EventItem[]>();
  /** The newest commit (never rejects); the next one starts after it. */
  let lastCommit: Promise<void> = Promise.resolve();

  async function drain(): Promise<void> {
    while (inFlight.length > 0) await inFlight[0];
  }

  async function run(): Promise<void> {
    scheduled = false;
    running = true;
    try {
      while (queue.length > 0) {
        const head = queue[0]!;
        if (head.kind === 'task') {
          queue.shift();
          await drain();
          await head.run();
          continue;
        }
        const batch: EventItem[] = [];
        for (const item of queue) {
          if (item.kind !== 'event' || batch.length >= maxBatch) break;
          batch.push(item);
        }
        queue = queue.slice(batch.length);
        const prepared = await prepare(batch);
        if (prepared === undefined) continue;
        // commit settles its own callers; anything it still throws is reported, never left floating
        const done: Promise<void> = prepared.commit
          .catch((err: unknown) => opts.onCommitError?.(err))
          .finally(() => {
            const i = inFlight.indexOf(done);
            if (i >= 0) void inFlight.splice(i, 1);
          });
        inFlight.push(done);
        if (inFlight.length >= maxInFlight) await inFlight[0];
      }
    } finally {
      running = false;
      markIdle();
    }
  }

  /**
   * Checks and scores a batch (in arrival order; this updates the feature store) and returns its
   * commit, which runs after every earlier one (wrapped: an async function would wait for it).
   * Undefined when nothing needs committing.
   */
  async function prepare(
    batch: readonly EventItem[],
  ): Promise<{ readonly commit: Promise<void> } | undefined> {
    // 1. the same id twice in this batch: later ones wait for the first; an id already
    // committing in an earlier batch waits for that one
    const first = new Map<string, EventItem>();
    const followers = new Map<string, EventItem[]>();
    for (const item of batch) {
      if (committing.has(item.key)) {
        const list = waitingFor.get(item.key) ?? [];
        list.push(item);
        waitingFor.set(item.key, list);
      } else if (!first.has(item.key)) first.set(item.key, item);
      else {
        const list = followers.get(item.key) ?? [];
        list.push(item);
        followers.set(item.key, list);
      }
    }
    const settle = (key: string, r: IngestResult | { error: unknown }) => {
      const items = [first.get(key)!, ...(followers.get(key) ?? [])];
      if (committing.get(key) === items[0]) {
        committing.delete(key);
        items.push(...(waitingFor.get(key) ?? []));
        waitingFor.delete(key);
      }
      items.forEach((item, i) => {
        if ('error' in r) item.reject(r.error);
        else if (i === 0) item.resolve(r);
        else if (r.ok) {
          metrics?.duplicates.inc();
          item.resolve({ ok: true, json: r.json, duplicate: true });
        }
      });
    };

    // 2. ids already in the log: answer the stored decision, score nothing
    const byApp = new Map<string, string[]>();
    for (const item of first.values()) {
      const ids = byApp.get(item.event.app) ?? [];
      ids.push(item.event.id);
      byApp.set(item.event.app, ids);
    }
    const fresh: EventItem[] = [];
    try {
      const stored = new Map<string, string>();
      for (const [appId, ids] of byApp) {
        for (const [id, payload] of await events.findDecisionPayloads(appId, ids))
          stored.set(eventKey(appId, id), payload);
      }
      for (const [key, item] of first) {
        const payload = stored.get(key);
        if (payload === undefined) fresh.push(item);
        else {
          metrics?.duplicates.inc();
          settle(key, { ok: true, json: payload, duplicate: true });
        }
      }
    } catch (err) {
      opts.onCommitError?.(err);
      for (const key of first.keys()) settle(key, { error: unavailable(err) });
      return undefined;
    }
    if (fresh.length === 0) return undefined;

    // 3. score in arrival order (this updates the feature store)
    const scored: { item: EventItem; decision: Decision; json: string }[] = [];
    for (const item of fresh) {
      try {
        const decision = engine.score(item.event, item.receivedAt);
        scored.push({ item, decision, json: JSON.stringify(decision) });
      } catch (err) {
        settle(item.key, { error: err });
      }
    }
    if (scored.length === 0) return undefined;
    for (const { item } of scored) committing.set(item.key, item);
    // commits run one after another in scoring order, so log order is the feature store's order
    const previous = lastCommit;
    const chained = (async () => {
      await previous;
      await commit(scored, settle);
    })();
    lastCommit = chained.catch(() => undefined);
    return { commit: chained };
  }

  /** 4-5. One transaction for the whole batch, then the answers. */
  async function commit(
    scored: readonly { item: EventItem; decision: Decision; json: string }[],
    settle: (key: string, r: IngestResult | { error: unknown }) => void,
  ): Promise<void> {
    const now = clock.now();
    const started = performance.now();
    const rows: EventWithDecision[] = scored.map(({ item, decision, json }) => {
      const e = item.event;
      return {
        event: {
          appId: e.app,
          id: e.id,
          type: e.type,
          at: e.at,
          userId: e.user ?? null,
          receivedAt: item.receivedAt,
          payload: JSON.stringify(e),
          wallet: e.wallet ?? null,
          device: e.device ?? null,
        },
        decision: {
          appId: e.app,
          eventId: e.id,
          userId: e.user ?? null,
          type: e.type,
          at: e.at,
          risk: decision.risk,
          score: decision.score,
          level: decision.level,
          outcome: decision.outcome,
          flag: decision.flag,
          createdAt: now,
          payload: json,
          signals: signalRows(decision),
        },
      };
    });
    const activityOf = (keep: (i: number) => boolean): UserActivity[] => {
      const out: UserActivity[] = [];
      scored.forEach(({ item, decision }, i) => {
        const e = item.event;
        if (e.user === undefined || !keep(i)) return;
        out.push({
          appId: e.app,
          userId: e.user,
          tier: e.tier,
          at: e.at,
          risk: decision.risk,
          score: decision.score,
          level: decision.level,
          behaviorScore: decision.behaviorScore,
          accessLevel: decision.accessLevel,
        });
      });
      return out;
    };
    let seqs: Map<string, number> | undefined;
    let committed: CommittedDecision[] = [];
    try {
      // the fast path: no hook has work, so the batch commits in one piece
      const decided =
        db.atomic === undefined ? [] : scored.map(({ item, decision }) => ({ event: item.event, decision }));
      if (db.atomic !== undefined && !hooks.some((h) => h.needed?.(decided) ?? true)) {
        const r = await appendAtomic(db, rows, [
          userActivityPart(
            db,
            activityOf(() => true),
            now,
          ),
        ]);
        if (r instanceof Map) seqs = r;
      }
      seqs ??= await db.transaction(async (tx) => {
        committed = [];
        const store = createEventStore(tx);
        const inserted = await store.insertNew(rows.map((r) => r.event));
        const decisionRows: NewDecisionRow[] = [];
        const kept = new Set<number>();
        scored.forEach(({ item, decision }, i) => {
          const seq = inserted.get(item.key);
          if (seq === undefined) return; // another process stored this id first
          kept.add(i);
          if (hooks.length > 0) committed.push({ seq, event: item.event, decision });
          decisionRows.push({ ...rows[i]!.decision, eventSeq: seq });
        });
        await store.insertDecisions(decisionRows);
        await createUserStore(tx).recordActivity(
          activityOf((i) => kept.has(i)),
          now,
        );
        if (committed.length > 0) for (const hook of hooks) await hook.onCommit(tx, committed);
        return inserted;
      });
    } catch (err) {
      opts.onCommitError?.(err);
      for (const { item } of scored) settle(item.key, { error: unavailable(err) });
      return;
    }
    metrics?.commitDuration.observe((performance.now() - started) / 1000);
    metrics?.commitBatchSize.observe(scored.length);
    for (const hook of committed.length > 0 ? hooks : []) {
      try {
        hook.afterCommit?.(committed);
      } catch {
        // a notification only: the decisions are committed and get answered regardless
      }
    }

    // 5. answer: committed ones with their decision, lost races with the winner's decision
    const lost: EventItem[] = [];
    for (const { item, decision, json } of scored) {
      const seq = seqs.get(item.key);
      if (seq === undefined) {
        lost.push(item);
        continue;
      }
      if (seq > lastSeq) lastSeq = seq;
      metrics?.decisions.inc({ level: decision.level, outcome: decision.outcome });
      settle(item.key, { ok: true, json, duplicate: false, decision });
    }
    for (const item of lost) {
      try {
        const payload = (await events.findDecisionPayloads(item.event.app, [item.event.id])).get(
          item.event.id,
        );
        if (payload === undefined) throw new Error(`event ${item.event.id} vanished after a conflict`);
        settle(item.key, { ok: true, json: payload, duplicate: true });
      } catch (err) {
        settle(item.key, { error: unavailable(err) });
      }
    }
  }

  function enqueue(appId: string, input: unknown, now: number): Promise<IngestResult> | IngestResult {
    const v = validate(appId, input, now);
    if ('problems' in v) return { ok: false, problems: v.problems };
    const push = (event: VigilEvent): Promise<IngestResult> => {
      if (closing) return Promise.reject(new DomainError('unavailable', 'the server is shutting down'));
      const p = new Promise<IngestResult>((resolve, reject) => {
        queue.push({
          kind: 'event',
          event,
          key: eventKey(appId, event.id),
          receivedAt: now,
          resolve,
          reject,
        });
      });
      schedule();
      return p;
    };
    return deps.enrich ? deps.enrich(v.event).then(push) : push(v.event);
  }

  return {
    async submit(appId, input) {
      if (closing) throw new DomainError('unavailable', 'the server is shutting down');
      const r = enqueue(appId, input, clock.now());
      schedule();
      return r;
    },
    async submitMany(appId, inputs) {
      if (closing) throw new DomainError('unavailable', 'the server is shutting down');
      const now = clock.now();
      const pending = inputs.map((input) => enqueue(appId, input, now));
      schedule();
      return Promise.all(
        pending.map((p) =>
          Promise.resolve(p).catch((err: unknown) =>
            err instanceof DomainError ? err : new DomainError('internal', 'scoring failed', { cause: err }),
          ),
        ),
      );
    },
    exclusive(fn) {
      return new Promise((resolve, reject) => {
        queue.push({
          kind: 'task',
          run: () => fn().then(resolve, reject),
        });
        schedule();
      });
    },
    depth: () => queue.length,
    lastSeq: () => lastSeq,
    async close() {
      closing = true;
      for (;;) {
        if (running || scheduled) await idle;
        else if (queue.length > 0) schedule();
        else if (inFlight.length > 0) await inFlight[0];
        else break;
      }
    },
  };
}

function unavailable(cause: unknown): DomainError {
  return new DomainError('unavailable', 'the event could not be stored; retry with the same id', { cause });
}

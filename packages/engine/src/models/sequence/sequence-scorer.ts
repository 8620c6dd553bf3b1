/**
 * Stream scoring with a sequence model: one GRU step per event. The scorer keeps, per user, the
 * hidden state and the time of the last event (H + 1 numbers), so each new event costs
 * 3H(D + H) multiply-adds, O(H²), whatever the length of the user's history, and scores exactly
 * as training did (state carried from event to event). Memory is bounded: beyond `maxUsers`
 * the least recently seen user is forgotten (its next event starts from a fresh state, flagged
 * as a first event).
 */
import { ByteReader, ByteWriter, checksum32 } from '../../features/snapshot-codec.js';
import { checksumString } from '../model-package.js';
import { gruStep } from './gru.js';
import type { SequenceEvent } from './sequence-encoder.js';
import type { SequenceModel } from './sequence-model.js';

/** Options of {@link createSequenceScorer}. */
export interface SequenceScorerOptions {
  /** Users kept in memory (least recently seen forgotten first), default 100,000. */
  readonly maxUsers?: number;
}

/** A stateful per-user scorer over a live event stream. */
export interface SequenceScorer {
  /** Probability that this event of `user` is malicious; advances the user's state. */
  score(user: string, event: SequenceEvent): number;
  /** Probability the event would get, without changing any state. */
  peek(user: string, event: SequenceEvent): number;
  /** Forgets one user. */
  forget(user: string): void;
  /** Users currently held. */
  readonly users: number;
  /**
   * Identifies the model the state belongs to (shape, inputs and a checksum of the weights):
   * a state saved by one model is refused by another.
   */
  readonly fingerprint: string;
  /**
   * Every user's state (hidden values and last event time, least recently seen first) as bytes,
   * exactly: restoring them scores the next events as if the scorer had never stopped.
   */
  save(): Uint8Array;
  /**
   * Replaces every user's state with saved bytes. Throws, leaving the current state untouched,
   * on corrupt bytes or a state saved by another model (see `fingerprint`).
   */
  restore(bytes: Uint8Array): void;
  /** Forgets every user. */
  clear(): void;
}

/** Format byte of saved scorer states (distinct from the feature snapshots' own versions). */
const STATE_FORMAT = 0x81;

interface UserState {
  readonly h: Float64Array;
  lastAt: number;
}

/**
 * Creates a stream scorer for a trained or loaded sequence model.
 * @example
 * const scorer = createSequenceScorer(model, { maxUsers: 50_000 });
 * const p = scorer.score(event.user, { type: event.type, at: event.at, amount: event.amount });
 */
export function createSequenceScorer(model: SequenceModel, opts: SequenceScorerOptions = {}): SequenceScorer {
  const maxUsers = opts.maxUsers ?? 100_000;
  if (!Number.isInteger(maxUsers) || maxUsers < 1)
    throw new Error('sequence scorer: maxUsers must be a positive integer');
  const { layout, theta, encoder } = model;
  const H = layout.hidden;
  const x = new Float64Array(layout.inputs);
  const tmp = new Float64Array(3 * H);
  const scratch = new Float64Array(H);
  const states = new Map<string, UserState>();
  const weights = checksum32(new Uint8Array(theta.buffer, theta.byteOffset, theta.byteLength));
  const inputs = checksumString(JSON.stringify([encoder.eventTypes, encoder.scaling]));
  const fingerprint = `gru:${layout.inputs}x${H}:${((weights ^ inputs) >>> 0).toString(16).padStart(8, '0')}`;
  const step = (state: UserState | undefined, event: SequenceEvent, h: Float64Array): number => {
    encoder.encode(event, state?.lastAt, x, 0);
    const o = gruStep(theta, layout, x, 0, h, tmp);
    return 1 / (1 + Math.exp(-o));
  };
  return {
    score(user, event) {
      const state = states.get(user);
      if (state === undefined) {
        if (states.size >= maxUsers) {
          const oldest = states.keys().next();
          if (oldest.done !== true) states.delete(oldest.value);
        }
        const fresh: UserState = { h: new Float64Array(H), lastAt: event.at };
        const p = step(undefined, event, fresh.h);
        states.set(user, fresh);
        return p;
      }
      // move to the most recent end of the map's order
      states.delete(user);
      states.set(user, state);
      const p = step(state, event, state.h);
      if (event.at > state.lastAt) state.lastAt = event.at;
      return p;
    },
    peek(user, event) {
      const state = states.get(user);
      if (state === undefined) scratch.fill(0);
      else scratch.set(state.h);
      return step(state, event, scratch);
    },
    forget(user) {
      states.delete(user);
    },
    get users() {
      return states.size;
    },
    fingerprint,
    save() {
      const w = new ByteWriter(STATE_FORMAT, 64 + states.size * (8 * H + 32));
      w.str(fingerprint);
      w.u32(states.size);
      // map order is recency order: saving it keeps which user is forgotten next
      for (const [user, s] of states) {
        w.str(user);
        w.f64(s.lastAt);
        w.raw(s.h, H);
      }
      return w.finish();
    },
    restore(bytes) {
      let r: ByteReader;
      try {
        r = ByteReader.open(bytes, STATE_FORMAT);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`gru state: corrupt: ${reason.replace(/^corrupt feature snapshot: /, '')}`);
      }
      const saved = r.str();
      if (saved !== fingerprint)
        throw new Error(`gru state: saved by model ${saved}, this model is ${fingerprint}`);
      const n = r.count(Math.floor(bytes.length / (8 * (H + 1))), 'users');
      const next = new Map<string, UserState>();
      for (let i = 0; i < n; i++) {
        const user = r.str();
        const lastAt = r.f64();
        const h = new Float64Array(H);
        r.raw(h, H);
        if (!Number.isFinite(lastAt) || !h.every(Number.isFinite) || next.has(user))
          throw new Error(`gru state: invalid entry ${i}`);
        next.set(user, { h, lastAt });
      }
      r.done();
      // a smaller bound than the saving scorer's keeps the most recently seen users
      let excess = next.size - maxUsers;
      for (const user of next.keys()) {
        if (excess-- <= 0) break;
        next.delete(user);
      }
      states.clear();
      for (const [user, s] of next) states.set(user, s);
    },
    clear() {
      states.clear();
    },
  };
}

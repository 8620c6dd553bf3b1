/**
 * Stream scoring with a sequence model: one GRU step per event. The scorer keeps, per user, the
 * hidden state and the time of the last event (H + 1 numbers), so each new event costs
 * 3H(D + H) multiply-adds, O(H²), whatever the length of the user's history, and scores exactly
 * as training did (state carried from event to event). Memory is bounded: beyond `maxUsers`
 * the least recently seen user is forgotten (its next event starts from a fresh state, flagged
 * as a first event).
 */
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
}

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
  };
}

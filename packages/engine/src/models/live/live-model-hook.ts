import type { Cell } from '../../data/data-table.js';
import type { ModelContribution, ModelHook } from '../model-hook.js';
import { compileLiveFeatures } from './live-features.js';
import { loadModelPackage, parseModelPackage, type LoadedModel } from './model-package.js';
import { createSequenceScorer } from '../sequence/sequence-scorer.js';
import { loadSequencePackage } from './sequence-package.js';

/** Options of {@link createLiveModelHook}. */
export interface LiveModelHookOptions {
  /** The hook id (the decision's `models[].model`), e.g. the registry name. */
  readonly id: string;
  readonly version?: string;
  /** true: counts towards the decision; false: shadow. */
  readonly live: boolean;
  /** Contributions reported per event (default 5, largest absolute first). */
  readonly maxContributions?: number;
  /** gru only: users whose state is kept (least recently seen forgotten first), default 100,000. */
  readonly maxUsers?: number;
}

/**
 * The state a model hook carries from event to event (a gru's per-user hidden values), so a
 * server can save it beside its feature snapshots, at the same log position, and restore it
 * before replaying the events after them.
 */
export interface ModelHookState {
  /** Identifies the model (shape, inputs, weights); `restore` refuses a state saved by another. */
  readonly fingerprint: string;
  /** Users held. */
  readonly users: number;
  /** The whole state as bytes. */
  save(): Uint8Array;
  /** Replaces the state; throws (state untouched) on corrupt bytes or another model's state. */
  restore(bytes: Uint8Array): void;
  /** Forgets everything (the next events start from a fresh state). */
  clear(): void;
}

/** A hook whose scores depend on the events it scored before. */
export interface StatefulModelHook extends ModelHook {
  readonly state: ModelHookState;
}

function isHookState(x: unknown): x is ModelHookState {
  return (
    typeof x === 'object' &&
    x !== null &&
    'fingerprint' in x &&
    typeof x.fingerprint === 'string' &&
    'save' in x &&
    typeof x.save === 'function' &&
    'restore' in x &&
    typeof x.restore === 'function' &&
    'clear' in x &&
    typeof x.clear === 'function'
  );
}

/**
 * The state of a stateful hook (gru), or undefined for a stateless one.
 * @example const state = modelHookState(hook); if (state) saved.set(hook.id, state.save());
 */
export function modelHookState(hook: ModelHook): ModelHookState | undefined {
  return 'state' in hook && isHookState(hook.state) ? hook.state : undefined;
}

/**
 * The hook of a gru package: a stream scorer keeping each user's GRU state. Every `score` call
 * advances the event's user by one step, so the state depends only on the order of the events
 * fed to it: replaying the same events in the same order rebuilds the same state. The state is
 * bounded by `maxUsers` and exposed as `state` (see {@link ModelHookState}) so it can be saved
 * and restored exactly; an event without a user is scored from a fresh state and changes nothing.
 * @example
 * const hook = createSequenceModelHook(JSON.parse(row.package), { id: 'seq', live: true, maxUsers: 50_000 });
 * createEngine({ models: [hook] });
 */
export function createSequenceModelHook(pkg: unknown, opts: LiveModelHookOptions): StatefulModelHook {
  const { model } = loadSequencePackage(pkg);
  const scorer = createSequenceScorer(model, opts.maxUsers === undefined ? {} : { maxUsers: opts.maxUsers });
  const none: readonly ModelContribution[] = [];
  const anonymous = '\u0000anonymous';
  const state: ModelHookState = {
    fingerprint: scorer.fingerprint,
    get users() {
      return scorer.users;
    },
    save: () => scorer.save(),
    restore: (bytes) => scorer.restore(bytes),
    clear: () => scorer.clear(),
  };
  const hook: StatefulModelHook = {
    id: opts.id,
    live: opts.live,
    features: [],
    state,
    score(ctx) {
      const e = ctx.event;
      const input =
        e.amount === undefined ? { type: e.type, at: e.at } : { type: e.type, at: e.at, amount: e.amount };
      const score = e.user === undefined ? scorer.peek(anonymous, input) : scorer.score(e.user, input);
      return { score, contributions: none };
    },
  };
  return opts.version === undefined ? hook : { ...hook, version: opts.version };
}

/**
 * Turns a stored model package into an engine model hook: its input columns become live feature
 * specs (see live-features.ts), each event's values go through the saved preprocessor and the
 * model. A gru package becomes a {@link createSequenceModelHook} (stateful, per user). Throws when the package is corrupt or a column cannot be computed from live events.
 * @example
 * const hook = createLiveModelHook(JSON.parse(row.package), { id: 'fraud-gbdt', version: '3', live: true });
 * createEngine({ models: [hook] });
 */
export function createLiveModelHook(pkg: unknown, opts: LiveModelHookOptions): ModelHook {
  const envelope = parseModelPackage(pkg);
  if (envelope.kind === 'gru') return createSequenceModelHook(envelope, opts);
  const model: LoadedModel = loadModelPackage(envelope);
  const set = compileLiveFeatures(model.pkg.features);
  const names = model.preprocessor.featureNames;
  const max = opts.maxContributions ?? 5;
  const record: Record<string, Cell> = {};
  const hook: ModelHook = {
    id: opts.id,
    live: opts.live,
    features: set.specs,
    score(ctx) {
      set.fill(ctx.event, ctx.features, record);
      const row = model.preprocessor.transformRecord(record);
      const score = model.scoreRow(row);
      const c = model.contributions(row);
      const top: ModelContribution[] = [];
      for (let i = 0; i < c.length; i++) {
        const v = c[i]!;
        if (v === 0 || !Number.isFinite(v)) continue;
        top.push({ feature: names[i] ?? `f${i}`, value: v });
      }
      top.sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
      if (top.length > max) top.length = max;
      return { score, contributions: top };
    },
  };
  return opts.version === undefined ? hook : { ...hook, version: opts.version };
}

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
 * The hook of a gru package: a stream scorer keeping each user's GRU state. Every `score` call
 * advances the event's user by one step, so the state depends only on the order of the events
 * fed to it: replaying the same events in the same order rebuilds the same state. The state is
 * process memory (never snapshotted), bounded by `maxUsers`; an event without a user is scored
 * from a fresh state and changes nothing.
 * @example
 * const hook = createSequenceModelHook(JSON.parse(row.package), { id: 'seq', live: true, maxUsers: 50_000 });
 * createEngine({ models: [hook] });
 */
export function createSequenceModelHook(pkg: unknown, opts: LiveModelHookOptions): ModelHook {
  const { model } = loadSequencePackage(pkg);
  const scorer = createSequenceScorer(model, opts.maxUsers === undefined ? {} : { maxUsers: opts.maxUsers });
  const none: readonly ModelContribution[] = [];
  const anonymous = '\u0000anonymous';
  const hook: ModelHook = {
    id: opts.id,
    live: opts.live,
    features: [],
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

import type { Cell } from '../../data/data-table.js';
import type { ModelContribution, ModelHook } from '../model-hook.js';
import { compileLiveFeatures } from './live-features.js';
import { loadModelPackage, type LoadedModel } from './model-package.js';

/** Options of {@link createLiveModelHook}. */
export interface LiveModelHookOptions {
  /** The hook id (the decision's `models[].model`), e.g. the registry name. */
  readonly id: string;
  readonly version?: string;
  /** true: counts towards the decision; false: shadow. */
  readonly live: boolean;
  /** Contributions reported per event (default 5, largest absolute first). */
  readonly maxContributions?: number;
}

/**
 * Turns a stored model package into an engine model hook: its input columns become live feature
 * specs (see live-features.ts), each event's values go through the saved preprocessor and the
 * model. Throws when the package is corrupt or a column cannot be computed from live events.
 * @example
 * const hook = createLiveModelHook(JSON.parse(row.package), { id: 'fraud-gbdt', version: '3', live: true });
 * createEngine({ models: [hook] });
 */
export function createLiveModelHook(pkg: unknown, opts: LiveModelHookOptions): ModelHook {
  const model: LoadedModel = loadModelPackage(pkg);
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

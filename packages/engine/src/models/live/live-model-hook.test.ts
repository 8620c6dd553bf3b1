import { describe, expect, it } from 'vitest';
import { createTable, type Cell } from '../../data/data-table.js';
import { createEngine, type Engine } from '../../engine.js';
import type { SimEvent } from '../../simulator/simulated-event.js';
import { simulate } from '../../simulator/simulator.js';
import { createLiveModelHook, modelHookState } from './live-model-hook.js';
import { trainSequencePackage } from './sequence-package.js';

const stream = simulate({ seed: 5, users: 60, attackRate: 0.1 }, 3000).filter(
  (x) => typeof x.event.user === 'string',
);
const cols = ['user', 'type', 'amount', 'at', 'is_fraud'];
const rows: Cell[][] = stream.map((x) => [
  x.event.user ?? '',
  x.event.type,
  x.event.amount ?? null,
  x.event.at,
  x.label.malicious ? 1 : 0,
]);
const table = createTable(
  cols,
  cols.map((_, c) => rows.map((r) => r[c]!)),
);
const gru = trainSequencePackage(table, { label: 'is_fraud', epochs: 1, hidden: 4 }).package;

describe('gru hook state', () => {
  it('is exposed on gru hooks only, survives the version wrapper and restores exactly', () => {
    const hook = createLiveModelHook(gru, { id: 'seq', version: '2', live: true });
    const state = modelHookState(hook);
    expect(state?.fingerprint).toMatch(/^gru:\d+x4:[0-9a-f]{8}$/);
    const engine = createEngine({ detectors: [], models: [hook] });
    const events = stream.map((x) => x.event);
    const half = 1500;
    const scoreOf = (e: Engine, input: SimEvent): number => {
      const r = e.process(input, { now: input.at, app: 'sim' });
      if (!r.ok) throw new Error('invalid simulated event');
      return r.value.decision.models[0]!.score;
    };
    for (const e of events.slice(0, half)) scoreOf(engine, e);
    expect(state!.users).toBeGreaterThan(10);

    const again = createLiveModelHook(gru, { id: 'seq', version: '2', live: true });
    modelHookState(again)!.restore(state!.save());
    const other = createEngine({ detectors: [], models: [again] });
    for (const e of events.slice(half)) expect(scoreOf(other, e)).toBe(scoreOf(engine, e));
    modelHookState(again)!.clear();
    expect(modelHookState(again)!.users).toBe(0);
  });

  it('stateless hooks have none', () => {
    expect(
      modelHookState({ id: 'x', live: true, features: [], score: () => ({ score: 0, contributions: [] }) }),
    ).toBeUndefined();
  });
});

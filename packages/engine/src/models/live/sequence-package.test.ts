import { describe, expect, it } from 'vitest';
import { createTable, type Cell } from '../../data/data-table.js';
import { DataError } from '../../data/data-error.js';
import { createEngine } from '../../engine.js';
import { simulate } from '../../simulator/simulator.js';
import { createLiveModelHook } from './live-model-hook.js';
import { loadModelPackage, parseModelPackage } from './model-package.js';
import { loadSequencePackage, sequenceEventsFromTable, trainSequencePackage } from './sequence-package.js';

/** Simulator events with a user, as an event table (at as ISO text for half the rows). */
function simTable(count: number): {
  table: ReturnType<typeof createTable>;
  stream: ReturnType<typeof simulate>;
} {
  const stream = simulate({ seed: 3, users: 300, attackRate: 0.05 }, count).filter(
    (x) => typeof x.event.user === 'string',
  );
  const rows: Cell[][] = stream.map((x, i) => [
    x.event.user ?? '',
    x.event.type,
    x.event.amount ?? null,
    i % 2 === 0 ? x.event.at : new Date(x.event.at).toISOString(),
    x.label.malicious ? 1 : 0,
  ]);
  const cols = ['user', 'type', 'amount', 'at', 'is_fraud'];
  return {
    table: createTable(
      cols,
      cols.map((_, c) => rows.map((r) => r[c]!)),
    ),
    stream,
  };
}

describe('gru model package', () => {
  const { table, stream } = simTable(12_000);
  const trained = trainSequencePackage(table, { label: 'is_fraud', epochs: 6, hidden: 8 });

  it('reads an event table (ISO and epoch ms times) and names bad cells', () => {
    const { events } = sequenceEventsFromTable(table, 'is_fraud');
    expect(events[1]!.at).toBe(stream[1]!.event.at);
    const bad = createTable(['user', 'type', 'amount', 'at'], [['u'], ['login'], [3], ['yesterday']]);
    expect(() => sequenceEventsFromTable(bad)).toThrow(/row 1: "yesterday" in at is not a date-time/);
    const missing = createTable(['user', 'type', 'at'], [['u'], ['login'], [1]]);
    expect(() => sequenceEventsFromTable(missing)).toThrow(/"amount" is not in the data/);
  });

  it('trains on held-in users, evaluates on held-out users and round-trips', () => {
    const pkg = trained.package;
    expect(pkg.kind).toBe('gru');
    expect(pkg.training.testRows).toBeGreaterThan(0);
    expect(pkg.training.rows + pkg.training.testRows).toBe(table.rows);
    expect(pkg.metrics?.rocAuc).toBeGreaterThan(0.7);
    expect(pkg.evaluation?.scores.length).toBe(pkg.training.testRows);
    const again = loadSequencePackage(JSON.stringify(pkg));
    const a = again.scoreTable(table);
    const b = trained.model.scoreTable(table);
    expect(a[100]).toBeCloseTo(b[100]!, 12);
    expect(() => loadModelPackage(pkg)).toThrow(/loadSequencePackage/);
  });

  it('refuses a corrupt gru package', () => {
    const pkg = trained.package;
    const model = pkg.model as Record<string, unknown>;
    expect(() => loadSequencePackage({ ...pkg, model: { ...model, hidden: 9 } })).toThrow(
      /checksum mismatch/,
    );
    const text = JSON.stringify(pkg);
    expect(() => loadSequencePackage(text.slice(0, -10))).toThrow(DataError);
    expect(() => createLiveModelHook({ ...pkg, preprocessor: {} }, { id: 'g', live: true })).toThrow(
      /gru package has no preprocessor/,
    );
    expect(() =>
      parseModelPackage({ ...pkg, evaluation: { scores: [1], labels: [], threshold: 0.5 } }),
    ).toThrow(/evaluation scores/);
  });

  it('stream scores in the engine equal batch scores, live counts and shadow does not', () => {
    const run = (live: boolean) => {
      const engine = createEngine({
        detectors: [],
        models: [createLiveModelHook(trained.package, { id: 'seq', version: '1', live })],
      });
      const scores: number[] = [];
      const risks: number[] = [];
      const outcomes: string[] = [];
      for (const x of stream.slice(0, 3000)) {
        const r = engine.process(x.event, { now: x.event.at, app: 'sim' });
        if (!r.ok) throw new Error('invalid event');
        const m = r.value.decision.models.find((d) => d.model === 'seq');
        if (m === undefined) throw new Error('no model score');
        expect(m.version).toBe('1');
        scores.push(m.score);
        risks.push(r.value.decision.risk);
        outcomes.push(r.value.decision.outcome);
      }
      return { scores, risks, outcomes };
    };
    const live = run(true);
    const again = run(true);
    expect(again.scores).toEqual(live.scores); // deterministic in event order
    const sub = createTable(
      table.columns,
      table.data.map((c) => c.slice(0, 3000)),
    );
    const batch = trained.model.scoreTable(sub);
    for (const i of [0, 10, 500, 2999]) expect(live.scores[i]).toBeCloseTo(batch[i]!, 9);
    const shadow = run(false);
    const none = createEngine({ detectors: [] });
    const baseline = stream.slice(0, 3000).map((x) => {
      const r = none.process(x.event, { now: x.event.at, app: 'sim' });
      if (!r.ok) throw new Error('invalid');
      return r.value.decision.outcome;
    });
    expect(shadow.outcomes).toEqual(baseline);
    expect(shadow.scores).toEqual(live.scores);
    expect(live.risks.reduce((a, b) => a + b, 0)).toBeGreaterThan(shadow.risks.reduce((a, b) => a + b, 0));
  });

  it('a bounded hook forgets the least recently seen users', () => {
    const hook = createLiveModelHook(trained.package, { id: 'seq', live: true, maxUsers: 1 });
    const engine = createEngine({ detectors: [], models: [hook] });
    const ev = (user: string, i: number) => ({
      id: `b${i}`,
      type: 'login' as const,
      user,
      at: 1e12 + i * 60_000,
    });
    const first = engine.process(ev('a', 0), { now: 1e12, app: 'x' });
    engine.process(ev('a', 1), { now: 1e12, app: 'x' });
    engine.process(ev('b', 2), { now: 1e12, app: 'x' });
    const back = engine.process(ev('a', 3), { now: 1e12, app: 'x' });
    if (!first.ok || !back.ok) throw new Error('invalid');
    // 'a' was forgotten, so its next event is scored as a first event again
    expect(back.value.decision.models[0]!.score).toBeCloseTo(first.value.decision.models[0]!.score, 12);
  });
});

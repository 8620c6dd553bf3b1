import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import { HOUR, MINUTE, SECOND } from '../../features/feature-spec.js';
import { compilePlan } from '../../features/feature-store.js';
import { createMemoryFeatureStore } from '../../features/memory-store.js';
import { emptyLists, type ListHit, type ListLookup } from '../../lists/list-lookup.js';
import type { DetectorOutput } from '../detector.js';
import { createOracleDetectors } from './index.js';

const T0 = Date.UTC(2026, 2, 10, 14, 0);

/** All five analyzers over one real in-memory store, one event after another. */
function createPipeline(lists: ListLookup = emptyLists) {
  const detectors = createOracleDetectors();
  const plan = compilePlan(detectors.flatMap((d) => d.features));
  const store = createMemoryFeatureStore();
  let n = 0;
  return (over: Partial<VigilEvent> & { at: number }): DetectorOutput => {
    const event: VigilEvent = { id: `e${++n}`, app: 'app', type: 'transfer', ...over };
    const features = store.evaluate(plan, event);
    const out: DetectorOutput = { signals: [], facets: {} };
    for (const d of detectors) d.detect({ event, features, lists, now: event.at }, out);
    return out;
  };
}

const alerts = (out: DetectorOutput) => out.signals.map((s) => s.alert).filter((a) => a !== undefined);

describe('oracle analyzers on the in-memory feature store', () => {
  it('a round trip A→B→A is wash trading', () => {
    const run = createPipeline();
    const first = run({ at: T0, wallet: 'A', counterparty: 'B', amount: 1_000 });
    expect(alerts(first)).toEqual([]);
    expect(first.facets.analyzers?.pattern).toBe(0);
    // An unrelated transfer does not disturb the pair state.
    run({ at: T0 + 5 * MINUTE, wallet: 'B', counterparty: 'C', amount: 1_000 });
    const back = run({ at: T0 + 20 * MINUTE, wallet: 'B', counterparty: 'A', amount: 990 });
    expect(back.facets.analyzers?.pattern).toBe(80);
    expect(alerts(back)).toContain('WASH_TRADING');
    expect(back.signals.find((s) => s.alert === 'WASH_TRADING')?.evidence).toMatchObject({
      amount: 990,
      returned: 1_000,
      gapMs: 20 * MINUTE,
    });
  });

  it("a three-wallet ring with fresh amounts each round is caught from the loop's last leg on", () => {
    const run = createPipeline();
    const codes = (out: DetectorOutput) => out.signals.map((s) => s.code);
    const ring = ['A', 'B', 'C'];
    const leg = (i: number): { wallet: string; counterparty: string } => ({
      wallet: ring[i % 3] ?? '',
      counterparty: ring[(i + 1) % 3] ?? '',
    });
    const seen: string[][] = [];
    let t = T0;
    for (let round = 0; round < 3; round++) {
      const amount = [2_500, 780, 3_900][round] ?? 0;
      for (let i = 0; i < 3; i++) {
        t += 4 * MINUTE;
        seen.push(codes(run({ at: t, ...leg(i), amount: amount - i })));
      }
      t += 20 * MINUTE;
    }
    // Round 1: A→B is an ordinary payment, B→C passes the money through, C→A closes the loop.
    expect(seen[0]).toEqual([]);
    expect(seen[1]).toContain('oracle.pattern.pass_through');
    expect(seen[2]).toContain('oracle.pattern.cycle');
    // Every later leg closes the loop again.
    for (const legs of seen.slice(3)) expect(legs).toContain('oracle.pattern.cycle');
  });

  it('the same direction twice is not a round trip', () => {
    const run = createPipeline();
    run({ at: T0, wallet: 'A', counterparty: 'B', amount: 1_000 });
    const again = run({ at: T0 + 20 * MINUTE, wallet: 'A', counterparty: 'B', amount: 1_000 });
    expect(alerts(again)).not.toContain('WASH_TRADING');
    expect(again.facets.analyzers?.pattern).toBe(0);
  });

  it('a structuring sequence climbs 70 → 80 → 90', () => {
    const run = createPipeline();
    const scores = [9_500, 9_700, 9_600].map(
      (amount, i) =>
        run({ at: T0 + i * 2 * HOUR, wallet: 'A', counterparty: `shop${i}`, amount }).facets.analyzers
          ?.amount,
    );
    expect(scores).toEqual([70, 80, 90]);
    const plain = run({ at: T0 + 7 * HOUR, wallet: 'A', counterparty: 'shop9', amount: 120 });
    expect(plain.facets.analyzers?.amount).toBe(0);
  });

  it('a large borrow and repay within seconds is a flash loan', () => {
    const run = createPipeline();
    run({ at: T0, wallet: 'POOL', counterparty: 'X', amount: 2_000_000 });
    const repay = run({ at: T0 + 12 * SECOND, wallet: 'X', counterparty: 'POOL', amount: 2_001_800 });
    expect(repay.facets.analyzers?.velocity).toBe(95);
    expect(alerts(repay)).toContain('FLASH_LOAN_ATTACK');
    expect(alerts(repay)).not.toContain('WASH_TRADING');
  });

  it('paying an address that recently paid a sanctioned one is one hop from sanctioned', () => {
    const listed: Record<string, ListHit> = {
      S: { verdict: 'block', label: 'sanctioned', weight: 1, match: 'S' },
    };
    const run = createPipeline({ lookup: (kind, v) => (kind === 'wallet' ? listed[v] : undefined) });
    const direct = run({ at: T0, wallet: 'B', counterparty: 'S', amount: 500 });
    expect(direct.facets.analyzers?.graph).toBe(100);
    const hop = run({ at: T0 + HOUR, wallet: 'A', counterparty: 'B', amount: 100 });
    expect(hop.facets.analyzers?.graph).toBe(70);
    expect(hop.signals.find((s) => s.category === 'graph')).toMatchObject({
      code: 'oracle.graph.recipient_history_sanctioned',
      alert: 'SANCTIONED_INTERACTION',
    });
    const clean = run({ at: T0 + HOUR, wallet: 'A', counterparty: 'C', amount: 100 });
    expect(clean.facets.analyzers?.graph).toBe(0);
  });

  it('accounts sharing one device form a Sybil cluster', () => {
    const run = createPipeline();
    let out: DetectorOutput | undefined;
    for (let i = 0; i < 5; i++) {
      out = run({
        at: T0 + i * MINUTE,
        user: `u${i}`,
        device: 'dev1',
        wallet: `W${i}`,
        counterparty: 'Z',
        amount: 10,
      });
    }
    expect(out?.facets.analyzers?.graph).toBe(65);
    expect(out && alerts(out)).toContain('SYBIL_ATTACK');
  });

  it('writes all five analyzer scores on every money event', () => {
    const run = createPipeline();
    const out = run({ at: T0, wallet: 'A', counterparty: 'B', amount: 100 });
    expect(out.facets.analyzers).toEqual({ velocity: 0, amount: 0, pattern: 0, graph: 0, timing: 0 });
  });
});

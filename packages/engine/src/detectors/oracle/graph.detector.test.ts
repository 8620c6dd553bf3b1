import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import type { ListHit, ListLookup } from '../../lists/list-lookup.js';
import { createFakeFeatures, runDetectorOutput } from '../testing/fake-features.js';
import { createGraphDetector, graphFeatures } from './graph.detector.js';
import { resolveOracleOptions } from './oracle-options.js';

const T0 = Date.UTC(2026, 2, 10, 14, 0);
const opts = resolveOracleOptions();
const d = createGraphDetector(opts);
const F = graphFeatures(opts.graph);

function tx(over: Partial<VigilEvent> = {}): VigilEvent {
  return {
    id: 'e1',
    app: 'app',
    type: 'transfer',
    at: T0,
    user: 'u1',
    wallet: 'A',
    counterparty: 'B',
    amount: 100,
    ...over,
  };
}
const empty = () => createFakeFeatures(d.features);

function lists(entries: Record<string, [ListHit['verdict'], string]>): ListLookup & { calls: number } {
  const l = {
    calls: 0,
    lookup(kind: string, value: string): ListHit | undefined {
      l.calls++;
      if (kind !== 'wallet') return undefined;
      const e = entries[value];
      return e === undefined ? undefined : { verdict: e[0], label: e[1], weight: 1, match: value };
    },
  };
  return l;
}

describe('oracle.graph: direct links', () => {
  it('a sanctioned recipient scores 100 and asks for block', () => {
    const out = runDetectorOutput(d, tx(), empty(), lists({ B: ['block', 'sanctioned'] }));
    expect(out.facets.analyzers?.graph).toBe(100);
    expect(out.signals).toHaveLength(1);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.graph.sanctioned',
      score: 1,
      severity: 'critical',
      category: 'graph',
      alert: 'SANCTIONED_INTERACTION',
      action: 'block',
      evidence: { address: 'B', role: 'recipient', distance: 'direct' },
    });
  });

  it('a sanctioned sender is an interaction too', () => {
    const out = runDetectorOutput(d, tx(), empty(), lists({ A: ['block', 'sanctioned'] }));
    expect(out.facets.analyzers?.graph).toBe(100);
    expect(out.signals[0]).toMatchObject({ evidence: { role: 'sender' } });
  });

  it('other block labels are high; mixers raise MIXING_DETECTED', () => {
    const bad = runDetectorOutput(d, tx(), empty(), lists({ B: ['block', 'bad_actor'] }));
    expect(bad.facets.analyzers?.graph).toBe(80);
    expect(bad.signals[0]?.alert).toBeUndefined();
    expect(bad.signals[0]?.action).toBeUndefined();
    expect(bad.signals[0]?.severity).toBe('critical');
    const mixer = runDetectorOutput(d, tx(), empty(), lists({ B: ['block', 'mixer'] }));
    expect(mixer.facets.analyzers?.graph).toBe(85);
    expect(mixer.signals[0]?.alert).toBe('MIXING_DETECTED');
  });

  it('allow-listed parties are not bad actors', () => {
    const out = runDetectorOutput(d, tx(), empty(), lists({ B: ['allow', 'exchange'] }));
    expect(out.facets.analyzers?.graph).toBe(0);
    expect(out.signals).toEqual([]);
  });

  it('honours configured labels', () => {
    const d2 = createGraphDetector(resolveOracleOptions({ graph: { sanctionedLabels: ['ofac'] } }));
    const out = runDetectorOutput(d2, tx(), createFakeFeatures(d2.features), lists({ B: ['block', 'ofac'] }));
    expect(out.facets.analyzers?.graph).toBe(100);
    expect(out.signals[0]?.alert).toBe('SANCTIONED_INTERACTION');
  });
});

describe('oracle.graph: one hop from sanctioned', () => {
  it('the recipient recently paid a sanctioned address', () => {
    const snap = empty().set(F.recipientPaid, ['X', 'S', 'Y']);
    const out = runDetectorOutput(d, tx(), snap, lists({ S: ['block', 'sanctioned'] }));
    expect(out.facets.analyzers?.graph).toBe(70);
    expect(out.signals).toHaveLength(1);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.graph.recipient_history_sanctioned',
      alert: 'SANCTIONED_INTERACTION',
      evidence: { address: 'S', role: 'recipient', distance: 'recipient_history' },
    });
    expect(out.signals[0]?.action).toBeUndefined();
  });

  it('the recipient was recently paid by a sanctioned address', () => {
    const snap = empty().set(F.recipientPaidBy, ['S']);
    expect(
      runDetectorOutput(d, tx(), snap, lists({ S: ['block', 'sanctioned'] })).facets.analyzers?.graph,
    ).toBe(70);
  });

  it("the sender's own recent counterparties count more", () => {
    const snap = empty().set(F.senderPaidBy, ['S']).set(F.recipientPaid, ['M']);
    const out = runDetectorOutput(
      d,
      tx(),
      snap,
      lists({ S: ['block', 'sanctioned'], M: ['block', 'mixer'] }),
    );
    expect(out.facets.analyzers?.graph).toBe(85);
    expect(out.signals).toHaveLength(1);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.graph.sender_history_sanctioned',
      evidence: { address: 'S' },
    });
  });

  it('reports only the strongest history hit and skips the direct parties', () => {
    const snap = empty().set(F.senderPaid, ['B', 'Q']).set(F.recipientPaid, ['A', 'Z']);
    const out = runDetectorOutput(
      d,
      tx(),
      snap,
      lists({ B: ['block', 'bad_actor'], Q: ['block', 'bad_actor'], Z: ['block', 'sanctioned'] }),
    );
    // B is direct (80); Q is sender history (60); Z is recipient history sanctioned (70).
    expect(out.facets.analyzers?.graph).toBe(80);
    expect(out.signals.map((s) => s.code)).toEqual([
      'oracle.graph.bad_actor',
      'oracle.graph.recipient_history_sanctioned',
    ]);
  });

  it('stays quiet when no neighbour is listed', () => {
    const snap = empty()
      .set(F.senderPaid, ['C', 'D'])
      .set(F.recipientPaid, ['E'])
      .set(F.recipientPaidBy, ['F']);
    const l = lists({});
    const out = runDetectorOutput(d, tx(), snap, l);
    expect(out.facets.analyzers?.graph).toBe(0);
    expect(out.signals).toEqual([]);
    expect(l.calls).toBe(6);
  });
});

describe('oracle.graph: Sybil clusters', () => {
  it.each([
    [4, 0],
    [5, 65],
    [10, 80],
    [20, 90],
  ])('a cluster of %d accounts scores %d', (size, score) => {
    const out = runDetectorOutput(d, tx(), empty().set(F.cluster, { size }));
    expect(out.facets.analyzers?.graph).toBe(score);
    if (score > 0)
      expect(out.signals[0]).toMatchObject({ code: 'oracle.graph.sybil', alert: 'SYBIL_ATTACK' });
  });

  it('links users via devices and wallets by default, and all event types', () => {
    expect(F.cluster.via).toEqual(['device', 'wallet']);
    expect(F.cluster.types).toBeUndefined();
  });

  it('needs a user', () => {
    const { user: _u, ...event } = tx();
    expect(runDetectorOutput(d, event, empty().set(F.cluster, { size: 50 })).facets.analyzers?.graph).toBe(0);
  });
});

describe('oracle.graph: edge cases', () => {
  it('works with only a recipient', () => {
    const { wallet: _w, user: _u, ...event } = tx();
    const out = runDetectorOutput(d, event, empty(), lists({ B: ['block', 'sanctioned'] }));
    expect(out.facets.analyzers?.graph).toBe(100);
  });

  it('a self-transfer is looked up once', () => {
    const l = lists({ A: ['block', 'sanctioned'] });
    const out = runDetectorOutput(d, tx({ counterparty: 'A' }), empty(), l);
    expect(out.signals).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../ports/clock.js';
import { binMatrix, binOf, fitBins } from './binning.js';
import { trainGbdt } from './gbdt.js';
import {
  buildEnsemble,
  createShapWorkspace,
  treeEnsembleContributions,
  scoreTreeEnsemble,
  type TreeEnsemble,
} from './tree-ensemble.js';

/**
 * Path-dependent expectation of the ensemble given the features in `set` (TreeSHAP's f_S):
 * follow x on features in the set, average children by cover elsewhere.
 */
function conditional(e: TreeEnsemble, row: readonly number[], set: ReadonlySet<number>): number {
  const go = (i: number): number => {
    const f = e.feature[i]!;
    if (f < 0) return e.threshold[i]!;
    const l = e.left[i]!;
    if (set.has(f)) {
      const v = row[f]!;
      const thr = e.threshold[i]!;
      return go(v < thr ? l : v >= thr ? l + 1 : e.defaultLeft[i] ? l : l + 1);
    }
    return (e.cover[l]! * go(l) + e.cover[l + 1]! * go(l + 1)) / e.cover[i]!;
  };
  let s = e.base;
  for (let t = 0; t < e.roots.length; t++) s += go(e.roots[t]!);
  return s;
}

/** Shapley values by enumerating every subset (exponential; tiny models only). */
function bruteForceShapley(e: TreeEnsemble, row: readonly number[]): number[] {
  const m = e.features;
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const phi = new Array<number>(m).fill(0);
  for (let mask = 0; mask < 1 << m; mask++) {
    const set = new Set<number>();
    for (let j = 0; j < m; j++) if (mask & (1 << j)) set.add(j);
    const base = conditional(e, row, set);
    for (let i = 0; i < m; i++) {
      if (set.has(i)) continue;
      const w = (fact(set.size) * fact(m - set.size - 1)) / fact(m);
      phi[i]! += w * (conditional(e, row, new Set([...set, i])) - base);
    }
  }
  return phi;
}

function randomData(rows: number, cols: number, seed: number) {
  const rnd = createSeededRandom(seed);
  const x = new Float64Array(rows * cols);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++)
      x[r * cols + c] = rnd.next() < 0.05 ? NaN : Math.round(rnd.next() * 20) / 4;
    const a = x[r * cols]!;
    const b = x[r * cols + 1]!;
    y[r] = (Number.isNaN(a) ? 3 : a) + (b > 2 ? 2 : 0) + rnd.next() * 3 > 4.5 ? 1 : 0;
  }
  return { x, y };
}

describe('TreeSHAP', () => {
  it('contributions plus the expected value equal the raw score', () => {
    const { x, y } = randomData(2000, 6, 1);
    const model = trainGbdt(x, y, { features: 6, rounds: 40, maxDepth: 6, minChildWeight: 0.1 });
    let maxErr = 0;
    for (let r = 0; r < 300; r++) {
      const row = x.subarray(r * 6, r * 6 + 6);
      const phi = model.contributions(row);
      const sum = phi.reduce((a, b) => a + b, 0);
      maxErr = Math.max(maxErr, Math.abs(sum - model.score(row)));
    }
    expect(maxErr).toBeLessThan(1e-9);
  });

  it('agrees with brute-force Shapley values on a tiny model, missing values included', () => {
    const { x, y } = randomData(600, 4, 2);
    const model = trainGbdt(x, y, {
      features: 4,
      rounds: 4,
      maxDepth: 3,
      learningRate: 0.5,
      minChildWeight: 0,
    });
    const e = model.ensemble;
    const rows = [
      [1, 2.5, 0, 4],
      [NaN, 0.25, 3, NaN],
      [4.5, NaN, 1.25, 2],
      [0, 0, 0, 0],
    ];
    for (const row of rows) {
      const phi = Array.from(model.contributions(row));
      const expected = bruteForceShapley(e, row);
      for (let i = 0; i < 4; i++) expect(phi[i]).toBeCloseTo(expected[i]!, 10);
      expect(phi[4]).toBeCloseTo(conditional(e, row, new Set()), 12);
    }
  });

  it('handles a feature used twice on one path (hand-built tree)', () => {
    // x0 < 1 ? (x0 < 0 ? -2 : x1 < 5 ? 1 : 3) : 4
    const e = buildEnsemble(
      2,
      [
        {
          feature: [0, 0, -1, 1, -1, -1, -1],
          threshold: [1, 0, 4, 5, -2, 1, 3],
          left: [1, 4, -1, 5, -1, -1, -1],
          right: [2, 3, -1, 6, -1, -1, -1],
          defaultLeft: [1, 0, 0, 1, 0, 0, 0],
          value: [0, 0, 4, 0, -2, 1, 3],
          cover: [10, 6, 4, 4, 2, 3, 1],
        },
      ],
      0.5,
      false,
    );
    const ws = createShapWorkspace(e);
    for (const row of [
      [0.5, 2],
      [-1, 9],
      [3, 0],
      [NaN, 7],
      [0.5, NaN],
    ]) {
      const phi = Array.from(treeEnsembleContributions(e, row, ws));
      const brute = bruteForceShapley(e, row);
      expect(phi[0]).toBeCloseTo(brute[0]!, 12);
      expect(phi[1]).toBeCloseTo(brute[1]!, 12);
      expect(phi[0]! + phi[1]! + phi[2]!).toBeCloseTo(scoreTreeEnsemble(e, row), 12);
    }
  });
});

describe('buildEnsemble', () => {
  it('lays out siblings next to each other and rejects malformed trees', () => {
    const tree = {
      feature: [-1, 0, -1],
      threshold: [7, 0.5, 9],
      left: [-1, 0, -1],
      right: [-1, 2, -1],
      defaultLeft: [0, 1, 0],
      value: [7, 0, 9],
      cover: [1, 2, 1],
    };
    // Root must be node 0: here node 0 is a leaf, so the tree is a single leaf and nodes 1-2 are unreachable.
    expect(() => buildEnsemble(1, [tree], 0, false)).toThrow(/not reachable/);
    const ok = buildEnsemble(
      1,
      [
        {
          ...tree,
          feature: [0, -1, -1],
          threshold: [0.5, 7, 9],
          left: [2, -1, -1],
          right: [1, -1, -1],
          value: [0, 7, 9],
        },
      ],
      0,
      false,
    );
    expect(Array.from(ok.left)).toEqual([1, -1, -1]);
    expect(scoreTreeEnsemble(ok, [0])).toBe(9);
    expect(scoreTreeEnsemble(ok, [1])).toBe(7);
    expect(scoreTreeEnsemble(ok, [NaN])).toBe(7); // default direction of the root: right
    expect(() =>
      buildEnsemble(1, [{ ...tree, feature: [0, -1, -1], left: [1, -1, -1], right: [1, -1, -1] }], 0, false),
    ).toThrow(/reached twice/);
    expect(() =>
      buildEnsemble(1, [{ ...tree, feature: [3, -1, -1], left: [1, -1, -1], right: [2, -1, -1] }], 0, false),
    ).toThrow(/feature 3/);
  });

  it('compares as float32 for imported models', () => {
    const t = {
      feature: [0, -1, -1],
      threshold: [Math.fround(0.1), 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      defaultLeft: [0, 0, 0],
      value: [0, -1, 1],
      cover: [2, 1, 1],
    };
    // 0.1 in float64 is below fround(0.1) but equal to it in float32.
    expect(scoreTreeEnsemble(buildEnsemble(1, [t], 0, false), [0.1])).toBe(-1);
    expect(scoreTreeEnsemble(buildEnsemble(1, [t], 0, true), [0.1])).toBe(1);
  });
});

describe('binning', () => {
  it('gives each distinct value its own bin when there are few, with midpoint edges', () => {
    const x = Float64Array.of(3, 1, 2, 2, NaN, 1);
    const bins = fitBins(x, 6, 1);
    expect(Array.from(bins.edges[0]!)).toEqual([1.5, 2.5]);
    const m = binMatrix(x, 6, 1, bins);
    expect(Array.from(m.bins)).toEqual([2, 0, 1, 1, 3, 0]);
    expect(m.binCounts[0]).toBe(3);
    expect(m.bins).toBeInstanceOf(Uint8Array);
  });

  it('keeps at most maxBins bins, equal-count, with a heavy value in a bin of its own', () => {
    const n = 10_000;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = i < 4000 ? 0 : i;
    const edges = fitBins(x, n, 1, { maxBins: 16 }).edges[0]!;
    expect(edges.length).toBeLessThanOrEqual(15);
    expect(edges[0]).toBeGreaterThan(0);
    expect(edges[0]).toBeLessThanOrEqual(4000);
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (let i = 0; i < n; i++) counts[binOf(edges, x[i]!)]!++;
    expect(counts[0]).toBe(4000);
    for (const c of counts.slice(1)) expect(c).toBeLessThan(800);
  });

  it('bins consistently with raw-threshold comparisons', () => {
    const rnd = createSeededRandom(4);
    const x = Float64Array.from({ length: 5000 }, () => rnd.next() * 100);
    const edges = fitBins(x, 5000, 1, { maxBins: 40 }).edges[0]!;
    let mismatches = 0;
    for (let i = 0; i < 5000; i++) {
      const v = x[i]!;
      const b = binOf(edges, v);
      for (let s = 0; s < edges.length; s++) if (b <= s !== v < edges[s]!) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('switches to a Uint16 bin matrix above 255 bins', () => {
    const x = Float64Array.from({ length: 1000 }, (_, i) => i);
    const m = binMatrix(x, 1000, 1, fitBins(x, 1000, 1, { maxBins: 1000 }));
    expect(m.bins).toBeInstanceOf(Uint16Array);
    expect(m.binCounts[0]).toBe(1000);
    expect(() => fitBins(x, 1000, 1, { maxBins: 1 })).toThrow(/maxBins/);
  });
});

import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../ports/clock.js';
import { binMatrix, fitBins } from './binning.js';
import { createGrowWorkspace, growTree, type GrowParams } from './tree-grower.js';

function setup(rows: number, cols: number, maxBins: number) {
  const rnd = createSeededRandom(11);
  const x = new Float64Array(rows * cols);
  const g = new Float64Array(rows);
  const h = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++)
      x[r * cols + c] = rnd.next() < 0.05 ? NaN : Math.floor(rnd.next() * 1000) / 10;
    let y = x[r * cols]! > 50 !== x[r * cols + 1]! > 30 || Number.isNaN(x[r * cols + 2]!) ? 1 : 0;
    if (rnd.next() < 0.2) y = 1 - y;
    h[r] = 1 + Math.floor(rnd.next() * 2);
    g[r] = y * h[r]!;
  }
  const binned = binMatrix(x, rows, cols, fitBins(x, rows, cols, { maxBins }));
  return { binned, g, h };
}

describe('growTree', () => {
  it('grows the same tree from per-node histograms (sorted small nodes) as from subtracted full histograms', () => {
    for (const maxBins of [32, 1000]) {
      const { binned, g, h } = setup(3000, 4, maxBins);
      const params: GrowParams = {
        criterion: 'gini',
        maxDepth: 12,
        maxLeaves: Infinity,
        minChildWeight: 0,
        minSamplesLeaf: 2,
        lambda: 0,
        minSplitGain: 1e-12,
        leafScale: 1,
        featuresPerNode: 0,
      };
      const idx = () => Uint32Array.from({ length: 3000 }, (_, i) => i);
      const full = growTree(binned, g, h, idx(), 3000, params, createGrowWorkspace(binned));
      const perNode = growTree(
        binned,
        g,
        h,
        idx(),
        3000,
        { ...params, perNodeHistograms: true },
        createGrowWorkspace(binned),
      );
      expect(full.feature.length).toBeGreaterThan(50);
      // Same splits in the same nodes (integer statistics, so subtraction is exact).
      const shape = (t: typeof full, i: number): unknown =>
        t.feature[i] === -1
          ? [Math.round(t.value[i]! * 1e9)]
          : [t.feature[i], t.splitBin[i], t.defaultLeft[i], shape(t, t.left[i]!), shape(t, t.right[i]!)];
      expect(shape(perNode, 0)).toEqual(shape(full, 0));
    }
  });

  it('respects the leaf limit with best-first growth and the depth limit', () => {
    const { binned, g, h } = setup(2000, 4, 64);
    const tree = growTree(
      binned,
      g.map((v, i) => v - 0.5 * h[i]!),
      h,
      Uint32Array.from({ length: 2000 }, (_, i) => i),
      2000,
      {
        criterion: 'newton',
        maxDepth: 4,
        maxLeaves: 5,
        minChildWeight: 1,
        minSamplesLeaf: 1,
        lambda: 1,
        minSplitGain: 0,
        leafScale: 0.1,
        featuresPerNode: 0,
      },
      createGrowWorkspace(binned),
    );
    expect(tree.feature.filter((f) => f === -1)).toHaveLength(5);
    // Gains are non-increasing in split order only up to children discovered later; every split gains.
    for (let i = 0; i < tree.feature.length; i++)
      if (tree.feature[i]! >= 0) expect(tree.gain[i]).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../ports/clock.js';
import { createGruWorkspace, gruChunkGradient, gruLayout, gruStep, initGruParams } from './gru.js';

describe('GRU gradient', () => {
  const l = gruLayout({ inputs: 3, hidden: 4 });
  const rnd = createSeededRandom(3);
  const theta = initGruParams(l, () => rnd.next(), 0.2);
  // spread the weights so the gates are not all near 0.5
  for (let i = 0; i < theta.length; i++) theta[i] = theta[i]! * 2;
  const T = 5;
  const xs = Float64Array.from({ length: T * 3 }, () => rnd.next() * 2 - 1);
  const labels = [0, 1, 0, 0, 1];
  const weights = [1, 2, 0.5, 1, 3];
  const h0 = Float64Array.from({ length: 4 }, () => rnd.next() - 0.5);
  const masks = Float64Array.from({ length: T * 4 }, (_, i) => (i % 3 === 0 ? 0 : 1.5));
  const ws = createGruWorkspace(l, 8);

  const lossAt = (th: Float64Array, withMasks: boolean): number =>
    gruChunkGradient(
      th,
      l,
      ws,
      { xs, offset: 0, length: T, labels, weights, ...(withMasks ? { masks } : {}) },
      h0,
      new Float64Array(l.size),
      new Float64Array(4),
    );

  for (const withMasks of [false, true]) {
    it(`matches central differences to 1e-5 (dropout masks: ${withMasks})`, () => {
      const grad = new Float64Array(l.size);
      gruChunkGradient(
        theta,
        l,
        ws,
        { xs, offset: 0, length: T, labels, weights, ...(withMasks ? { masks } : {}) },
        h0,
        grad,
        new Float64Array(4),
      );
      const eps = 1e-6;
      let worst = 0;
      for (let i = 0; i < l.size; i++) {
        const plus = Float64Array.from(theta);
        const minus = Float64Array.from(theta);
        plus[i] = plus[i]! + eps;
        minus[i] = minus[i]! - eps;
        const num = (lossAt(plus, withMasks) - lossAt(minus, withMasks)) / (2 * eps);
        const rel = Math.abs(num - grad[i]!) / Math.max(1, Math.abs(num) + Math.abs(grad[i]!));
        worst = Math.max(worst, rel);
      }
      expect(worst).toBeLessThan(1e-5);
      expect(grad.some((g) => Math.abs(g) > 1e-3)).toBe(true);
    });
  }

  it('the inference step gives the training forward pass', () => {
    const hEnd = new Float64Array(4);
    gruChunkGradient(
      theta,
      l,
      ws,
      { xs, offset: 0, length: T, labels, weights },
      h0,
      new Float64Array(l.size),
      hEnd,
    );
    const h = Float64Array.from(h0);
    const tmp = new Float64Array(12);
    for (let t = 0; t < T; t++) {
      const o = gruStep(theta, l, xs, t * 3, h, tmp);
      expect(o).toBeCloseTo(ws.logit[t]!, 12);
    }
    for (let k = 0; k < 4; k++) expect(h[k]).toBeCloseTo(hEnd[k]!, 12);
  });

  it('rejects bad shapes', () => {
    expect(() => gruLayout({ inputs: 0, hidden: 4 })).toThrow(/positive integers/);
  });
});

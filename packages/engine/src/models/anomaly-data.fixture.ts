import { createSeededRandom } from '../ports/clock.js';
import type { DenseMatrix } from './matrix.js';

/**
 * Test data: a standard Gaussian blob with planted outliers (uniform in [-8, 8] per feature,
 * at least 4 from the centre in one feature), labels 1 for the outliers.
 * @example const { x, labels } = gaussianBlobWithOutliers(1000, 4, 20, 1);
 */
export function gaussianBlobWithOutliers(
  normal: number,
  features: number,
  outliers: number,
  seed: number,
): { readonly x: DenseMatrix; readonly labels: Float64Array } {
  const rnd = createSeededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
  const rows = normal + outliers;
  const data = new Float64Array(rows * features);
  const labels = new Float64Array(rows);
  // Spread the outliers through the rows so no split or ordering effect can help.
  const every = Math.max(1, Math.floor(rows / Math.max(outliers, 1)));
  let placed = 0;
  for (let r = 0; r < rows; r++) {
    const isOutlier = placed < outliers && r % every === every - 1;
    if (isOutlier) {
      placed++;
      labels[r] = 1;
      for (let j = 0; j < features; j++) data[r * features + j] = rnd.next() * 16 - 8;
      const far = Math.floor(rnd.next() * features);
      data[r * features + far] = (rnd.next() < 0.5 ? -1 : 1) * (4 + rnd.next() * 4);
    } else {
      for (let j = 0; j < features; j++) data[r * features + j] = gauss();
    }
  }
  return { x: { data, rows, cols: features }, labels };
}

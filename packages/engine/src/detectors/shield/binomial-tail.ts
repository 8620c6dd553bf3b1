/** Lanczos coefficients (g = 7, n = 9): ln Γ to about 15 significant digits. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) for x > 0 (Lanczos approximation); ln(n!) is `logGamma(n + 1)`.
 * @example Math.exp(logGamma(6)); // 120 (5!)
 */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] ?? 0) / (z + i);
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * One-sided binomial tail P(X ≥ k) for X ~ Binomial(n, p): how likely a player with win chance p
 * wins at least k of n games. Exact for any n (summed in log space from the k-th term, each next
 * term by the ratio (n − i)/(i + 1) · p/(1 − p), until the terms stop mattering), so it holds for
 * the small samples where the normal approximation (the z-score) is wrong. 1 for k ≤ 0, 0 for
 * k > n; p is clamped to [0, 1].
 * @example binomialUpperTail(10, 10, 0.5); // 0.0009765625 (ten wins in ten fair tosses)
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (!(n >= 0) || !Number.isFinite(n)) return 1;
  const kk = Math.ceil(k);
  if (kk <= 0) return 1;
  if (kk > n) return 0;
  if (!(p > 0)) return 0;
  if (p >= 1) return 1;
  const q = 1 - p;
  const logTerm =
    logGamma(n + 1) - logGamma(kk + 1) - logGamma(n - kk + 1) + kk * Math.log(p) + (n - kk) * Math.log(q);
  let term = Math.exp(logTerm);
  // Underflow: the k-th term, which bounds the tail past the mode within a small factor, is < 1e-308.
  if (term === 0) return 0;
  let sum = term;
  const odds = p / q;
  for (let i = kk; i < n; i++) {
    term *= ((n - i) / (i + 1)) * odds;
    sum += term;
    // Past the mode the terms shrink geometrically; stop when they no longer change the sum.
    if (term < sum * 1e-17 && (i + 1) * q > (n - i) * p) break;
  }
  return sum > 1 ? 1 : sum;
}

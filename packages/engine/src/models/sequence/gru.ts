/**
 * A one-layer GRU (Cho et al. 2014, PyTorch's gate layout) with a logistic output at every step,
 * over one flat Float64Array of parameters, and its exact gradient by backpropagation through
 * time. For input x (D values) and previous state h (H values):
 *
 *   z = σ(Wz·x + Uz·h + bz)            update gate
 *   r = σ(Wr·x + Ur·h + br)            reset gate
 *   n = tanh(Wn·x + bn + r ⊙ (Un·h))   candidate
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *   p = σ(wo·(m ⊙ h') + bo)            m: dropout multipliers in training, 1 otherwise
 *
 * The loss of a step is the weighted log-loss w·(softplus(o) − y·o) of its logit o. Parameters
 * are laid out as W (3H×D: z, r, n rows), U (3H×H), b (3H), wo (H), bo (1).
 */

/** Sizes of a GRU. */
export interface GruShape {
  /** D, values per input vector. */
  readonly inputs: number;
  /** H, hidden units. */
  readonly hidden: number;
}

/** Offsets of each parameter block in the flat parameter array. */
export interface GruLayout extends GruShape {
  readonly w: number;
  readonly u: number;
  readonly b: number;
  readonly wo: number;
  readonly bo: number;
  /** Total number of parameters. */
  readonly size: number;
}

/**
 * The parameter layout of a GRU shape.
 * @example gruLayout({ inputs: 4, hidden: 8 }).size; // 3*8*(4+8+1) + 8 + 1 = 321
 */
export function gruLayout(s: GruShape): GruLayout {
  const { inputs: d, hidden: h } = s;
  if (!Number.isInteger(d) || d < 1 || !Number.isInteger(h) || h < 1) {
    throw new Error(`GRU: inputs and hidden must be positive integers, got ${d} and ${h}`);
  }
  const w = 0;
  const u = w + 3 * h * d;
  const b = u + 3 * h * h;
  const wo = b + 3 * h;
  const bo = wo + h;
  return { inputs: d, hidden: h, w, u, b, wo, bo, size: bo + 1 };
}

/**
 * Initial parameters: weights uniform in ±1/√H (PyTorch's default), biases 0, output bias
 * `outputBias` (e.g. the log-odds of the positive rate).
 * @example const theta = initGruParams(gruLayout({ inputs: 4, hidden: 8 }), createSeededRandom(1).next);
 */
export function initGruParams(l: GruLayout, next: () => number, outputBias = 0): Float64Array {
  const theta = new Float64Array(l.size);
  const a = 1 / Math.sqrt(l.hidden);
  for (let i = 0; i < l.b; i++) theta[i] = (2 * next() - 1) * a;
  for (let i = l.wo; i < l.bo; i++) theta[i] = (2 * next() - 1) * a;
  theta[l.bo] = outputBias;
  return theta;
}

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * One inference step: reads x at `xs[xOff..xOff+D)` and state `h` (H values), writes the new
 * state into `h` in place and returns the output logit. `tmp` holds at least 3H values. No
 * allocation: cost 3H(D+H) multiply-adds.
 * @example const logit = gruStep(theta, layout, x, 0, h, tmp); const p = 1 / (1 + Math.exp(-logit));
 */
export function gruStep(
  theta: Float64Array,
  l: GruLayout,
  xs: ArrayLike<number>,
  xOff: number,
  h: Float64Array,
  tmp: Float64Array,
): number {
  const D = l.inputs;
  const H = l.hidden;
  // tmp[0..H) = z, tmp[H..2H) = r, tmp[2H..3H) = n
  for (let i = 0; i < 3 * H; i++) {
    let a = theta[l.b + i]!;
    const wRow = l.w + i * D;
    for (let j = 0; j < D; j++) a += theta[wRow + j]! * xs[xOff + j]!;
    if (i < 2 * H) {
      const uRow = l.u + i * H;
      for (let k = 0; k < H; k++) a += theta[uRow + k]! * h[k]!;
      tmp[i] = sig(a);
    } else {
      const uRow = l.u + i * H;
      let un = 0;
      for (let k = 0; k < H; k++) un += theta[uRow + k]! * h[k]!;
      tmp[i] = Math.tanh(a + tmp[i - H]! * un);
    }
  }
  let o = theta[l.bo]!;
  for (let i = 0; i < H; i++) {
    const z = tmp[i]!;
    const hn = (1 - z) * tmp[2 * H + i]! + z * h[i]!;
    h[i] = hn;
    o += theta[l.wo + i]! * hn;
  }
  return o;
}

/** Per-step activations kept for backpropagation over chunks of up to `steps` events. */
export interface GruWorkspace {
  readonly steps: number;
  /** State before each step (T×H). */
  readonly hPrev: Float64Array;
  readonly z: Float64Array;
  readonly r: Float64Array;
  readonly n: Float64Array;
  /** Un·h before each step. */
  readonly un: Float64Array;
  /** State after each step. */
  readonly h: Float64Array;
  /** Output logits. */
  readonly logit: Float64Array;
  readonly dh: Float64Array;
  readonly dhNext: Float64Array;
  readonly gates: Float64Array;
}

/**
 * Scratch arrays for {@link gruChunkGradient} over chunks of up to `steps` events.
 * @example const ws = createGruWorkspace(layout, 16);
 */
export function createGruWorkspace(l: GruLayout, steps: number): GruWorkspace {
  const H = l.hidden;
  return {
    steps,
    hPrev: new Float64Array(steps * H),
    z: new Float64Array(steps * H),
    r: new Float64Array(steps * H),
    n: new Float64Array(steps * H),
    un: new Float64Array(steps * H),
    h: new Float64Array(steps * H),
    logit: new Float64Array(steps),
    dh: new Float64Array(H),
    dhNext: new Float64Array(H),
    gates: new Float64Array(3 * H),
  };
}

/** Weighted log-loss of a logit: w·(softplus(o) − y·o). @example logLossOfLogit(0, 1, 1); // ln 2 */
export function logLossOfLogit(o: number, y: number, w: number): number {
  const sp = o > 0 ? o + Math.log1p(Math.exp(-o)) : Math.log1p(Math.exp(o));
  return w * (sp - y * o);
}

/** One chunk of consecutive events of one sequence, for {@link gruChunkGradient}. */
export interface GruChunk {
  /** Input vectors, T×D row-major starting at `offset * D`. */
  readonly xs: Float64Array;
  /** Index of the chunk's first step in `xs`, `labels`, `weights`. */
  readonly offset: number;
  /** Number of steps T (≤ workspace steps). */
  readonly length: number;
  /** 0/1 label of every step. */
  readonly labels: ArrayLike<number>;
  /** Loss weight of every step (0 = step only carries state). */
  readonly weights: ArrayLike<number>;
  /** Dropout multipliers on the state fed to the output (T×H), or undefined for none. */
  readonly masks?: Float64Array;
}

/**
 * Forward and backward pass over one chunk starting from state `h0` (treated as a constant:
 * truncated BPTT). Adds the gradient of the summed weighted loss to `grad`, writes the final
 * state into `hEnd` (may alias `h0`) and returns the summed loss.
 * @example const loss = gruChunkGradient(theta, layout, ws, chunk, h0, grad, h0);
 */
export function gruChunkGradient(
  theta: Float64Array,
  l: GruLayout,
  ws: GruWorkspace,
  c: GruChunk,
  h0: Float64Array,
  grad: Float64Array,
  hEnd: Float64Array,
): number {
  const D = l.inputs;
  const H = l.hidden;
  const T = c.length;
  if (T > ws.steps) throw new Error(`GRU: chunk of ${T} steps exceeds the workspace (${ws.steps})`);
  const { hPrev, z, r, n, un, h, logit, dh, dhNext } = ws;
  const xs = c.xs;
  const masks = c.masks;
  let loss = 0;
  // forward
  for (let t = 0; t < T; t++) {
    const hp = t * H;
    if (t === 0) for (let k = 0; k < H; k++) hPrev[k] = h0[k]!;
    else for (let k = 0; k < H; k++) hPrev[hp + k] = h[hp - H + k]!;
    const xOff = (c.offset + t) * D;
    for (let i = 0; i < 3 * H; i++) {
      let a = theta[l.b + i]!;
      const wRow = l.w + i * D;
      for (let j = 0; j < D; j++) a += theta[wRow + j]! * xs[xOff + j]!;
      const uRow = l.u + i * H;
      let uh = 0;
      for (let k = 0; k < H; k++) uh += theta[uRow + k]! * hPrev[hp + k]!;
      if (i < H) z[hp + i] = sig(a + uh);
      else if (i < 2 * H) r[hp + i - H] = sig(a + uh);
      else {
        const g = i - 2 * H;
        un[hp + g] = uh;
        n[hp + g] = Math.tanh(a + r[hp + g]! * uh);
      }
    }
    let o = theta[l.bo]!;
    for (let i = 0; i < H; i++) {
      const zi = z[hp + i]!;
      const hv = (1 - zi) * n[hp + i]! + zi * hPrev[hp + i]!;
      h[hp + i] = hv;
      o += theta[l.wo + i]! * hv * (masks === undefined ? 1 : masks[hp + i]!);
    }
    logit[t] = o;
    loss += logLossOfLogit(o, c.labels[c.offset + t]!, c.weights[c.offset + t]!);
  }
  for (let k = 0; k < H; k++) hEnd[k] = h[(T - 1) * H + k]!;
  // backward
  dhNext.fill(0);
  const gates = ws.gates; // daz (H), dar (H), dun (H) of the current step
  for (let t = T - 1; t >= 0; t--) {
    const hp = t * H;
    const w = c.weights[c.offset + t]!;
    const dlo = w * (sig(logit[t]!) - c.labels[c.offset + t]!);
    grad[l.bo] = grad[l.bo]! + dlo;
    for (let i = 0; i < H; i++) {
      const m = masks === undefined ? 1 : masks[hp + i]!;
      grad[l.wo + i] = grad[l.wo + i]! + dlo * m * h[hp + i]!;
      dh[i] = dhNext[i]! + dlo * theta[l.wo + i]! * m;
    }
    // gate pre-activation gradients; the candidate's bias and input weights are updated here
    for (let i = 0; i < H; i++) {
      const zi = z[hp + i]!;
      const ni = n[hp + i]!;
      const ri = r[hp + i]!;
      const dz = dh[i]! * (hPrev[hp + i]! - ni);
      const dan = dh[i]! * (1 - zi) * (1 - ni * ni);
      const dr = dan * un[hp + i]!;
      gates[i] = dz * zi * (1 - zi); // daz
      gates[H + i] = dr * ri * (1 - ri); // dar
      gates[2 * H + i] = dan * ri; // dun
      // bias of the candidate and its input weights take dan
      grad[l.b + 2 * H + i] = grad[l.b + 2 * H + i]! + dan;
      const wRow = l.w + (2 * H + i) * D;
      const xOff = (c.offset + t) * D;
      for (let j = 0; j < D; j++) grad[wRow + j] = grad[wRow + j]! + dan * xs[xOff + j]!;
    }
    const xOff = (c.offset + t) * D;
    for (let k = 0; k < H; k++) dhNext[k] = dh[k]! * z[hp + k]!;
    for (let i = 0; i < 3 * H; i++) {
      const gi = gates[i]!;
      if (i < 2 * H) {
        grad[l.b + i] = grad[l.b + i]! + gi;
        const wRow = l.w + i * D;
        for (let j = 0; j < D; j++) grad[wRow + j] = grad[wRow + j]! + gi * xs[xOff + j]!;
      }
      const uRow = l.u + i * H;
      for (let k = 0; k < H; k++) {
        grad[uRow + k] = grad[uRow + k]! + gi * hPrev[hp + k]!;
        dhNext[k] = dhNext[k]! + theta[uRow + k]! * gi;
      }
    }
  }
  return loss;
}

/** Adam optimiser state (Kingma & Ba 2015). */
export interface AdamState {
  readonly m: Float64Array;
  readonly v: Float64Array;
  step: number;
}

/**
 * Fresh Adam state for `size` parameters.
 * @example const adam = createAdamState(layout.size);
 */
export function createAdamState(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), step: 0 };
}

/**
 * One Adam update of `theta` with gradient `grad` scaled by `scale` (e.g. 1 / batch weight),
 * clipping the scaled gradient's global L2 norm at `clip` (0: no clipping).
 * @example adamStep(theta, grad, adam, 0.01, 1 / 32, 5);
 */
export function adamStep(
  theta: Float64Array,
  grad: Float64Array,
  s: AdamState,
  lr: number,
  scale: number,
  clip: number,
  beta1 = 0.9,
  beta2 = 0.999,
  eps = 1e-8,
): void {
  let norm = 0;
  for (let i = 0; i < grad.length; i++) norm += (grad[i]! * scale) ** 2;
  norm = Math.sqrt(norm);
  const k = clip > 0 && norm > clip ? (scale * clip) / norm : scale;
  s.step++;
  const c1 = 1 - beta1 ** s.step;
  const c2 = 1 - beta2 ** s.step;
  for (let i = 0; i < theta.length; i++) {
    const g = grad[i]! * k;
    const m = beta1 * s.m[i]! + (1 - beta1) * g;
    const v = beta2 * s.v[i]! + (1 - beta2) * g * g;
    s.m[i] = m;
    s.v[i] = v;
    theta[i] = theta[i]! - (lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
  }
}

/**
 * Turns one user's event into the GRU's input vector: a one-hot of the event type over the
 * model's vocabulary (plus one slot for types unseen in training), the standardised log amount,
 * the standardised log time gap since the user's previous event, and a flag for "first event
 * seen of this user". The same code encodes training and live events, so both see the same
 * features.
 */

/** What the sequence model reads of an event. @example const e: SequenceEvent = { type: 'payment', at: 0, amount: 12.5 }; */
export interface SequenceEvent {
  readonly type: string;
  /** Epoch ms. */
  readonly at: number;
  /** Money amount; absent or non-finite counts as 0. */
  readonly amount?: number;
}

/** Standardisation of the two numeric inputs, fitted on training events. */
export interface SequenceScaling {
  readonly logAmountMean: number;
  readonly logAmountStd: number;
  readonly logGapMean: number;
  readonly logGapStd: number;
}

/** Encoder of events into input vectors. */
export interface SequenceEncoder {
  readonly eventTypes: readonly string[];
  readonly scaling: SequenceScaling;
  /** Values per input vector: types + 1 (unseen) + 3. */
  readonly inputs: number;
  /**
   * Writes the vector of `e` at `out[offset..offset+inputs)`; `prevAt` is the time of the
   * user's previous event (undefined for the first one). Out-of-order events get a zero gap.
   */
  encode(e: SequenceEvent, prevAt: number | undefined, out: Float64Array, offset: number): void;
}

/**
 * log1p of an amount (non-finite or negative: 0).
 * @example logAmount(99); // ≈ 4.605
 */
export function logAmount(amount: number | undefined): number {
  return amount !== undefined && amount > 0 && Number.isFinite(amount) ? Math.log1p(amount) : 0;
}

/**
 * log1p of the gap in seconds (0 when unknown or negative).
 * @example logGap(61_000, 1_000); // log1p(60)
 */
export function logGap(at: number, prevAt: number | undefined): number {
  if (prevAt === undefined || !(at > prevAt)) return 0;
  return Math.log1p((at - prevAt) / 1000);
}

/**
 * Builds an encoder over a vocabulary of event types and a fitted scaling.
 * @example
 * const enc = createSequenceEncoder(['login', 'payment'], scaling);
 * enc.encode({ type: 'payment', at: 5000, amount: 10 }, 0, buf, 0);
 */
export function createSequenceEncoder(
  eventTypes: readonly string[],
  scaling: SequenceScaling,
): SequenceEncoder {
  const index = new Map<string, number>();
  eventTypes.forEach((t, i) => {
    if (index.has(t)) throw new Error(`sequence encoder: event type ${t} listed twice`);
    index.set(t, i);
  });
  const unseen = eventTypes.length;
  const inputs = eventTypes.length + 4;
  const aMean = scaling.logAmountMean;
  const aInv = 1 / scaling.logAmountStd;
  const gMean = scaling.logGapMean;
  const gInv = 1 / scaling.logGapStd;
  return {
    eventTypes,
    scaling,
    inputs,
    encode(e, prevAt, out, offset) {
      for (let i = 0; i <= unseen; i++) out[offset + i] = 0;
      out[offset + (index.get(e.type) ?? unseen)] = 1;
      out[offset + unseen + 1] = (logAmount(e.amount) - aMean) * aInv;
      out[offset + unseen + 2] = (logGap(e.at, prevAt) - gMean) * gInv;
      out[offset + unseen + 3] = prevAt === undefined ? 1 : 0;
    },
  };
}

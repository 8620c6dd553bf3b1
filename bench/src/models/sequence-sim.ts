/**
 * The GRU sequence model on simulator traffic: simulate labelled events, train on the first
 * part of the stream (time order), then stream every event through `createSequenceScorer` (the
 * training part warms each user's state) and measure, on the later part, ROC-AUC and average
 * precision of each attack scenario's events against normal events.
 */
import {
  averagePrecision,
  createSequenceScorer,
  rocAuc,
  simulate,
  trainSequenceModel,
  type ScenarioName,
  type SequenceModel,
  type SequenceModelOptions,
  type SequenceTrainingEvent,
} from '@vigil/engine';

/** Result of {@link runSequenceSim}. */
export interface SequenceSimResult {
  readonly model: SequenceModel;
  readonly trainEvents: number;
  readonly testEvents: number;
  readonly trainMs: number;
  readonly epochs: number;
  /** Per scenario present in the test part: events, ROC-AUC and AP against normal events. */
  readonly scenarios: readonly { scenario: ScenarioName; events: number; rocAuc: number; ap: number }[];
  /** All malicious events against normal ones. */
  readonly overallAuc: number;
  /** Every event of the stream as scorer input (for latency runs). */
  readonly stream: readonly SequenceTrainingEvent[];
}

/**
 * Runs the experiment.
 * @example const r = runSequenceSim({ seed: 1, users: 2000, events: 200_000, attackRate: 0.05 }, { hidden: 16 });
 */
export function runSequenceSim(
  sim: { seed: number; users: number; events: number; attackRate: number; trainShare: number },
  opts: SequenceModelOptions,
): SequenceSimResult {
  const sims = simulate({ seed: sim.seed, users: sim.users, attackRate: sim.attackRate }, sim.events);
  const stream: SequenceTrainingEvent[] = [];
  const scenario: (ScenarioName | 'normal')[] = [];
  for (const { event, label } of sims) {
    if (event.user === undefined) continue;
    stream.push({
      user: event.user,
      type: event.type,
      at: event.at,
      ...(event.amount === undefined ? {} : { amount: event.amount }),
      label: label.malicious ? 1 : 0,
    });
    scenario.push(label.scenario);
  }
  const cut = Math.floor(stream.length * sim.trainShare);
  const t0 = performance.now();
  const model = trainSequenceModel(stream.slice(0, cut), opts);
  const trainMs = performance.now() - t0;
  const scorer = createSequenceScorer(model);
  const scores = new Float64Array(stream.length);
  for (let i = 0; i < stream.length; i++) scores[i] = scorer.score(stream[i]!.user, stream[i]!);
  const negatives: number[] = [];
  const byScenario = new Map<ScenarioName, number[]>();
  for (let i = cut; i < stream.length; i++) {
    const s = scenario[i]!;
    if (s === 'normal') negatives.push(scores[i]!);
    else {
      let l = byScenario.get(s);
      if (l === undefined) byScenario.set(s, (l = []));
      l.push(scores[i]!);
    }
  }
  const score = (pos: readonly number[]): { rocAuc: number; ap: number } => {
    const s = [...pos, ...negatives];
    const l = s.map((_, i) => (i < pos.length ? 1 : 0));
    return { rocAuc: rocAuc(s, l), ap: averagePrecision(s, l) };
  };
  const all: number[] = [];
  const scenarios = [...byScenario.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([name, pos]) => {
      all.push(...pos);
      return { scenario: name, events: pos.length, ...score(pos) };
    });
  return {
    model,
    trainEvents: cut,
    testEvents: stream.length - cut,
    trainMs,
    epochs: model.history.length,
    scenarios,
    overallAuc: score(all).rocAuc,
    stream,
  };
}

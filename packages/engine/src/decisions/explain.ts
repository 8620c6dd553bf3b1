import type { Signal } from '../detectors/signal.js';
import type { ModelScore } from './decision.js';

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

function signed(x: number): string {
  return x >= 0 ? `+${fmt(x, 2)}` : fmt(x, 2);
}

/**
 * One sentence for a model's score and its strongest feature contributions.
 * @example
 * modelSentence({ model: 'iforest', version: '3', score: 0.82, live: true, contributions: [{ feature: 'amount_z', value: 0.31 }] }, 3);
 * // 'Model iforest v3 scored 0.82; strongest features: amount_z +0.31.'
 */
export function modelSentence(m: ModelScore, maxContributions: number): string {
  const name = m.version === undefined ? m.model : `${m.model} v${m.version}`;
  const n = Math.min(maxContributions, m.contributions.length);
  if (n === 0) return `Model ${name} scored ${fmt(m.score, 2)}.`;
  let parts = '';
  for (let i = 0; i < n; i++) {
    const c = m.contributions[i];
    if (c === undefined) break;
    parts += `${i === 0 ? '' : ', '}${c.feature} ${signed(c.value)}`;
  }
  return `Model ${name} scored ${fmt(m.score, 2)}; strongest features: ${parts}.`;
}

/**
 * One sentence for the oracle's analyzer scores and their weighted ensemble.
 * @example analyzerSentence({ velocity: 90, amount: 70 }, 0.8); // 'Transaction analyzers: velocity 90, amount 70; weighted score 80.'
 */
export function analyzerSentence(
  analyzers: Readonly<Partial<Record<'velocity' | 'amount' | 'pattern' | 'graph' | 'timing', number>>>,
  ensemble: number,
): string {
  let parts = '';
  for (const k of ['velocity', 'amount', 'pattern', 'graph', 'timing'] as const) {
    const v = analyzers[k];
    if (v === undefined) continue;
    parts += `${parts === '' ? '' : ', '}${k} ${Math.round(v)}`;
  }
  return `Transaction analyzers: ${parts}; weighted score ${Math.round(ensemble * 100)}.`;
}

/** An extra sentence with the strength it had, placed among the signals by that strength. @example const x: ExplanationItem = { score: 0.53, text: 'Transaction analyzers: ...' }; */
export interface ExplanationItem {
  readonly score: number;
  readonly text: string;
}

/**
 * The explanation of a decision: the reasons of the signals and the sentences of the live models
 * (and any extra items) that moved the score, strongest first, at most `maxItems`. Zero-score
 * signals and shadow models did not move the score and are left out. `signals` must already be
 * sorted strongest first; only the first few sentences are built.
 * @example explainDecision(sortedSignals, models, [], { maxItems: 5, maxContributions: 3 }); // ['Impossible travel: ...']
 */
export function explainDecision(
  signals: readonly Signal[],
  models: readonly ModelScore[],
  extra: readonly ExplanationItem[],
  opts: { readonly maxItems: number; readonly maxContributions: number },
): string[] {
  const out: string[] = [];
  let si = 0;
  // Live models, strongest first: there are few, so a selection per pick is cheap.
  const usedModels = models.length > 0 ? new Uint8Array(models.length) : undefined;
  const usedExtra = extra.length > 0 ? new Uint8Array(extra.length) : undefined;
  while (out.length < opts.maxItems) {
    const s = signals[si];
    const sScore = s !== undefined && s.score > 0 ? s.score : -1;
    let mBest = -1;
    let mScore = -1;
    if (usedModels !== undefined) {
      for (let i = 0; i < models.length; i++) {
        const m = models[i];
        if (m === undefined || !m.live || usedModels[i] === 1 || !(m.score > 0)) continue;
        if (m.score > mScore) {
          mScore = m.score;
          mBest = i;
        }
      }
    }
    let xBest = -1;
    let xScore = -1;
    if (usedExtra !== undefined) {
      for (let i = 0; i < extra.length; i++) {
        const x = extra[i];
        if (x === undefined || usedExtra[i] === 1) continue;
        if (x.score > xScore) {
          xScore = x.score;
          xBest = i;
        }
      }
    }
    if (sScore < 0 && mBest < 0 && xBest < 0) break;
    if (xBest >= 0 && xScore >= sScore && xScore >= mScore && usedExtra !== undefined) {
      usedExtra[xBest] = 1;
      out.push(extra[xBest]?.text ?? '');
    } else if (mBest >= 0 && mScore > sScore && usedModels !== undefined) {
      usedModels[mBest] = 1;
      const m = models[mBest];
      if (m !== undefined) out.push(modelSentence(m, opts.maxContributions));
    } else if (s !== undefined) {
      out.push(s.reason);
      si++;
    }
  }
  return out;
}

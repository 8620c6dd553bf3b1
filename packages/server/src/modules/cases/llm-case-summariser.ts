import { createHash, randomBytes } from 'node:crypto';
import { formatTime, type CaseEvidence, type CaseSummariser } from './case-summary.js';

/** An OpenAI-compatible chat-completions provider (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL). */
export interface LlmConfig {
  /** Base URL; requests go to `{baseUrl}/chat/completions` (e.g. `https://api.openai.com/v1`). */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` when set (local servers often need none). */
  readonly apiKey: string | undefined;
  readonly model: string;
  /** Time allowed for one completion, response body included (ms). */
  readonly timeoutMs: number;
}

/** Options of {@link createLlmCaseSummariser}. */
export interface LlmSummariserOptions {
  /** Another fetch implementation (tests). */
  readonly fetch?: typeof globalThis.fetch;
  /** Hears why a completion failed (the case service then falls back to the evidence summary). */
  readonly onError?: (err: unknown) => void;
  /** Summaries kept for unchanged evidence (default 500; 0 disables the cache). */
  readonly cacheSize?: number;
  /** Largest accepted provider answer in bytes (default 256 KiB). */
  readonly maxResponseBytes?: number;
}

/** Why a completion could not be used. */
export class LlmSummaryError extends Error {
  constructor(message: string, opts: { readonly cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? {} : { cause: opts.cause });
    this.name = 'LlmSummaryError';
  }
}

const SYSTEM_PROMPT = [
  'You write the summary of a fraud review case for a human analyst.',
  'You get the case evidence as JSON. Write one short paragraph in plain words (at most 120 words):',
  'who is under review and why, what was observed (peak risk, strongest signals), what enforcement',
  'is in force or awaits approval, which accounts are linked, and the review deadline or resolution.',
  'Use only the evidence given; do not speculate beyond it. Identifiers are pseudonyms such as',
  '"user_1a2b3c4d5e6f" or "device_..."; copy them exactly as they appear. Answer with the paragraph only.',
].join(' ');

/** Longest summary kept (characters). */
const MAX_SUMMARY = 4000;
/** Longest free text (reasons, explanations, notes) put into the prompt. */
const MAX_TEXT = 500;

function clip(s: string, max = MAX_TEXT): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : formatTime(ms);
}

/**
 * Pseudonyms for the raw identifiers of one prompt: `kind_<12 hex>` from SHA-256 with a secret
 * salt (the provider cannot test guesses), stable within the process, reversible only here.
 */
function createPseudonyms(salt: Buffer) {
  const toToken = new Map<string, string>();
  const toRaw = new Map<string, string>();
  return {
    token(kind: string, raw: string): string {
      const key = `${kind}\u0000${raw}`;
      let t = toToken.get(key);
      if (t === undefined) {
        t = `${kind}_${createHash('sha256').update(salt).update(key).digest('hex').slice(0, 12)}`;
        toToken.set(key, t);
        toRaw.set(t, raw);
      }
      return t;
    },
    /** Replaces every known raw identifier in free text by its pseudonym (longest first). */
    scrub(text: string): string {
      let out = text;
      const known = [...toToken.entries()].sort((a, b) => b[0].length - a[0].length);
      for (const [key, t] of known) {
        const raw = key.slice(key.indexOf('\u0000') + 1);
        if (raw.length >= 3) out = out.split(raw).join(t);
      }
      return out;
    },
    /** Puts the raw identifiers back into the provider's answer, for the analyst. */
    restore(text: string): string {
      return text.replace(/\b(?:user|device|ip|wallet|email)_[0-9a-f]{12}\b/g, (t) => toRaw.get(t) ?? t);
    },
  };
}

/**
 * The prompt's evidence: only what the case gathered, with the user, linked accounts and shared
 * identifiers replaced by pseudonyms (also inside free text), and no app keys, ids or secrets.
 * Returns the JSON text and the function restoring identifiers in the answer.
 * @example const { prompt } = caseEvidencePrompt(evidence, randomBytes(16));
 */
export function caseEvidencePrompt(
  ev: CaseEvidence,
  salt: Buffer,
): { readonly prompt: string; readonly restore: (text: string) => string } {
  const p = createPseudonyms(salt);
  const c = ev.case;
  // register every identifier first so that free text can be scrubbed of all of them
  const user = c.userId === null ? null : p.token('user', c.userId);
  const links = ev.linkedEntities.map((l) => ({
    kind: l.kind,
    value: p.token(l.kind, l.value),
    otherAccounts: l.users.map((u) => p.token('user', u)),
    moreAccounts: l.more,
  }));
  const text = (s: string) => clip(p.scrub(s));
  const evidence = {
    case: {
      status: c.status,
      priority: c.priority,
      reason: text(c.reason),
      tier: c.tier,
      user,
      openedAt: iso(c.createdAt),
      reviewDueAt: iso(c.slaDueAt),
      overdue: c.overdue,
      assigned: c.assignee !== null,
      resolution: c.resolution,
      resolutionNote: c.resolutionNote === null ? null : text(c.resolutionNote),
      resolvedAt: iso(c.resolvedAt),
    },
    subject:
      ev.subject === null
        ? null
        : {
            tier: ev.subject.tier,
            status: ev.subject.status,
            behaviorScore: ev.subject.behaviorScore,
            accessLevel: ev.subject.accessLevel,
            peakRisk: ev.subject.peakRisk,
            lastRisk: ev.subject.lastRisk,
            events: ev.subject.eventCount,
            firstSeen: iso(ev.subject.firstSeen),
            lastSeen: iso(ev.subject.lastSeen),
          },
    decisions: ev.decisions.slice(0, 20).map((d) => ({
      type: d.type,
      at: iso(d.at),
      risk: d.risk,
      level: d.level,
      outcome: d.outcome,
      explanation: d.explanation.slice(0, 5).map(text),
    })),
    signals: ev.signals.slice(0, 10).map((s) => ({
      code: s.code,
      category: s.category,
      count: s.count,
      maxScore: s.maxScore,
      reason: text(s.reason),
    })),
    enforcements: ev.enforcements.slice(0, 20).map((e) => ({
      action: e.action,
      status: e.status,
      features: e.features,
      from: iso(e.startsAt),
      until: iso(e.endsAt),
      source: e.source,
      reason: text(e.reason),
    })),
    linkedIdentifiers: links,
    notes: ev.notes.slice(-20).map((n) => ({ kind: n.kind, at: iso(n.at), text: text(n.text) })),
    // to the 10 minutes, so that unchanged evidence gives the same prompt (and a cached summary)
    now: iso(Math.floor(ev.now / 600_000) * 600_000),
  };
  return { prompt: JSON.stringify(evidence), restore: (t) => p.restore(t) };
}

function completionText(body: unknown): string {
  if (typeof body !== 'object' || body === null) throw new LlmSummaryError('the answer is not a JSON object');
  const choices: unknown = Reflect.get(body, 'choices');
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  const message: unknown =
    typeof first === 'object' && first !== null ? Reflect.get(first, 'message') : undefined;
  const content: unknown =
    typeof message === 'object' && message !== null ? Reflect.get(message, 'content') : undefined;
  if (typeof content !== 'string' || content.trim() === '')
    throw new LlmSummaryError('the answer has no choices[0].message.content');
  return content.trim();
}

async function readLimited(res: Response, max: number): Promise<string> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // leaving the loop early (throw) cancels the stream
  for await (const part of res.body) {
    if (!(part instanceof Uint8Array)) throw new LlmSummaryError('the answer is not a byte stream');
    size += part.byteLength;
    if (size > max) throw new LlmSummaryError(`the answer is larger than ${max} bytes`);
    chunks.push(part);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A {@link CaseSummariser} asking an OpenAI-compatible provider: `POST {baseUrl}/chat/completions`
 * with the model and two messages (instructions; the case evidence as pseudonymised JSON), and the
 * answer's `choices[0].message.content` as the summary, pseudonyms turned back into the real
 * identifiers. Any failure (network, timeout, non-2xx, malformed or empty answer) rejects with a
 * {@link LlmSummaryError}, and the case service falls back to the evidence summary. Summaries of
 * unchanged evidence are cached.
 * @example
 * createCaseService(deps, { summariser: createLlmCaseSummariser({ baseUrl, apiKey, model, timeoutMs: 10_000 }) });
 */
export function createLlmCaseSummariser(cfg: LlmConfig, opts: LlmSummariserOptions = {}): CaseSummariser {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const url = `${cfg.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const salt = randomBytes(16);
  const cacheSize = opts.cacheSize ?? 500;
  const maxBytes = opts.maxResponseBytes ?? 256 * 1024;
  const cache = new Map<string, string>();

  const complete = async (prompt: string): Promise<string> => {
    const signal = AbortSignal.timeout(cfg.timeoutMs);
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(cfg.apiKey !== undefined ? { authorization: `Bearer ${cfg.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: cfg.model,
          temperature: 0.2,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: prompt },
          ],
        }),
        signal,
      });
    } catch (err) {
      throw new LlmSummaryError(signal.aborted ? `no answer within ${cfg.timeoutMs} ms` : 'request failed', {
        cause: err,
      });
    }
    let text: string;
    try {
      text = await readLimited(res, maxBytes);
    } catch (err) {
      if (err instanceof LlmSummaryError) throw err;
      throw new LlmSummaryError(
        signal.aborted ? `no complete answer within ${cfg.timeoutMs} ms` : 'reading the answer failed',
        { cause: err },
      );
    }
    if (!res.ok) throw new LlmSummaryError(`the provider answered ${res.status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new LlmSummaryError('the answer is not JSON', { cause: err });
    }
    return completionText(body);
  };

  return {
    name: `llm:${cfg.model}`,
    async summarise(ev) {
      const { prompt, restore } = caseEvidencePrompt(ev, salt);
      const cached = cache.get(prompt);
      if (cached !== undefined) return cached;
      let summary: string;
      try {
        summary = clip(restore(await complete(prompt)), MAX_SUMMARY);
      } catch (err) {
        opts.onError?.(err);
        throw err;
      }
      if (cacheSize > 0) {
        if (cache.size >= cacheSize) {
          const oldest = cache.keys().next();
          if (oldest.done !== true) cache.delete(oldest.value);
        }
        cache.set(prompt, summary);
      }
      return summary;
    },
  };
}

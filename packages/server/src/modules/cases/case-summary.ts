import type { Enforcement } from '../enforcement/enforcement.model.js';
import type { Case, CaseNote } from './case.model.js';
import type { LinkedEntity } from './linked-entities.js';

/** A signal of a gathered decision, as the case shows it. */
export interface CaseSignal {
  readonly code: string;
  readonly score: number;
  readonly severity: string;
  readonly category: string;
  readonly reason: string;
}

/** A gathered decision with its explanation. */
export interface CaseDecisionView {
  readonly eventId: string;
  readonly type: string;
  readonly at: number;
  readonly risk: number;
  readonly score: number;
  readonly level: string;
  readonly outcome: string;
  readonly confidence: number | null;
  readonly explanation: readonly string[];
  readonly signals: readonly CaseSignal[];
}

/** Signals of all gathered decisions, by code. */
export interface SignalSummary {
  readonly code: string;
  readonly category: string;
  readonly count: number;
  readonly maxScore: number;
  /** The reason of the strongest occurrence. */
  readonly reason: string;
}

/** The reviewed user's profile, when Vigil has one. */
export interface CaseSubject {
  readonly id: string;
  readonly tier: string | null;
  readonly status: string;
  readonly behaviorScore: number;
  readonly accessLevel: string;
  readonly peakRisk: number;
  readonly lastRisk: number;
  readonly eventCount: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** Everything a review case gathered. */
export interface CaseEvidence {
  readonly case: Case;
  readonly appName: string;
  readonly subject: CaseSubject | null;
  /** Newest first. */
  readonly decisions: readonly CaseDecisionView[];
  /** Strongest first. */
  readonly signals: readonly SignalSummary[];
  readonly enforcements: readonly Enforcement[];
  readonly linkedEntities: readonly LinkedEntity[];
  readonly notes: readonly CaseNote[];
  /** When the evidence was read (epoch ms). */
  readonly now: number;
}

/**
 * Writes a case's summary in plain words. The default assembles it from the evidence; a language
 * model provider can implement the same interface (and should fall back to the default on failure).
 */
export interface CaseSummariser {
  readonly name: string;
  summarise(evidence: CaseEvidence): Promise<string>;
}

/** @example formatTime(Date.UTC(2026, 0, 15, 12)); // '2026-01-15 12:00 UTC' */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** @example formatDuration(90 * 60_000); // '1 h 30 min' */
export function formatDuration(ms: number): string {
  const min = Math.round(Math.abs(ms) / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  if (h < 48) return rest === 0 ? `${h} h` : `${h} h ${rest} min`;
  const d = Math.floor(h / 24);
  const hr = h % 24;
  return hr === 0 ? `${d} days` : `${d} days ${hr} h`;
}

const ACTION_WORDS = {
  soft_restrict: 'a soft restriction',
  suspend_features: 'a feature suspension',
  temp_suspend: 'a temporary suspension',
  auto_block: 'an automatic block',
  permanent_ban: 'a permanent ban',
} as const;

const RESOLUTION_WORDS = {
  confirmed_fraud: 'confirmed fraud',
  false_positive: 'a false positive',
  inconclusive: 'inconclusive',
} as const;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function sentence(s: string): string {
  const t = s.trim();
  return t.endsWith('.') ? t : `${t}.`;
}

/**
 * The summary assembled from the evidence, one short paragraph: who, what was seen (decisions,
 * peak risk, strongest signals), what is enforced, which accounts are linked, and the deadline or
 * the resolution.
 * @example const text = await createEvidenceSummariser().summarise(evidence);
 */
export function createEvidenceSummariser(): CaseSummariser {
  return {
    name: 'evidence',
    async summarise(ev) {
      const c = ev.case;
      const parts: string[] = [];
      const who = `User ${c.userId ?? '(unknown)'}${c.tier !== null ? ` (${c.tier} tier)` : ''}`;
      const ds = ev.decisions;
      if (ds.length === 0) {
        parts.push(`${who} is under review: ${sentence(c.reason)}`);
      } else {
        const times = ds.map((d) => d.at);
        const first = Math.min(...times);
        const last = Math.max(...times);
        const peak = ds.reduce((a, d) => (d.risk > a.risk ? d : a));
        const span =
          first === last ? `on ${formatTime(first)}` : `between ${formatTime(first)} and ${formatTime(last)}`;
        parts.push(
          `${who} is under review after ${plural(ds.length, 'flagged decision')} ${span}, peak risk ${peak.risk.toFixed(2)} (${peak.level}, ${peak.type} event).`,
        );
      }
      const top = ev.signals.slice(0, 3);
      if (top.length > 0) {
        parts.push(
          `Strongest evidence: ${top
            .map(
              (s) =>
                `${s.reason.replace(/\.$/, '')} (${s.code}, ${s.maxScore.toFixed(2)}${s.count > 1 ? `, seen ${s.count} times` : ''})`,
            )
            .join('; ')}.`,
        );
      }
      const inForce = ev.enforcements.filter(
        (e) => e.status === 'active' && (e.endsAt === null || e.endsAt > ev.now),
      );
      const pending = ev.enforcements.filter((e) => e.status === 'pending_approval');
      if (inForce.length === 0) parts.push('No enforcement is in force.');
      for (const e of inForce) {
        const until = e.endsAt === null ? 'until lifted' : `until ${formatTime(e.endsAt)}`;
        const feats = e.features.length > 0 ? ` of ${e.features.join(', ')}` : '';
        parts.push(`In force: ${ACTION_WORDS[e.action]}${feats} ${until}.`);
      }
      for (const e of pending)
        parts.push(
          `${ACTION_WORDS[e.action][0]?.toUpperCase() ?? ''}${ACTION_WORDS[e.action].slice(1)} awaits a reviewer's approval.`,
        );
      if (ev.linkedEntities.length === 0) {
        parts.push(
          'No other account of this app shares its devices, IP addresses, wallets or e-mails in the recent log.',
        );
      } else {
        const links = ev.linkedEntities.slice(0, 3).map((l) => {
          const names = l.users.slice(0, 3).join(', ');
          const others = l.users.length + (l.more ? 1 : 0);
          return `${l.kind} ${l.value} with ${plural(others, 'other account')}${l.more ? ' or more' : ''} (${names}${l.users.length > 3 || l.more ? ', …' : ''})`;
        });
        parts.push(`Shares ${links.join('; ')}.`);
      }
      if (c.status === 'resolved' && c.resolution !== null) {
        parts.push(
          `Resolved as ${RESOLUTION_WORDS[c.resolution]}${c.resolvedBy !== null ? ` by ${c.resolvedBy}` : ''}${c.resolvedAt !== null ? ` on ${formatTime(c.resolvedAt)}` : ''}${c.resolutionNote ? `: ${sentence(c.resolutionNote)}` : '.'}`,
        );
      } else if (c.slaDueAt !== null) {
        parts.push(
          c.slaDueAt <= ev.now
            ? `Review was due ${formatTime(c.slaDueAt)} and is overdue by ${formatDuration(ev.now - c.slaDueAt)}.`
            : `Review is due ${formatTime(c.slaDueAt)} (in ${formatDuration(c.slaDueAt - ev.now)}).`,
        );
      }
      return parts.join(' ');
    },
  };
}

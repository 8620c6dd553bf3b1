import { FLAG_COLORS, type FlagColor } from '../detector.js';
import { MAF_ANOMALIES } from './maf-finding.js';

/** Count and hit rate (count / events recorded) of one anomaly. */
export interface PatternStats {
  readonly count: number;
  readonly hitRate: number;
}

/** A point-in-time copy of the MAF statistics (plain data: the server persists it as JSON). */
export interface MafStatsSnapshot {
  /** Events recorded. */
  readonly events: number;
  /** Events with at least one anomaly. */
  readonly flagged: number;
  /** Events per flag colour (only events recorded with a flag). */
  readonly flags: Readonly<Record<FlagColor, number>>;
  /** Per anomaly name: every MAF anomaly (zero when unseen) and any other name recorded. */
  readonly patterns: Readonly<Record<string, PatternStats>>;
}

/** Per-pattern monitoring statistics of the anomaly flagger. */
export interface MafStats {
  /** Records one evaluated event: its anomalies (duplicates count once) and optionally its flag. */
  record(anomalies: readonly string[], flag?: FlagColor): void;
  snapshot(): MafStatsSnapshot;
}

const MAX_NAMES = 256;

/**
 * Per-pattern statistics for monitoring: counts and hit rates per anomaly, flag colours. Pure
 * and in memory; pass a previous snapshot to continue from it (e.g. after a restart).
 * At most 256 distinct anomaly names are tracked; further unknown names are ignored.
 * @example
 * const stats = createMafStats();
 * stats.record(['ip_signup_cluster'], 'RED'); stats.record([], 'GREEN');
 * stats.snapshot().patterns['ip_signup_cluster']; // { count: 1, hitRate: 0.5 }
 */
export function createMafStats(from?: MafStatsSnapshot): MafStats {
  let events = from?.events ?? 0;
  let flagged = from?.flagged ?? 0;
  const flags = new Map<FlagColor, number>(FLAG_COLORS.map((c) => [c, from?.flags[c] ?? 0]));
  const counts = new Map<string, number>(MAF_ANOMALIES.map((a) => [a, 0]));
  if (from !== undefined) {
    for (const [name, s] of Object.entries(from.patterns)) {
      if (counts.size < MAX_NAMES || counts.has(name)) counts.set(name, s.count);
    }
  }
  return {
    record(anomalies, flag) {
      events += 1;
      if (anomalies.length > 0) flagged += 1;
      if (flag !== undefined) flags.set(flag, (flags.get(flag) ?? 0) + 1);
      for (let i = 0; i < anomalies.length; i++) {
        const a = anomalies[i];
        if (a === undefined || anomalies.indexOf(a) < i) continue;
        const c = counts.get(a);
        if (c !== undefined) counts.set(a, c + 1);
        else if (counts.size < MAX_NAMES) counts.set(a, 1);
      }
    },
    snapshot() {
      const patterns: Record<string, PatternStats> = {};
      for (const [name, count] of counts) {
        patterns[name] = { count, hitRate: events === 0 ? 0 : count / events };
      }
      return {
        events,
        flagged,
        flags: {
          GREEN: flags.get('GREEN') ?? 0,
          YELLOW: flags.get('YELLOW') ?? 0,
          RED: flags.get('RED') ?? 0,
        },
        patterns,
      };
    },
  };
}

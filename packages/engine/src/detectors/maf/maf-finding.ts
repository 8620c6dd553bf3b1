import type { DetectorOutput, FlagColor } from '../detector.js';
import { severityOf, type AlertType, type EvidenceValue, type SignalCategory } from '../signal.js';

/** The seven MAF patterns, as the anomaly names they write into `facets.anomalies`. */
export const MAF_PATTERNS = [
  'ip_signup_cluster',
  'device_signup_cluster',
  'rapid_wallet_connections',
  'rapid_nft_listings',
  'referral_spam',
  'duplicate_upload',
  'login_velocity',
] as const;
export type MafPattern = (typeof MAF_PATTERNS)[number];

/** Anomaly names of the fingerprint-consistency checks. */
export const FINGERPRINT_ANOMALIES = ['timezone_mismatch', 'fingerprint_change', 'headless_screen'] as const;
export type FingerprintAnomaly = (typeof FINGERPRINT_ANOMALIES)[number];

/** Every anomaly name the MAF detectors write. */
export const MAF_ANOMALIES = [...MAF_PATTERNS, ...FINGERPRINT_ANOMALIES] as const;
export type MafAnomaly = (typeof MAF_ANOMALIES)[number];

/** How bad one finding is: a flag colour other than GREEN. */
export const FINDING_LEVELS = ['YELLOW', 'RED'] as const;
export type FindingLevel = (typeof FINDING_LEVELS)[number];

/** The 0..1 signal score of a finding of each level (YELLOW → medium, RED → high severity). */
export const FINDING_SCORES = { YELLOW: 0.45, RED: 0.75 } as const satisfies Record<FindingLevel, number>;

const CODES = Object.fromEntries(MAF_ANOMALIES.map((a) => [a, `maf.${a}`]));

/**
 * The level a measured value reaches: RED at or above `redAt`, else YELLOW at or above
 * `yellowAt`, else none (NaN reaches none).
 * @example levelOf(4, 3, 5); // 'YELLOW'
 */
export function levelOf(value: number, yellowAt: number, redAt: number): FindingLevel | undefined {
  if (value >= redAt) return 'RED';
  if (value >= yellowAt) return 'YELLOW';
  return undefined;
}

/**
 * The more severe of two optional levels.
 * @example maxLevel('YELLOW', 'RED'); // 'RED'
 */
export function maxLevel(a: FindingLevel | undefined, b: FindingLevel | undefined): FindingLevel | undefined {
  if (a === 'RED' || b === 'RED') return 'RED';
  return a ?? b;
}

/** Whether a value is a finding level (for options and evidence read back). */
export function isFindingLevel(x: unknown): x is FindingLevel {
  return x === 'YELLOW' || x === 'RED';
}

/** Whether a colour is at least as severe as another. @example atLeast('RED', 'YELLOW'); // true */
export function atLeast(a: FlagColor, b: FlagColor): boolean {
  return FLAG_RANK[a] >= FLAG_RANK[b];
}
const FLAG_RANK = { GREEN: 0, YELLOW: 1, RED: 2 } as const satisfies Record<FlagColor, number>;

/** One MAF finding, before it becomes an anomaly name and a signal. */
export interface Finding {
  readonly anomaly: MafAnomaly;
  readonly level: FindingLevel;
  readonly category: SignalCategory;
  readonly reason: string;
  readonly evidence: Readonly<Record<string, EvidenceValue>>;
  readonly alert?: AlertType;
}

/**
 * Writes a finding: its anomaly name into `facets.anomalies` (created when missing, no
 * duplicates) and a signal `maf.<anomaly>` whose evidence carries `anomaly` and `level`, which
 * `maf.flag` reads back.
 * @example reportFinding(out, { anomaly: 'ip_signup_cluster', level: 'RED', category: 'pattern', reason, evidence: { signups: 6 } });
 */
export function reportFinding(out: DetectorOutput, f: Finding): void {
  const list = (out.facets.anomalies ??= []);
  if (!list.includes(f.anomaly)) list.push(f.anomaly);
  const score = FINDING_SCORES[f.level];
  const signal = {
    code: CODES[f.anomaly] ?? `maf.${f.anomaly}`,
    score,
    severity: severityOf(score),
    category: f.category,
    reason: f.reason,
    evidence: { ...f.evidence, anomaly: f.anomaly, level: f.level },
  };
  out.signals.push(f.alert === undefined ? signal : { ...signal, alert: f.alert });
}

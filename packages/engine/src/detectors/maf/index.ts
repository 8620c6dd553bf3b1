import { mergeSections } from '../behavior/merge-options.js';
import type { Detector } from '../detector.js';
import { createDeviceSignupDetector } from './device-signup.detector.js';
import { createDuplicateUploadDetector } from './duplicate-upload.detector.js';
import { createFingerprintDetector } from './fingerprint.detector.js';
import { createIpSignupDetector } from './ip-signup.detector.js';
import { createLoginVelocityDetector } from './login-velocity.detector.js';
import { createMafFlagDetector } from './maf-flag.detector.js';
import { MAF_DEFAULTS, type MafOptions, type MafOverrides } from './maf-options.js';
import { createNftListingDetector } from './nft-listing.detector.js';
import { createReferralSpamDetector } from './referral-spam.detector.js';
import { createWalletConnectDetector } from './wallet-connect.detector.js';

export { createDeviceSignupDetector } from './device-signup.detector.js';
export { createDuplicateUploadDetector } from './duplicate-upload.detector.js';
export { ESCALATION_OUTCOMES, escalate, scoreBand, type EscalationResult } from './escalation.js';
export { createFingerprintDetector } from './fingerprint.detector.js';
export { createIpSignupDetector } from './ip-signup.detector.js';
export { createLoginVelocityDetector } from './login-velocity.detector.js';
export {
  FINDING_LEVELS,
  FINDING_SCORES,
  FINGERPRINT_ANOMALIES,
  MAF_ANOMALIES,
  MAF_PATTERNS,
  levelOf,
  reportFinding,
  type Finding,
  type FindingLevel,
  type FingerprintAnomaly,
  type MafAnomaly,
  type MafPattern,
} from './maf-finding.js';
export { createMafFlagDetector, flagOf } from './maf-flag.detector.js';
export {
  DEFAULT_ESCALATION_MATRIX,
  ESCALATION_ACTIONS,
  MAF_DEFAULTS,
  MafOptionsSchema,
  SCORE_BANDS,
  type EscalationAction,
  type EscalationMatrix,
  type MafOptions,
  type MafOptionsInput,
  type MafOverrides,
  type ScoreBand,
  type ThresholdOptions,
} from './maf-options.js';
export { createMafStats, type MafStats, type MafStatsSnapshot, type PatternStats } from './maf-stats.js';
export { createNftListingDetector } from './nft-listing.detector.js';
export { hammingDistanceHex64 } from './perceptual-hash.js';
export { createReferralSpamDetector } from './referral-spam.detector.js';
export {
  COUNTRY_UTC_OFFSETS,
  createTimezoneResolver,
  type OffsetRange,
  type TimezoneResolver,
} from './timezone-offsets.js';
export { createWalletConnectDetector } from './wallet-connect.detector.js';

/**
 * The MAF detectors: the seven patterns (`maf.ip_signup`, `maf.device_signup`,
 * `maf.wallet_connect`, `maf.nft_listing`, `maf.referral_spam`, `maf.duplicate_upload`,
 * `maf.login_velocity`), `maf.fingerprint`, and last `maf.flag`, which reads their findings.
 * Overrides are merged per section with {@link MAF_DEFAULTS}.
 * @example createMafDetectors({ ipSignup: { redAt: 8 } }).at(-1)?.id; // 'maf.flag'
 */
export function createMafDetectors(opts?: MafOverrides | Partial<MafOptions>): Detector[] {
  const o = mergeSections(MAF_DEFAULTS, opts);
  return [
    createIpSignupDetector(o),
    createDeviceSignupDetector(o),
    createWalletConnectDetector(o),
    createNftListingDetector(o),
    createReferralSpamDetector(o),
    createDuplicateUploadDetector(o),
    createLoginVelocityDetector(o),
    createFingerprintDetector(o),
    createMafFlagDetector(o),
  ];
}

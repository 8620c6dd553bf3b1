import Type from 'typebox';
import { SIGNAL_EVENT_IMPACTS } from '../../events/event-types.js';
import { DAY, distinct, type DistinctSpec } from '../../features/feature-spec.js';
import { isPrivateIp, parseIp } from '../../util/ip.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { optCount, optDuration, optEnabled, optStrings, optUnit } from './shield-options.js';
import { attrFlag, attrNumber, formatPeriod, graded, pushSignal, ramp, round } from './shield-signal.js';

/** Options of the IP-reputation detector. */
export interface IpReputationOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score of the worst reputation (spec base impact of ip_reputation). */
  readonly impact: number;
  /** Labels of block- or flag-list entries for IPs that count as bad reputation (lower case). */
  readonly listLabels: readonly string[];
  /** Reports (list weight) at which a `bad_ip` entry scores the full impact. */
  readonly saturateReports: number;
  /** Window for distinct accounts per IP. */
  readonly sharedWindowMs: number;
  /** Distinct accounts on one IP in the window that fire (NAT and campuses share IPs: keep it high). */
  readonly sharedAccounts: number;
  /** Accounts at which the shared-IP finding scores its full weight. */
  readonly sharedSaturate: number;
}

/** Defaults: labels tor, bad_ip, proxy, vpn, botnet; 10 accounts on an IP in a day fire. @example IP_REPUTATION_DEFAULTS.sharedAccounts; // 10 */
export const IP_REPUTATION_DEFAULTS: IpReputationOptions = Object.freeze({
  enabled: true,
  impact: SIGNAL_EVENT_IMPACTS.ip_reputation,
  listLabels: Object.freeze(['tor', 'bad_ip', 'proxy', 'vpn', 'botnet']),
  saturateReports: 8,
  sharedWindowMs: DAY,
  sharedAccounts: 10,
  sharedSaturate: 50,
});

/** Schema of {@link IpReputationOptions} (every field optional). @example Compile(IpReputationOptionsSchema).Check({ sharedAccounts: 25 }) */
export const IpReputationOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score of the worst reputation (default 0.6)'),
    listLabels: optStrings('IP block-list labels that count (default tor, bad_ip, proxy, vpn, botnet)'),
    saturateReports: optCount('Reports at which a bad_ip entry scores the full impact (default 8)'),
    sharedWindowMs: optDuration('Window for distinct accounts per IP (default 1 day)'),
    sharedAccounts: optCount('Accounts on one IP that fire (default 10)'),
    sharedSaturate: optCount('Accounts at which the shared-IP finding is full (default 50)'),
  },
  { additionalProperties: false },
);

/** The features the IP-reputation detector reads. */
export interface IpReputationFeatures {
  /** Distinct users seen on the event's IP in the window, including this event. */
  readonly accounts: DistinctSpec;
}

/** @example ipReputationFeatures(IP_REPUTATION_DEFAULTS).accounts.of; // 'user' */
export function ipReputationFeatures(opts: IpReputationOptions): IpReputationFeatures {
  return { accounts: distinct({ entity: 'ip', of: 'user', window: opts.sharedWindowMs }) };
}

/**
 * Share of the impact per source. Tor exits and proxies hide the user on purpose; VPNs and
 * hosting ranges are often legitimate (privacy, offices); an IPHub `block` of 2 is its own
 * "may flag innocent users" class.
 */
export const IP_SOURCE_WEIGHTS = Object.freeze({
  tor: 1,
  listed: 0.8,
  proxy: 0.9,
  hosting: 0.75,
  vpn: 0.7,
  iphubNonResidential: 0.85,
  iphubMixed: 0.4,
} as const);

/** Shared-IP accounts weigh less than reputation: carrier NAT puts many honest users on one IP. */
const SHARED_WEIGHT = 0.7;

/**
 * IP reputation (spec proactive rule 7): block- or flag-list entries for the IP with a reputation label
 * (`tor`, `bad_ip` weighted by its report count, ...), provider flags sent with the event
 * (`attrs.ip_vpn`, `attrs.ip_proxy`, `attrs.ip_hosting`, IPHub-style `attrs.iphub_block` 1 or 2),
 * and many accounts on one IP (`shield.ip_reputation.shared`, skipped for private addresses).
 * Reputation sources describe one IP, so they make one signal coded by the strongest
 * (`shield.ip_reputation.listed` or `.anonymizer`). An allow-list entry for the IP silences the
 * detector. Category `reputation`. The catalogue tells the list detector to leave flagged IPs with
 * these labels to this detector, so a flagged IP makes one reputation finding.
 * @example const d = createIpReputationDetector(IP_REPUTATION_DEFAULTS); // Tor exit -> 0.6
 */
export function createIpReputationDetector(opts: IpReputationOptions): Detector {
  const f = ipReputationFeatures(opts);
  const labels = new Set(opts.listLabels.map((l) => l.toLowerCase()));
  const window = formatPeriod(opts.sharedWindowMs);
  const impact = opts.impact;
  return {
    id: 'shield.ip_reputation',
    features: [f.accounts],
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      const ip = e.ip;
      if (ip === undefined) return;
      const hit = ctx.lists.lookup('ip', ip);
      if (hit !== undefined && hit.verdict === 'allow') return;

      let listed = 0;
      let label = '';
      // block and flag entries grade the same here (the list detector forces the block itself)
      if (hit !== undefined && hit.verdict !== 'allow') {
        label = hit.label.toLowerCase();
        if (labels.has(label)) {
          listed =
            label === 'tor'
              ? IP_SOURCE_WEIGHTS.tor
              : label === 'bad_ip'
                ? IP_SOURCE_WEIGHTS.listed +
                  (1 - IP_SOURCE_WEIGHTS.listed) * ramp(hit.weight, 1, opts.saturateReports)
                : IP_SOURCE_WEIGHTS.listed;
        }
      }
      const vpn = attrFlag(e, 'ip_vpn');
      const proxy = attrFlag(e, 'ip_proxy');
      const hosting = attrFlag(e, 'ip_hosting');
      const iphub = attrNumber(e, 'iphub_block');
      let anon = 0;
      if (proxy) anon = Math.max(anon, IP_SOURCE_WEIGHTS.proxy);
      if (hosting) anon = Math.max(anon, IP_SOURCE_WEIGHTS.hosting);
      if (vpn) anon = Math.max(anon, IP_SOURCE_WEIGHTS.vpn);
      if (iphub === 1) anon = Math.max(anon, IP_SOURCE_WEIGHTS.iphubNonResidential);
      else if (iphub === 2) anon = Math.max(anon, IP_SOURCE_WEIGHTS.iphubMixed);

      if (listed > 0 || anon > 0) {
        const score = impact * Math.max(listed, anon);
        const findings: string[] = [];
        if (listed > 0) {
          findings.push(
            label === 'bad_ip'
              ? `listed as bad_ip with ${hit?.weight ?? 1} reports (${hit?.match ?? ip})`
              : `listed as ${label} (${hit?.match ?? ip})`,
          );
        }
        const flags: string[] = [];
        if (vpn) flags.push('VPN');
        if (proxy) flags.push('proxy');
        if (hosting) flags.push('hosting');
        if (iphub === 1 || iphub === 2) flags.push(`IPHub block ${iphub}`);
        if (flags.length > 0) findings.push(`flagged by the IP provider as ${flags.join(', ')}`);
        pushSignal(
          out,
          listed >= anon ? 'shield.ip_reputation.listed' : 'shield.ip_reputation.anonymizer',
          score,
          'reputation',
          `IP ${ip} is ${findings.join(' and ')}; score ${round(score, 2)}.`,
          {
            ip,
            listLabel: listed > 0 ? label : null,
            reports: listed > 0 && hit !== undefined ? hit.weight : null,
            vpn,
            proxy,
            hosting,
            iphubBlock: iphub ?? null,
          },
        );
      }

      if (e.user === undefined) return;
      const accounts = ctx.features.get(f.accounts);
      if (!(accounts >= opts.sharedAccounts)) return;
      // Parsing is rare (only past the threshold): private ranges mean a misconfigured proxy, not sharing.
      const parsed = parseIp(ip);
      if (parsed === undefined || isPrivateIp(parsed)) return;
      const score = graded(impact * SHARED_WEIGHT, ramp(accounts, opts.sharedAccounts, opts.sharedSaturate));
      pushSignal(
        out,
        'shield.ip_reputation.shared',
        score,
        'reputation',
        `IP ${ip} was used by ${accounts} accounts in the last ${window} (threshold ${opts.sharedAccounts}); score ${round(score, 2)}.`,
        { ip, accounts, threshold: opts.sharedAccounts },
      );
    },
  };
}

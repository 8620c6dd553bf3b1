import Type from 'typebox';
import { SIGNAL_EVENT_IMPACTS, type BuiltinEventType } from '../../events/event-types.js';
import { SECOND, count, type CountSpec } from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { optCount, optDuration, optEnabled, optEventTypes, optStrings, optUnit } from './shield-options.js';
import { attrFlag, formatDuration, graded, pushSignal, ramp, round } from './shield-signal.js';

/** Options of the bot-behaviour detector. */
export interface BotBehaviorOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score of a confirmed automation flag (spec base impact of bot_detection). */
  readonly impact: number;
  /** Extra user-agent substrings (case-insensitive) that mark automation, added to the built-in list. */
  readonly userAgentPatterns: readonly string[];
  /** Event types that are actions of the client, counted for bursts (not server-made results). */
  readonly burstTypes: readonly BuiltinEventType[];
  /** Window for the event burst check. */
  readonly burstWindowMs: number;
  /** Events by one user or device within the burst window that fire. */
  readonly burstCount: number;
  /** Events in the burst window at which the burst finding scores the full impact. */
  readonly burstSaturate: number;
}

/** Defaults: built-in crawler / headless patterns; 15 client actions within 10 s fire. @example BOT_BEHAVIOR_DEFAULTS.burstCount; // 15 */
export const BOT_BEHAVIOR_DEFAULTS: BotBehaviorOptions = Object.freeze({
  enabled: true,
  impact: SIGNAL_EVENT_IMPACTS.bot_detection,
  userAgentPatterns: Object.freeze([]),
  burstTypes: Object.freeze([
    'signup',
    'login',
    'payment',
    'transfer',
    'withdrawal',
    'referral',
    'upload',
    'wallet_connect',
    'nft_listing',
    'game_bet',
    'social',
    'report',
  ] as const),
  burstWindowMs: 10 * SECOND,
  burstCount: 15,
  burstSaturate: 40,
});

/** Schema of {@link BotBehaviorOptions} (every field optional). @example Compile(BotBehaviorOptionsSchema).Check({ userAgentPatterns: ['mybot'] }) */
export const BotBehaviorOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score of a confirmed automation flag (default 0.8)'),
    userAgentPatterns: optStrings('Extra user-agent substrings that mark automation'),
    burstTypes: optEventTypes(
      'Client actions counted for bursts (default: activity types but game_result, chargeback, behavior)',
    ),
    burstWindowMs: optDuration('Window of the burst check (default 10 seconds)'),
    burstCount: optCount('Events per user or device in the window that fire (default 15)'),
    burstSaturate: optCount('Events in the window that score the full impact (default 40)'),
  },
  { additionalProperties: false },
);

/**
 * Built-in user-agent markers of automation: headless browsers, browser drivers, HTTP libraries
 * and self-declared crawlers, plus `bot` as a word ending (Googlebot, AhrefsBot) that skips the
 * phone brand Cubot. Compact on purpose: full crawler catalogues belong in a `user_agent` list.
 * @example BOT_USER_AGENT_PATTERNS.includes('python-requests'); // true
 */
export const BOT_USER_AGENT_PATTERNS = Object.freeze([
  'headlesschrome',
  'headless',
  'phantomjs',
  'slimerjs',
  'selenium',
  'webdriver',
  'puppeteer',
  'playwright',
  'python-requests',
  'python-urllib',
  'python-httpx',
  'aiohttp',
  'scrapy',
  'curl/',
  'wget/',
  'libwww-perl',
  'go-http-client',
  'okhttp',
  'java/',
  'apache-httpclient',
  'node-fetch',
  'axios/',
  'undici',
  'httpclient',
  'crawler',
  'crawl',
  'spider',
  'slurp',
  'scraper',
  'fetcher',
  'archiver',
  'httrack',
  'facebookexternalhit',
  '-google',
  'googleother',
  // Browsers never put a URL in their user agent; crawlers announce their info page this way.
  'http://',
  'https://',
] as const);

/** Regex-escapes a literal. */
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Compiles the built-in and extra patterns into one case-insensitive regex, once per detector. */
/** Distinct user agents whose verdict is remembered before the memo starts over. */
const MAX_CACHED_USER_AGENTS = 4096;

function compileUserAgentRe(extra: readonly string[]): RegExp {
  const parts = [...BOT_USER_AGENT_PATTERNS, ...extra].map(escapeRe);
  parts.push('(?<!cu)bot\\b');
  return new RegExp(parts.join('|'), 'i');
}

/** The features the bot-behaviour detector reads. */
export interface BotBehaviorFeatures {
  /** The user's client actions in the burst window, including this one. */
  readonly userBurst: CountSpec;
  /** The device's client actions in the burst window, including this one. */
  readonly deviceBurst: CountSpec;
}

/** @example botBehaviorFeatures(BOT_BEHAVIOR_DEFAULTS).userBurst.window; // 10000 */
export function botBehaviorFeatures(opts: BotBehaviorOptions): BotBehaviorFeatures {
  return {
    userBurst: count({ entity: 'user', types: opts.burstTypes, window: opts.burstWindowMs }),
    deviceBurst: count({ entity: 'device', types: opts.burstTypes, window: opts.burstWindowMs }),
  };
}

/** A user-agent match scores this share of the impact: user agents are easy to fake both ways. */
const USER_AGENT_WEIGHT = 0.9;
const MAX_UA_EVIDENCE = 200;

/** `attrs.automation` values that say "no automation". */
const NOT_AUTOMATED = new Set(['', 'none', 'false', '0', 'no']);

/**
 * Bot behaviour (spec proactive rule 6): automation flags from the tracker (`attrs.automation`,
 * `attrs.webdriver`, `attrs.headless`), a crawler / headless / HTTP-library user agent, and a
 * burst of client actions by one user or device within seconds (checked on those actions). The findings describe one actor, so
 * they make one signal: the strongest finding names the code (`shield.bot_behavior.automation`,
 * `.user_agent` or `.burst`) and the reason lists all. Category `behavior`.
 * @example const d = createBotBehaviorDetector(BOT_BEHAVIOR_DEFAULTS); // userAgent 'HeadlessChrome/120' -> 0.72
 */
export function createBotBehaviorDetector(opts: BotBehaviorOptions): Detector {
  const f = botBehaviorFeatures(opts);
  const uaRe = compileUserAgentRe(opts.userAgentPatterns);
  // Apps see a few hundred distinct user agents, each many times: remember each one's verdict
  // ('' for no match) instead of running the long pattern on every event. Bounded: cleared when full.
  const uaVerdicts = new Map<string, string>();
  const uaMatchOf = (ua: string): string | null => {
    let v = uaVerdicts.get(ua);
    if (v === undefined) {
      v = uaRe.exec(ua)?.[0] ?? '';
      if (uaVerdicts.size >= MAX_CACHED_USER_AGENTS) uaVerdicts.clear();
      uaVerdicts.set(ua, v);
    }
    return v === '' ? null : v;
  };
  const burstLabel = formatDuration(opts.burstWindowMs);
  const burstTypes = new Set<string>(opts.burstTypes);
  return {
    id: 'shield.bot_behavior',
    features: [f.userBurst, f.deviceBurst],
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      const automation = e.attrs?.['automation'];
      const automated =
        automation === true ||
        automation === 1 ||
        (typeof automation === 'string' && !NOT_AUTOMATED.has(automation.toLowerCase())) ||
        attrFlag(e, 'webdriver') ||
        attrFlag(e, 'headless');
      const ua = e.userAgent;
      const uaMatch = ua === undefined || ua === '' ? null : uaMatchOf(ua);
      // Server-made events (a game's result) ride along with the action; only actions count.
      const counted = burstTypes.has(e.type);
      const burst = !counted
        ? 0
        : Math.max(
            e.user === undefined ? 0 : ctx.features.get(f.userBurst),
            e.device === undefined ? 0 : ctx.features.get(f.deviceBurst),
          );
      const bursty = burst >= opts.burstCount;
      if (!automated && uaMatch === null && !bursty) return;

      const sAutomation = automated ? opts.impact : 0;
      const sUa = uaMatch === null ? 0 : opts.impact * USER_AGENT_WEIGHT;
      const sBurst = bursty ? graded(opts.impact, ramp(burst, opts.burstCount, opts.burstSaturate)) : 0;
      const score = Math.max(sAutomation, sUa, sBurst);
      const code =
        score === sAutomation
          ? 'shield.bot_behavior.automation'
          : score === sUa
            ? 'shield.bot_behavior.user_agent'
            : 'shield.bot_behavior.burst';
      const findings: string[] = [];
      if (automated) {
        findings.push(
          `the tracker reported automation (${typeof automation === 'string' ? automation : 'webdriver/headless flag'})`,
        );
      }
      if (uaMatch !== null) findings.push(`the user agent contains '${uaMatch}'`);
      if (bursty) {
        findings.push(
          `${burst} events by the same user or device within ${burstLabel} (threshold ${opts.burstCount})`,
        );
      }
      pushSignal(
        out,
        code,
        score,
        'behavior',
        `Automated client: ${findings.join('; ')}; score ${round(score, 2)}.`,
        {
          automationFlag: automated,
          userAgentMatch: uaMatch,
          userAgent: ua === undefined ? null : ua.slice(0, MAX_UA_EVIDENCE),
          burst,
          burstThreshold: opts.burstCount,
        },
      );
    },
  };
}

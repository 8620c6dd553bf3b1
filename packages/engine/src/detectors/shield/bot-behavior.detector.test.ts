import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import { SECOND } from '../../features/feature-spec.js';
import {
  BOT_BEHAVIOR_DEFAULTS,
  botBehaviorFeatures,
  createBotBehaviorDetector,
} from './bot-behavior.detector.js';
import { createFakeFeatures, runDetector, testEvent } from '../testing/fake-features.js';

const d = createBotBehaviorDetector(BOT_BEHAVIOR_DEFAULTS);
const f = botBehaviorFeatures(BOT_BEHAVIOR_DEFAULTS);
const quiet = createFakeFeatures(d.features);
const run = (fields: Partial<VigilEvent>, fake = quiet) =>
  runDetector(d, testEvent({ type: 'login', user: 'u1', device: 'dev-1', ...fields }), fake);

const HUMAN_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.45 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
];

const BOT_AGENTS: ReadonlyArray<readonly [string, string]> = [
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
    'HeadlessChrome',
  ],
  [
    'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1',
    'PhantomJS',
  ],
  ['python-requests/2.31.0', 'python-requests'],
  ['curl/8.4.0', 'curl/'],
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot'],
  ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'bot'],
  ['Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', 'Bot'],
  ['Scrapy/2.11.0 (+https://scrapy.org)', 'Scrapy'],
  ['Go-http-client/2.0', 'Go-http-client'],
  ['Mozilla/5.0 Selenium/4.18', 'Selenium'],
  ['Mozilla/5.0 puppeteer-extra', 'puppeteer'],
  ['Baiduspider+(+http://www.baidu.com/search/spider.htm)', 'spider'],
];

describe('bot-behavior detector', () => {
  it('declares 10-second counts of client actions per user and per device', () => {
    expect(d.features).toEqual([f.userBurst, f.deviceBurst]);
    expect(f.userBurst).toMatchObject({ kind: 'count', entity: 'user', window: 10 * SECOND });
    expect(f.deviceBurst).toMatchObject({ kind: 'count', entity: 'device', window: 10 * SECOND });
    expect(f.userBurst.types).toContain('game_bet');
    expect(f.userBurst.types).not.toContain('game_result');
    expect(f.userBurst.types).not.toContain('chargeback');
    expect(f.userBurst.types).not.toContain('behavior');
  });

  it.each(HUMAN_AGENTS)('stays quiet for a browser: %s', (userAgent) => {
    expect(run({ userAgent })).toEqual([]);
  });

  it.each(BOT_AGENTS)('flags the automated agent %s', (userAgent, match) => {
    const [s, ...rest] = run({ userAgent });
    expect(rest).toEqual([]);
    expect(s?.code).toBe('shield.bot_behavior.user_agent');
    expect(s?.category).toBe('behavior');
    expect(s?.score).toBeCloseTo(0.72, 10);
    expect(s?.evidence['userAgentMatch']).toBe(match);
    expect(s?.reason).toBe(`Automated client: the user agent contains '${match}'; score 0.72.`);
  });

  it('stays quiet without a user agent', () => {
    expect(run({})).toEqual([]);
    expect(run({ userAgent: '' })).toEqual([]);
  });

  it('scores tracker automation flags at the full base impact', () => {
    for (const attrs of [
      { automation: 'webdriver' },
      { automation: true },
      { webdriver: true },
      { headless: 1 },
    ]) {
      const [s] = run({ attrs });
      expect(s?.code).toBe('shield.bot_behavior.automation');
      expect(s?.score).toBe(0.8);
    }
    for (const attrs of [
      { automation: 'none' },
      { automation: false },
      { automation: '' },
      { webdriver: false },
    ]) {
      expect(run({ attrs })).toEqual([]);
    }
  });

  it('flags a burst of actions by one user or one device', () => {
    const [s] = run({}, createFakeFeatures(d.features).set(f.userBurst, 15));
    expect(s?.code).toBe('shield.bot_behavior.burst');
    expect(s?.score).toBeCloseTo(0.48, 10);
    expect(s?.reason).toBe(
      'Automated client: 15 events by the same user or device within 10 seconds (threshold 15); score 0.48.',
    );
    const device = createFakeFeatures(d.features).set(f.deviceBurst, 40);
    expect(runDetector(d, testEvent({ device: 'dev-1' }), device)[0]?.score).toBeCloseTo(0.8, 10);
    expect(run({}, createFakeFeatures(d.features).set(f.userBurst, 14))).toEqual([]);
  });

  it('does not judge bursts on server-made events such as game results', () => {
    const busy = createFakeFeatures(d.features).set(f.userBurst, 40);
    expect(run({ type: 'game_result' }, busy)).toEqual([]);
    expect(run({ type: 'game_bet' }, busy)).toHaveLength(1);
  });

  it('merges findings about one client into one signal named by the strongest', () => {
    const fake = createFakeFeatures(d.features).set(f.userBurst, 16);
    const signals = run({ userAgent: 'HeadlessChrome/120', attrs: { automation: 'headless' } }, fake);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.code).toBe('shield.bot_behavior.automation');
    expect(signals[0]?.score).toBe(0.8);
    expect(signals[0]?.reason).toBe(
      "Automated client: the tracker reported automation (headless); the user agent contains 'HeadlessChrome'; " +
        '16 events by the same user or device within 10 seconds (threshold 15); score 0.8.',
    );
  });

  it('gives the same verdict for a user agent seen again, also past the memo of verdicts', () => {
    const fresh = createBotBehaviorDetector(BOT_BEHAVIOR_DEFAULTS);
    const verdict = (ua: string) =>
      runDetector(fresh, testEvent({ type: 'login', user: 'u1', userAgent: ua }), quiet).map((x) => x.code);
    const bot = 'python-requests/2.31.0';
    expect(verdict(bot)).toEqual(['shield.bot_behavior.user_agent']);
    // Five thousand distinct human agents overflow the memo of 4,096 verdicts.
    for (let i = 0; i < 5000; i++) expect(verdict(`Mozilla/5.0 (build ${i}) Firefox/125.0`)).toEqual([]);
    expect(verdict(bot)).toEqual(['shield.bot_behavior.user_agent']);
    expect(verdict(HUMAN_AGENTS[0] ?? '')).toEqual([]);
    expect(verdict(HUMAN_AGENTS[0] ?? '')).toEqual([]);
  });

  it('adds user-agent patterns from its options', () => {
    const custom = createBotBehaviorDetector({
      ...BOT_BEHAVIOR_DEFAULTS,
      userAgentPatterns: ['FraudKit (v2)'],
    });
    const fake = createFakeFeatures(custom.features);
    expect(
      runDetector(custom, testEvent({ userAgent: 'Mozilla/5.0 fraudkit (v2) build 7' }), fake),
    ).toHaveLength(1);
    expect(runDetector(custom, testEvent({ userAgent: 'Mozilla/5.0 fraudkit v2' }), fake)).toEqual([]);
  });
});

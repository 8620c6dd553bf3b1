import { EXAMPLE_RULES, RISK_LEVEL_ACTIONS, type RiskLevel } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWiredTestServer, type WiredTestServer } from './wired-test-server.js';

let s: WiredTestServer;
let fin: { id: string; apiKey: string };
let chain: { id: string; apiKey: string };
let viewerKey: string;

const SENDER = '0x1111111111111111111111111111111111111111';
const RECIPIENT = '0x2222222222222222222222222222222222222222';
const SANCTIONED = '0x9999999999999999999999999999999999999999';

beforeAll(async () => {
  s = await createWiredTestServer();
  fin = await s.createApp('fintech');
  chain = await s.createApp('stablecoin');
  viewerKey = (await s.rt.keys.create({ role: 'viewer', name: 'ops' }, 'test')).key;
});
afterAll(async () => {
  await s.close();
});

type ScoreBody = {
  transaction_id: string;
  risk_score: number;
  is_fraud: boolean;
  model_used: string;
  processing_time_ms: number;
  confidence: number;
  explanations: { amount_risk: number; user_behavior_risk: number; merchant_risk: number };
  reasons: string[];
  duplicate: boolean;
};

describe('POST /v1/score', () => {
  const example = {
    transaction_id: 'txn_001',
    amount: 150.0,
    user_id: 'user_123',
    merchant_id: 'merchant_456',
    timestamp: '2026-01-15T11:30:00Z',
    device_fingerprint: 'fp_abc123',
    ip_address: '192.168.1.1',
  };

  it("answers the ML API's shape for the spec's example, idempotent by transaction_id", async () => {
    const r = await s.call('POST', '/v1/score', { key: fin.apiKey, body: example });
    expect(r.statusCode).toBe(200);
    const body = r.json<ScoreBody>();
    expect(body).toMatchObject({
      transaction_id: 'txn_001',
      risk_score: 0,
      is_fraud: false,
      model_used: 'rules:vigil-0.1.0+config.0',
      risk_level: 'SAFE',
      decision: 'allow',
      explanations: { amount_risk: 0, user_behavior_risk: 0, merchant_risk: 0 },
      duplicate: false,
    });
    expect(body.processing_time_ms).toBeGreaterThanOrEqual(0);
    expect(body.confidence).toBeGreaterThan(0);
    const stored = await s.rt.db.kysely
      .selectFrom('events')
      .select(['type', 'user_id', 'at', 'payload'])
      .where('app_id', '=', fin.id)
      .where('id', '=', 'txn_001')
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      type: 'payment',
      user_id: 'user_123',
      at: Date.parse('2026-01-15T11:30:00Z'),
    });
    expect(JSON.parse(stored.payload)).toMatchObject({
      amount: 150,
      merchant: 'merchant_456',
      device: 'fp_abc123',
      ip: '192.168.1.1',
    });
    expect((await s.call('POST', '/v1/score', { key: fin.apiKey, body: example })).json()).toMatchObject({
      duplicate: true,
    });
  });

  it("applies the app's rules: the ML spec's amount_threshold makes a 15,000 payment fraud", async () => {
    expect(
      (await s.call('PUT', '/v1/config', { key: fin.apiKey, body: { rules: EXAMPLE_RULES } })).statusCode,
    ).toBe(200);
    const r = await s.call('POST', '/v1/score', {
      key: fin.apiKey,
      body: { ...example, transaction_id: 'txn_002', amount: 15000 },
    });
    const body = r.json<ScoreBody>();
    expect(body.risk_score).toBeGreaterThanOrEqual(0.8);
    expect(body).toMatchObject({ is_fraud: true, model_used: 'rules:vigil-0.1.0+config.1' });
    expect(body.reasons).toContain('Amount 15000 is above the 10,000 threshold.');
  });

  it('answers 400 at the source paths', async () => {
    const r = await s.call('POST', '/v1/score', {
      key: fin.apiKey,
      body: { ...example, transaction_id: 'txn_bad', ip_address: '300.1.1.1', timestamp: 'soon' },
    });
    expect(r.statusCode).toBe(400);
    expect(
      r
        .json<{ details: { path: string }[] }>()
        .details.map((d) => d.path)
        .sort(),
    ).toEqual(['/ip_address', '/timestamp']);
    expect(
      (await s.call('POST', '/v1/score', { key: fin.apiKey, body: { ...example, amount: -1 } })).statusCode,
    ).toBe(400);
    expect(
      (await s.call('POST', '/v1/score', { key: fin.apiKey, body: { amount: 1, user_id: 'u' } })).statusCode,
    ).toBe(400);
  });
});

type AnalyzeBody = {
  overall_score: number;
  velocity_score: number;
  amount_score: number;
  pattern_score: number;
  graph_score: number;
  timing_score: number;
  risk_level: string;
  approved: boolean;
  flagged: boolean;
  blocked: boolean;
  alerts: string[];
  explanations: string[];
  analysis_time_ms: number;
  model_version: string;
};

describe('POST /analyze', () => {
  it("scores a structuring transfer with the spec's weighted ensemble", async () => {
    const r = await s.call('POST', '/analyze', {
      key: chain.apiKey,
      body: {
        transaction_id: '0xtx1',
        sender: SENDER,
        recipient: RECIPIENT,
        amount: 9500,
        timestamp: 1768474800,
      },
    });
    expect(r.statusCode).toBe(200);
    const b = r.json<AnalyzeBody>();
    expect(b).toMatchObject({
      transaction_id: '0xtx1',
      amount_score: 70,
      model_version: 'vigil-0.1.0+config.0',
    });
    expect(b.overall_score).toBeCloseTo(
      b.velocity_score * 0.25 +
        b.amount_score * 0.25 +
        b.pattern_score * 0.2 +
        b.graph_score * 0.2 +
        b.timing_score * 0.1,
      2,
    );
    expect(b.overall_score).toBe(17.5);
    // the verdict is the more severe of the ensemble's level (17.5: SAFE) and the engine decision's,
    // which follows the app's configured combination, rules and lists
    const d = await s.rt.db.kysely
      .selectFrom('decisions')
      .select(['level', 'score'])
      .where('app_id', '=', chain.id)
      .where('event_id', '=', '0xtx1')
      .executeTakeFirstOrThrow();
    expect(b).toMatchObject({
      risk_level: d.level,
      decision_score: d.score,
      approved: RISK_LEVEL_ACTIONS[d.level as RiskLevel].approved,
      flagged: RISK_LEVEL_ACTIONS[d.level as RiskLevel].flagged,
      blocked: false,
      alerts: ['AMOUNT_ANOMALY'],
    });
    // with the oracle's weighted combination the decision is the ensemble itself
    await s.call('PUT', '/v1/config', { key: chain.apiKey, body: { combination: { method: 'weighted' } } });
    const weighted = await s.call('POST', '/analyze', {
      key: chain.apiKey,
      body: {
        transaction_id: '0xtx1w',
        sender: '0x3333333333333333333333333333333333333333',
        recipient: RECIPIENT,
        amount: 9500,
      },
    });
    expect(weighted.json()).toMatchObject({
      overall_score: 17.5,
      decision_score: 18,
      risk_level: 'SAFE',
      approved: true,
      flagged: false,
      model_version: 'vigil-0.1.0+config.1',
    });
    await s.call('PUT', '/v1/config', { key: chain.apiKey, body: {} });
    expect(b.explanations[0]).toContain('reporting threshold');
  });

  it('blocks a transfer to a sanctioned address', async () => {
    await s.lists.add(
      chain.id,
      'wallet',
      [{ value: SANCTIONED, verdict: 'block', label: 'sanctioned' }],
      'test',
    );
    const r = await s.call('POST', '/analyze', {
      key: chain.apiKey,
      body: { transaction_id: '0xtx2', sender: SENDER, recipient: SANCTIONED, amount: 100 },
    });
    const b = r.json<AnalyzeBody>();
    expect(b.graph_score).toBeGreaterThan(0);
    expect(b).toMatchObject({ blocked: true, approved: false, flagged: true });
    expect(['HIGH', 'CRITICAL']).toContain(b.risk_level);
  });

  it('answers 400 for malformed transfers', async () => {
    const r = await s.call('POST', '/analyze', {
      key: chain.apiKey,
      body: { transaction_id: 'x', sender: 'has space', recipient: RECIPIENT, amount: 1 },
    });
    expect(r.statusCode).toBe(400);
    expect(
      (await s.call('POST', '/analyze', { key: chain.apiKey, body: { transaction_id: 'x', sender: SENDER } }))
        .statusCode,
    ).toBe(400);
  });
});

describe('GET /wallet/:address, GET /v1/wallets/:address and GET /stats', () => {
  it("answer the oracle's wallet profile and totals", async () => {
    const profile = await s.call('GET', `/wallet/${SENDER.toUpperCase().replace('0X', '0x')}`, {
      key: chain.apiKey,
    });
    expect(profile.statusCode).toBe(200);
    const p = profile.json<Record<string, unknown>>();
    expect(p).toMatchObject({
      address: SENDER,
      is_blacklisted: false,
      is_whitelisted: false,
      transaction_count: 2,
      total_volume: 9600,
      avg_amount: 4800,
      event_count: 2,
    });
    expect(p['peak_risk_score']).toBeGreaterThanOrEqual(p['risk_score'] as number);
    expect((await s.call('GET', `/v1/wallets/${SENDER}`, { key: chain.apiKey })).json()).toEqual(p);
    expect((await s.call('GET', `/v1/wallets/${SANCTIONED}`, { key: chain.apiKey })).json()).toMatchObject({
      is_blacklisted: true,
      transaction_count: 0,
    });
    expect(
      (await s.call('GET', `/v1/wallets/${SENDER}?app=${chain.id}`, { key: viewerKey })).statusCode,
    ).toBe(200);
    expect((await s.call('GET', `/v1/wallets/${SENDER}`, { key: fin.apiKey })).statusCode).toBe(404);
    expect((await s.call('GET', `/wallet/${SENDER}?app=${fin.id}`, { key: chain.apiKey })).statusCode).toBe(
      403,
    );

    const stats = await s.call('GET', '/stats', { key: chain.apiKey });
    const decided = await s.rt.db.kysely
      .selectFrom('decisions')
      .select(['level', 'outcome'])
      .where('app_id', '=', chain.id)
      .execute();
    const flagged = decided.filter((d) => ['MEDIUM', 'HIGH', 'CRITICAL'].includes(d.level)).length;
    expect(decided).toHaveLength(3);
    expect(flagged).toBeGreaterThanOrEqual(1);
    expect(stats.json()).toEqual({
      total_analyses: 3,
      total_blocked: 1,
      total_flagged: flagged,
      total_profiles: 2,
      blacklist_size: 1,
      whitelist_size: 0,
      model_version: 'vigil-0.1.0+config.2',
      block_rate: Math.round((1 / 3) * 1e4) / 1e4,
      flag_rate: Math.round((flagged / 3) * 1e4) / 1e4,
    });
    expect((await s.call('GET', '/stats', { key: viewerKey })).statusCode).toBe(400);
  });
});

describe('GET /v1/devices/:id', () => {
  it('shows the users seen on a device', async () => {
    const r = await s.call('GET', '/v1/devices/fp_abc123', { key: fin.apiKey });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      app: fin.id,
      device: 'fp_abc123',
      users: [{ user: 'user_123', events: 2 }],
      userCount: 1,
      eventCount: 2,
      isBlocked: false,
    });
    expect((await s.call('GET', '/v1/devices/unknown', { key: fin.apiKey })).statusCode).toBe(404);
    expect((await s.call('GET', '/v1/devices/fp_abc123', { key: chain.apiKey })).statusCode).toBe(404);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';
import { fraudCsv } from './fraud-csv.fixture.js';
import { DRIFT_MIN_SCORES } from './model.service.js';

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(async () => {
  await s.close();
});

describe('model drift', () => {
  it('raises an alert when live scores shift away from the training scores, none before enough scores', async () => {
    const a = await s.createApp();
    const up = await s.app.inject({
      method: 'POST',
      url: '/v1/models?model=gbdt&label=is_fraud&name=fraud',
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'text/csv' },
      payload: fraudCsv(600),
    });
    const id = up.json<{ id: string }>().id;
    expect((await s.call('POST', `/v1/models/${id}/deploy`, { key: a.apiKey })).statusCode).toBe(200);
    expect((await s.rt.models.checkDrift()).filter((r) => r.appId === a.id)).toEqual([]);

    // every live event is a burst of big payments: scores all near 1, training had ~80 % near 0
    for (let i = 0; i < DRIFT_MIN_SCORES + 10; i++) {
      const res = await s.call('POST', '/v1/events', {
        key: a.apiKey,
        body: { id: `e${i}`, type: 'payment', user: `u${Math.floor(i / 10)}`, amount: 950 },
      });
      expect(res.statusCode).toBe(200);
      s.clock.advance(1000);
    }
    const results = (await s.rt.models.checkDrift()).filter((r) => r.appId === a.id);
    expect(results).toHaveLength(1);
    expect(results[0]!.psi).toBeGreaterThan(0.25);
    expect(results[0]!.alerted).toBe(true);
    const alerts = await s.rt.db.kysely
      .selectFrom('alerts')
      .selectAll()
      .where('app_id', '=', a.id)
      .where('type', '=', 'model_drift')
      .execute();
    expect(alerts).toHaveLength(1);
    expect(JSON.parse(alerts[0]!.payload)).toMatchObject({
      alert: 'model_drift',
      model: { id, name: 'fraud' },
    });

    // an hour later the window is empty: nothing judged
    s.clock.advance(2 * 3_600_000);
    expect((await s.rt.models.checkDrift()).filter((r) => r.appId === a.id)).toEqual([]);
  });
});

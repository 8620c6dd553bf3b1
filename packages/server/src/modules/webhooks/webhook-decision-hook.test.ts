import { createEngine, type Decision } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../../errors.js';
import { createSqliteTestDatabase, type TestDatabase } from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createEventIngest, type CommittedDecision, type IngestResult } from '../events/event-ingest.js';
import { createEventStore } from '../events/event.store.js';
import { createOutbox } from '../outbox/outbox.js';
import { createOutboxStore } from '../outbox/outbox.store.js';
import {
  decisionWebhooks,
  isAnomalyAlert,
  isHighRisk,
  webhookDecisionHook,
} from './webhook-decision-hook.js';
import { createWebhookService, WEBHOOK_OUTBOX_KIND } from './webhook.service.js';

describe('decision webhooks', () => {
  let t: TestDatabase;
  const clock = createFakeClock(Date.UTC(2026, 2, 1));
  beforeAll(async () => {
    t = await createSqliteTestDatabase();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const decided = (r: IngestResult): Decision => {
    if (!r.ok || r.decision === undefined) throw new Error('expected a fresh decision');
    return r.decision;
  };

  it('high-risk levels and RED flags or alerts are reported, the rest is not', async () => {
    const ingest = createEventIngest({ db: t.db, engine: createEngine(), clock });
    const app = ulid();
    const high = decided(
      await ingest.submit(app, { id: 'f1', type: 'fraud_signal', user: 'm', tier: 'guest' }),
    );
    const safe = decided(await ingest.submit(app, { id: 'l1', type: 'login', user: 'alice' }));
    expect([high.level, high.flag, safe.level, safe.flag]).toEqual(['HIGH', 'RED', 'SAFE', 'GREEN']);
    expect(isHighRisk(high)).toBe(true);
    expect(isHighRisk({ level: 'CRITICAL' })).toBe(true);
    expect(isHighRisk({ level: 'MEDIUM' })).toBe(false);
    expect(isAnomalyAlert({ flag: 'YELLOW', alerts: ['VELOCITY_ANOMALY'] })).toBe(true);
    expect(isAnomalyAlert({ flag: 'YELLOW', alerts: [] })).toBe(false);

    const event = (id: string, user: string) => ({ id, app, type: 'fraud_signal' as const, at: 1, user });
    const items = decisionWebhooks([
      { seq: 1, event: event('f1', 'm'), decision: high },
      { seq: 2, event: event('l1', 'alice'), decision: safe },
      { seq: 3, event: event('x1', 'bob'), decision: { ...safe, alerts: ['DUST_ATTACK'] } },
    ]);
    expect(items.map((i) => [i.type, i.data['eventId']])).toEqual([
      ['decision.high_risk', 'f1'],
      ['anomaly.alert', 'f1'],
      ['anomaly.alert', 'x1'],
    ]);
    expect(items[0]).toMatchObject({
      app,
      data: {
        user: 'm',
        level: 'HIGH',
        flag: 'RED',
        outcome: high.outcome,
        risk: high.risk,
        score: high.score,
      },
    });
    expect(items[2]!.data).toMatchObject({ user: 'bob', alerts: ['DUST_ATTACK'] });
  });

  it('the commit hook enqueues webhook messages in the decision transaction and wakes the dispatcher after it', async () => {
    const app = ulid();
    const outbox = createOutbox({ clock });
    const webhooks = createWebhookService({ db: t.db, clock, outbox }, { allowPrivateNetworks: true });
    const e = await webhooks.create(app, { url: 'http://127.0.0.1:9/hook', events: ['decision.high_risk'] });
    let wakes = 0;
    const seen: CommittedDecision[][] = [];
    const ingest = createEventIngest(
      { db: t.db, engine: createEngine(), clock },
      {
        commitHooks: [
          webhookDecisionHook(webhooks, () => wakes++),
          {
            async onCommit(tx, committed) {
              seen.push([...committed]);
              // the other hook's rows are already visible inside the same transaction
              const pending = await tx.kysely
                .selectFrom('outbox')
                .select('id')
                .where('app_id', '=', app)
                .execute();
              expect(pending.length).toBe(committed.some((c) => isHighRisk(c.decision)) ? 1 : 0);
            },
          },
        ],
      },
    );
    const [bad, ok] = await Promise.all([
      ingest.submit(app, { id: 'h1', type: 'fraud_signal', user: 'm', tier: 'guest' }),
      ingest.submit(app, { id: 'h2', type: 'login', user: 'alice' }),
    ]);
    expect(bad.ok && ok.ok).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.map((c) => c.event.id)).toEqual(['h1', 'h2']);
    expect(seen[0]![0]!.seq).toBeGreaterThan(0);
    expect(wakes).toBe(1);

    const claimed = await createOutboxStore(t.db).claim({
      now: clock.now(),
      limit: 10,
      leaseMs: 1000,
      kinds: [WEBHOOK_OUTBOX_KIND],
    });
    const mine = claimed.filter((m) => m.app === app);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.payload).toMatchObject({ endpointId: e.id, type: 'decision.high_risk' });

    // a re-sent event id is answered from the log: no second message
    const again = await ingest.submit(app, { id: 'h1', type: 'fraud_signal', user: 'm', tier: 'guest' });
    expect(again.ok && again.duplicate).toBe(true);
    expect(seen).toHaveLength(1);
    expect(wakes).toBe(1);
  });

  it('a hook that fails rolls the whole batch back: no event, no decision, no message', async () => {
    const app = ulid();
    const outbox = createOutbox({ clock });
    const webhooks = createWebhookService({ db: t.db, clock, outbox }, { allowPrivateNetworks: true });
    await webhooks.create(app, { url: 'http://127.0.0.1:9/hook', events: ['decision.high_risk'] });
    const errors: unknown[] = [];
    const ingest = createEventIngest(
      { db: t.db, engine: createEngine(), clock },
      {
        onCommitError: (err) => errors.push(err),
        commitHooks: [
          webhookDecisionHook(webhooks),
          {
            onCommit: async () => {
              throw new Error('enforcement store down');
            },
          },
        ],
      },
    );
    const err: unknown = await ingest
      .submit(app, { id: 'r1', type: 'fraud_signal', user: 'm', tier: 'guest' })
      .catch((e: unknown) => e);
    expect(isDomainError(err, 'unavailable')).toBe(true);
    expect(errors).toHaveLength(1);
    expect((await createEventStore(t.db).findDecisionPayloads(app, ['r1'])).size).toBe(0);
    const rows = await t.db.kysely.selectFrom('outbox').select('id').where('app_id', '=', app).execute();
    expect(rows).toEqual([]);
  });
});

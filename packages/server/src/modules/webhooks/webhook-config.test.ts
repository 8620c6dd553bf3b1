import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';

describe('webhook configuration', () => {
  it('defaults: private networks refused, 10 s timeout, 8 attempts, this process dispatches', () => {
    const c = loadConfig({});
    expect(c.webhooks).toEqual({ allowPrivateNetworks: false, timeoutMs: 10_000, maxAttempts: 8 });
    expect(c.outboxDispatch).toBe(true);
  });

  it('reads the variables', () => {
    const c = loadConfig({
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_TIMEOUT_MS: '2500',
      WEBHOOK_MAX_ATTEMPTS: '3',
      OUTBOX_DISPATCH: 'false',
    });
    expect(c.webhooks).toEqual({ allowPrivateNetworks: true, timeoutMs: 2500, maxAttempts: 3 });
    expect(c.outboxDispatch).toBe(false);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: '0' }).webhooks.allowPrivateNetworks).toBe(false);
  });

  it('lists bad values', () => {
    let err: unknown;
    try {
      loadConfig({
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'yes please',
        WEBHOOK_TIMEOUT_MS: '10',
        WEBHOOK_MAX_ATTEMPTS: '0',
        OUTBOX_DISPATCH: 'maybe',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    if (!(err instanceof ConfigError)) return;
    expect(err.problems.map((p) => p.key).sort()).toEqual([
      'OUTBOX_DISPATCH',
      'WEBHOOK_ALLOW_PRIVATE_NETWORKS',
      'WEBHOOK_MAX_ATTEMPTS',
      'WEBHOOK_TIMEOUT_MS',
    ]);
    expect(err.message).toContain("WEBHOOK_ALLOW_PRIVATE_NETWORKS: must be true or false, got 'yes please'");
  });
});

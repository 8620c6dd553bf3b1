import { DEFAULT_ENGINE_CONFIG } from '@vigil/engine';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GATEKEEPER_CONFIG, parseConfigDocument } from './config-document.js';

describe('parseConfigDocument', () => {
  it('gives the defaults for an empty document', () => {
    const r = parseConfigDocument({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.engine).toEqual(DEFAULT_ENGINE_CONFIG);
    expect(r.value.gatekeeper).toEqual(DEFAULT_GATEKEEPER_CONFIG);
    expect(r.value.gatekeeper.uploads.maxBytes).toBe(15 * 1024 * 1024);
  });

  it("merges engine overrides and the gatekeeper section (the AGK's update_config example)", () => {
    const r = parseConfigDocument({
      access: { full: 70, restricted: 50 },
      gatekeeper: { uploads: { maxBytes: 15 * 1024 * 1024 }, access: { resources: { withdrawals: 'FULL' } } },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.engine.access).toEqual({ ...DEFAULT_ENGINE_CONFIG.access, full: 70, restricted: 50 });
    expect(r.value.gatekeeper.access).toEqual({ minLevel: 'LIMITED', resources: { withdrawals: 'FULL' } });
    expect(r.value.gatekeeper.uploads.allowedTypes).toEqual(DEFAULT_GATEKEEPER_CONFIG.uploads.allowedTypes);
    expect(Object.isFrozen(r.value.gatekeeper.access.resources)).toBe(true);
  });

  it('lists every problem of both sections with its path', () => {
    const r = parseConfigDocument({
      levels: { bands: { LOW: 50, MEDIUM: 40 } },
      captcha: { threshold: 'high' },
      bogus: 1,
      gatekeeper: {
        uploads: { maxBytes: 0, allowedTypes: ['image/jpeg', 'text/plain'] },
        access: { minLevel: 'GOLD', resources: { 'bad name!': 'FULL' } },
        extra: true,
      },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/captcha/threshold',
        '/bogus',
        '/gatekeeper/uploads/maxBytes',
        '/gatekeeper/uploads/allowedTypes/1',
        '/gatekeeper/access/minLevel',
        '/gatekeeper/extra',
      ]),
    );
    expect(r.problems.find((p) => p.path === '/gatekeeper/access/minLevel')?.message).toContain('"FULL"');
  });

  it('checks semantic rules and resource names once the schema passes', () => {
    const bands = parseConfigDocument({ levels: { bands: { LOW: 50, MEDIUM: 40, HIGH: 61, CRITICAL: 81 } } });
    expect(bands.ok ? [] : bands.problems).toEqual([
      { path: '/levels/bands/MEDIUM', message: 'must be greater than LOW (50)' },
    ]);
    const names = parseConfigDocument({
      gatekeeper: { access: { resources: { 'bad name!': 'FULL', ok: 'LIMITED' } } },
    });
    expect(names.ok ? [] : names.problems.map((p) => p.path)).toEqual([
      '/gatekeeper/access/resources/bad name!',
    ]);
  });

  it('rejects non-objects and prototype keys without throwing', () => {
    for (const bad of [null, [], 'x', 3]) {
      const r = parseConfigDocument(bad);
      expect(r.ok ? [] : r.problems).toEqual([{ path: '/', message: 'must be a JSON object' }]);
    }
    const proto = parseConfigDocument(JSON.parse('{"access": {"__proto__": {"full": 1}}}'));
    expect(proto.ok).toBe(false);
  });
});

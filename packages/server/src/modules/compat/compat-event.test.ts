import { describe, expect, it } from 'vitest';
import { createEventDraft, eventIdFor, toEventTime, toEventType } from './compat-event.js';

describe('toEventType', () => {
  it('keeps built-in types, maps source aliases, and makes other names custom', () => {
    expect(toEventType('login')).toBe('login');
    expect(toEventType(' Meme_Upload ')).toBe('upload');
    expect(toEventType('social_interaction')).toBe('social');
    expect(toEventType('fraud_signal')).toBe('fraud_signal');
    expect(toEventType('quest_done')).toBe('custom:quest_done');
    expect(toEventType('custom:quest')).toBe('custom:quest');
    expect(toEventType('bad name!')).toBeUndefined();
    expect(toEventType('')).toBeUndefined();
  });
});

describe('toEventTime', () => {
  it('reads epoch seconds, milliseconds and numeric strings; passes ISO strings through', () => {
    expect(toEventTime(1736942400)).toBe(1736942400000);
    expect(toEventTime(1736942400.5)).toBe(1736942400500);
    expect(toEventTime(1736942400123)).toBe(1736942400123);
    expect(toEventTime('1736942400')).toBe(1736942400000);
    expect(toEventTime('2026-01-15T12:00:00Z')).toBe('2026-01-15T12:00:00Z');
    expect(toEventTime(Number.NaN)).toBeNaN();
    expect(toEventTime(true)).toBe(true);
  });
});

describe('createEventDraft', () => {
  it('maps aliases to event fields, fingerprints to attributes, and drops nested values', () => {
    const d = createEventDraft();
    d.set('user', 'u1', '/user_id');
    d.absorb(
      {
        ip_address: '203.0.113.7',
        user_agent: 'Mozilla/5.0',
        timestamp: 1736942400,
        device_id: 42,
        wallet_address: '0xabc',
        screen_resolution: '1920x1080',
        timezone: 'Europe/Paris',
        location: { lat: 48.85, lng: 2.35, country: 'fr' },
        campaign: 'spring',
        nested: { a: 1 },
        list: [1, 2],
        empty: null,
        referred_by: undefined,
      },
      '/metadata',
    );
    expect(d.input).toEqual({
      user: 'u1',
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0',
      at: 1736942400000,
      device: '42',
      wallet: '0xabc',
      geo: { lat: 48.85, lon: 2.35, country: 'FR' },
      attrs: { screen: '1920x1080', timezone: 'Europe/Paris', campaign: 'spring', empty: null },
    });
  });

  it('reports event paths at the request paths they came from', () => {
    const d = createEventDraft();
    d.set('user', 'u1', '/user_id');
    d.absorb({ ip_address: 'x', screen_resolution: '1x1', location: { lat: 100, lon: 0 } }, '/request_data');
    expect(d.sourcePath('/ip')).toBe('/request_data/ip_address');
    expect(d.sourcePath('/user')).toBe('/user_id');
    expect(d.sourcePath('/attrs/screen')).toBe('/request_data/screen_resolution');
    expect(d.sourcePath('/attrs')).toBe('/request_data');
    expect(d.sourcePath('/geo/lat')).toBe('/request_data/location/lat');
    expect(d.sourcePath('/type')).toBe('/type');
  });
});

describe('eventIdFor', () => {
  const now = Date.UTC(2026, 0, 15);
  const body = { user_id: 'u1', metadata: { timestamp: 1 } };

  it('prefers the Idempotency-Key header, then the body id', () => {
    expect(
      eventIdFor({ headers: { 'idempotency-key': 'k-1' } }, 'bse', {
        explicit: 'e1',
        body,
        timed: true,
        now,
      }),
    ).toBe('k-1');
    expect(eventIdFor({ headers: {} }, 'bse', { explicit: 'e1', body, timed: true, now })).toBe('e1');
    expect(eventIdFor({ headers: {} }, 'bse', { explicit: 7, body, timed: true, now })).toBe('7');
  });

  it('hashes a timed body (a retry is the same event) and draws a ULID otherwise', () => {
    const a = eventIdFor({ headers: {} }, 'bse', { body, timed: true, now });
    expect(a).toMatch(/^bse-[0-9a-f]{40}$/);
    expect(eventIdFor({ headers: {} }, 'bse', { body: { ...body }, timed: true, now })).toBe(a);
    expect(eventIdFor({ headers: {} }, 'maf', { body, timed: true, now })).not.toBe(a);
    expect(
      eventIdFor({ headers: {} }, 'bse', { body: { ...body, user_id: 'u2' }, timed: true, now }),
    ).not.toBe(a);
    const u1 = eventIdFor({ headers: {} }, 'bse', { body, timed: false, now });
    const u2 = eventIdFor({ headers: {} }, 'bse', { body, timed: false, now });
    expect(u1).toMatch(/^bse-[0-9A-Z]{26}$/);
    expect(u1).not.toBe(u2);
  });

  it('refuses a malformed header', () => {
    expect(() =>
      eventIdFor({ headers: { 'idempotency-key': 'has space' } }, 'bse', { body, timed: true, now }),
    ).toThrow('invalid Idempotency-Key header');
    expect(() =>
      eventIdFor({ headers: { 'idempotency-key': 'x'.repeat(129) } }, 'bse', { body, timed: true, now }),
    ).toThrow();
  });
});

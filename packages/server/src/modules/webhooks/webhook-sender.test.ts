import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedLookup } from './url-guard.js';
import { startFakeReceiver, type FakeReceiver } from './webhook-receiver.fake.js';
import { postWebhook } from './webhook-sender.js';

describe('postWebhook', () => {
  const receivers: FakeReceiver[] = [];
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  const receiver = async () => {
    const r = await startFakeReceiver();
    receivers.push(r);
    return r;
  };
  const send = (url: string, extra: Partial<Parameters<typeof postWebhook>[0]> = {}) =>
    postWebhook({
      url: new URL(url),
      headers: { 'content-type': 'application/json', 'x-test': '1' },
      body: '{"a":"é"}',
      timeoutMs: 2000,
      ...extra,
    });

  it('posts the body and headers and reports the status and answer', async () => {
    const r = await receiver();
    r.respond((_req, res) => res.writeHead(201, { 'content-type': 'text/plain' }).end('thanks'));
    const res = await send(r.url);
    expect(res).toMatchObject({ statusCode: 201, responseBody: 'thanks', truncated: false, error: null });
    expect(res.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.requests[0]).toMatchObject({ body: '{"a":"é"}', url: '/hook' });
    expect(r.requests[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-test': '1',
      'content-length': '10',
    });
  });

  it('gives up on a receiver that never answers after the timeout', async () => {
    const r = await receiver();
    r.respond(() => {}); // hangs
    const res = await send(r.url, { timeoutMs: 150 });
    expect(res).toMatchObject({ statusCode: null, responseBody: null, error: 'timed out after 150 ms' });
    expect(res.durationMs).toBeGreaterThanOrEqual(140);
    expect(res.durationMs).toBeLessThan(2000);
  });

  it('reads an oversized answer only up to the cap and hangs up', async () => {
    let writtenBeforeCut = 0;
    let finished = false;
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      // an endless answer: it stops only when the client hangs up
      const pump = () => {
        while (res.write(chunk)) {
          writtenBeforeCut += chunk.length;
          if (writtenBeforeCut > 512 * 1024 * 1024) return res.end(() => (finished = true));
        }
        res.once('drain', pump);
      };
      pump();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const res = await send(`http://127.0.0.1:${port}/`, { maxResponseBytes: 1024 });
    expect(res).toMatchObject({ statusCode: 200, truncated: true, error: null });
    expect(res.responseBody).toBe('x'.repeat(1024));
    expect(finished).toBe(false);
    expect(writtenBeforeCut).toBeLessThan(64 * 1024 * 1024);
  });

  it('keeps a short answer whole and reports a refused connection', async () => {
    const r = await receiver();
    r.respond((_req, res) => res.writeHead(500).end('x'.repeat(1024)));
    expect(await send(r.url, { maxResponseBytes: 1024 })).toMatchObject({
      statusCode: 500,
      truncated: false,
      responseBody: 'x'.repeat(1024),
    });
    const url = r.url;
    await r.close();
    receivers.pop();
    const refused = await send(url);
    expect(refused.statusCode).toBeNull();
    expect(refused.error).toMatch(/ECONNREFUSED/);
  });

  it('does not follow redirects', async () => {
    const target = await receiver();
    const r = await receiver();
    r.respond((_req, res) => res.writeHead(307, { location: target.url }).end());
    expect((await send(r.url)).statusCode).toBe(307);
    expect(target.requests).toHaveLength(0);
  });

  it('never connects when the guarded lookup refuses the address (DNS rebinding)', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    const lookup = guardedLookup({
      allowPrivateNetworks: false,
      resolveHost: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const res = await send(`http://rebind.test:${port}/hook`, { lookup });
    expect(res.statusCode).toBeNull();
    expect(res.error).toBe(
      'EREFUSEDADDRESS: host rebind.test resolves to a private or reserved address (127.0.0.1)',
    );
    expect(r.requests).toHaveLength(0);
    // the same name allowed by policy reaches the receiver through the pinned address
    const allowed = guardedLookup({
      allowPrivateNetworks: true,
      resolveHost: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    expect((await send(`http://rebind.test:${port}/hook`, { lookup: allowed })).statusCode).toBe(204);
    expect(r.requests).toHaveLength(1);
  });

  it('stops at once when aborted', async () => {
    const r = await receiver();
    r.respond(() => {});
    const ac = new AbortController();
    const p = send(r.url, { timeoutMs: 60_000, signal: ac.signal });
    await r.waitFor(1);
    ac.abort();
    expect(await p).toMatchObject({ statusCode: null, error: 'aborted' });
  });
});

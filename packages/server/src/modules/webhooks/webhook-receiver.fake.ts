import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a fake receiver got. */
export interface ReceivedWebhook {
  readonly headers: http.IncomingHttpHeaders;
  /** The raw body, exactly as sent (what signatures cover). */
  readonly body: string;
  readonly url: string;
}

/** How the receiver answers a request (default 204, empty body). */
export type Responder = (req: ReceivedWebhook, res: http.ServerResponse) => void;

/** A real HTTP receiver on 127.0.0.1 for webhook tests. */
export interface FakeReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  readonly url: string;
  readonly requests: ReceivedWebhook[];
  respond(fn: Responder): void;
  /** Resolves when the receiver has got `n` requests in all. */
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a receiver on an ephemeral port of 127.0.0.1 (tests set WEBHOOK_ALLOW_PRIVATE_NETWORKS).
 * @example const r = await startFakeReceiver(); r.respond((_req, res) => res.writeHead(500).end()); await r.close();
 */
export async function startFakeReceiver(): Promise<FakeReceiver> {
  const requests: ReceivedWebhook[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let responder: Responder = (_req, res) => {
    res.writeHead(204).end();
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got: ReceivedWebhook = {
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        url: req.url ?? '',
      };
      requests.push(got);
      for (const w of waiters.filter((x) => requests.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      responder(got, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    respond(fn) {
      responder = fn;
    },
    waitFor(n) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake answers to one request. `hang` never answers (until the client gives up). */
export type FakeAnswer =
  { readonly status: number; readonly body: string; readonly delayMs?: number } | { readonly hang: true };

/** A request the fake received. `aborted` turns true when the client closed it before an answer. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  aborted: boolean;
}

/** A real HTTP server on 127.0.0.1 speaking whatever protocol `answer` implements. */
export interface FakeProvider {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Replaces the answer function. */
  answer(fn: (req: SeenRequest) => FakeAnswer): void;
  close(): Promise<void>;
}

/**
 * Starts a fake provider (test helper) on a free port.
 * @example const fake = await startFakeProvider((r) => ({ status: 200, body: '{"block":0}' }));
 */
export async function startFakeProvider(initial: (req: SeenRequest) => FakeAnswer): Promise<FakeProvider> {
  let fn = initial;
  const requests: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      aborted: false,
    };
    requests.push(seen);
    res.on('close', () => {
      if (!res.writableEnded) seen.aborted = true;
    });
    const a = fn(seen);
    if ('hang' in a) return;
    const send = () => {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body);
    };
    if (a.delayMs !== undefined) setTimeout(send, a.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address: AddressInfo | string | null = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('fake provider is not listening on TCP');
  const port = address.port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(next) {
      fn = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A logger that records warn calls. @example const log = recordingLogger(); log.warns.length */
export function recordingLogger(): {
  warns: { obj: object; msg: string }[];
  warn(obj: object, msg: string): void;
} {
  const warns: { obj: object; msg: string }[] = [];
  return { warns, warn: (obj, msg) => void warns.push({ obj, msg }) };
}

/** Waits until `check` holds (polling every 5 ms, at most `ms`). */
export async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

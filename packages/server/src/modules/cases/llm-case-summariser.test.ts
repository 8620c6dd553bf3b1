import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';
import { createTestServer, type TestServer } from '../../testing/test-server.js';
import { createLlmCaseSummariser, LlmSummaryError } from './llm-case-summariser.js';

/** What the stand-in provider does with the next requests. */
type Mode = 'ok' | 'fail500' | 'hang' | 'malformed' | 'no-content';

interface Seen {
  readonly authorization: string | undefined;
  readonly path: string;
  readonly body: { model: string; messages: { role: string; content: string }[] };
}

/** A real local HTTP server speaking the OpenAI chat-completions protocol. */
async function startProvider() {
  let mode: Mode = 'ok';
  let reply = '';
  const seen: Seen[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Seen['body'];
      seen.push({ authorization: req.headers.authorization, path: req.url ?? '', body });
      switch (mode) {
        case 'ok': {
          // echo a pseudonym from the prompt, as a model would, to check it is restored
          const token = /user_[0-9a-f]{12}/.exec(body.messages[1]?.content ?? '')?.[0] ?? 'nobody';
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'cmpl-1',
              object: 'chat.completion',
              choices: [
                {
                  index: 0,
                  message: { role: 'assistant', content: ` ${reply} (${token}) ` },
                  finish_reason: 'stop',
                },
              ],
            }),
          );
          return;
        }
        case 'fail500':
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"error":{"message":"overloaded"}}');
          return;
        case 'hang':
          hanging.add(res);
          return;
        case 'malformed':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"choices": [ {"message": ');
          return;
        case 'no-content':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ choices: [] }));
          return;
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    set(m: Mode, text = 'The guest account is blocked after a fraud report.') {
      mode = m;
      reply = text;
    },
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Provider = Awaited<ReturnType<typeof startProvider>>;

interface Detail {
  summary: string;
  summarisedBy: string;
}

describe('case summaries by an OpenAI-compatible provider', () => {
  let provider: Provider;
  let s: TestServer;
  let key: string;
  let caseId: string;

  const detail = async (): Promise<Detail> => {
    const res = await s.call('GET', `/v1/cases/${caseId}`, { key });
    expect(res.statusCode).toBe(200);
    return res.json<Detail>();
  };

  beforeAll(async () => {
    provider = await startProvider();
    s = await createTestServer({
      LLM_BASE_URL: provider.url,
      LLM_API_KEY: 'sk-test-llm-key',
      LLM_MODEL: 'gpt-test',
      LLM_TIMEOUT_MS: '300',
    });
    const app = await s.createApp('casino');
    key = app.apiKey;
    let n = 0;
    const ev = (body: Record<string, unknown>) =>
      s.call('POST', '/v1/events', { key, body: { id: `e${++n}`, ...body } });
    expect((await ev({ type: 'login', user: 'sock1', device: 'dev-shared-77' })).statusCode).toBe(200);
    expect(
      (await ev({ type: 'login', user: 'carol', device: 'dev-shared-77', email: 'carol@example.com' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await ev({ type: 'fraud_signal', user: 'carol', tier: 'guest', device: 'dev-shared-77' })).statusCode,
    ).toBe(200);
    const list = await s.call('GET', '/v1/cases?user=carol', { key });
    const [c] = list.json<{ items: { id: string }[] }>().items;
    if (c === undefined) throw new Error('no case opened for carol');
    caseId = c.id;
  });
  afterAll(async () => {
    await s?.close();
    await provider?.close();
  });
  beforeEach(() => {
    provider.seen.length = 0;
  });

  it('writes the summary with the model, from pseudonymised evidence only, into the case and its report', async () => {
    provider.set('ok', 'Carol was auto-blocked for a fraud report.');
    const d = await detail();
    expect(d.summarisedBy).toBe('llm:gpt-test');
    // the pseudonym the model used is turned back into the user id for the analyst
    expect(d.summary).toBe('Carol was auto-blocked for a fraud report. (carol)');

    expect(provider.seen).toHaveLength(1);
    const req = provider.seen[0];
    if (req === undefined) throw new Error('no request');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.authorization).toBe('Bearer sk-test-llm-key');
    expect(req.body.model).toBe('gpt-test');
    expect(req.body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    const prompt = req.body.messages[1]?.content ?? '';
    const evidence = JSON.parse(prompt) as {
      case: { user: string; tier: string };
      enforcements: { action: string }[];
      linkedIdentifiers: { kind: string; value: string; otherAccounts: string[] }[];
    };
    expect(evidence.case).toMatchObject({
      user: expect.stringMatching(/^user_[0-9a-f]{12}$/),
      tier: 'guest',
    });
    expect(evidence.enforcements).toEqual([expect.objectContaining({ action: 'auto_block' })]);
    expect(evidence.linkedIdentifiers).toEqual([
      expect.objectContaining({
        kind: 'device',
        value: expect.stringMatching(/^device_[0-9a-f]{12}$/),
        otherAccounts: [expect.stringMatching(/^user_[0-9a-f]{12}$/)],
      }),
    ]);
    // no raw identifiers, app ids or keys reach the provider
    for (const raw of ['carol', 'sock1', 'dev-shared-77', 'carol@example.com', key, s.adminKey, caseId])
      expect(prompt).not.toContain(raw);

    // unchanged evidence: the cached summary, no second completion
    expect((await detail()).summary).toBe(d.summary);
    expect(provider.seen).toHaveLength(1);

    const report = await s.call('GET', `/v1/cases/${caseId}/report`, { key });
    expect(report.statusCode).toBe(200);
    expect(report.body).toContain(
      '<p class="summary">Carol was auto-blocked for a fraud report. (carol)</p>',
    );
  });

  for (const [mode, why] of [
    ['fail500', 'a 500'],
    ['hang', 'a provider that does not answer within LLM_TIMEOUT_MS'],
    ['malformed', 'malformed JSON'],
    ['no-content', 'an answer without choices'],
  ] as const) {
    it(`falls back to the evidence summary on ${why}`, async () => {
      provider.set(mode);
      // a note changes the evidence, so the cache cannot answer
      const note = await s.call('POST', `/v1/cases/${caseId}/note`, {
        key: s.adminKey,
        body: { text: `checked ${mode}` },
      });
      expect(note.statusCode).toBe(201);
      const started = Date.now();
      const d = await detail();
      expect(Date.now() - started).toBeLessThan(5000);
      expect(provider.seen).toHaveLength(1);
      expect(d.summarisedBy).toBe('evidence');
      expect(d.summary).toContain('User carol (guest tier) is under review after 1 flagged decision');
      const report = await s.call('GET', `/v1/cases/${caseId}/report`, { key });
      expect(report.body).toContain('User carol (guest tier) is under review');
    });
  }
});

describe('createLlmCaseSummariser', () => {
  it('rejects with LlmSummaryError when the provider is unreachable', async () => {
    const errors: unknown[] = [];
    const summariser = createLlmCaseSummariser(
      { baseUrl: 'http://127.0.0.1:9', apiKey: undefined, model: 'm', timeoutMs: 500 },
      { onError: (e) => errors.push(e) },
    );
    const evidence = {
      case: {
        id: 'c1',
        appId: 'a1',
        userId: 'u1',
        status: 'open',
        priority: 'normal',
        reason: 'fraud signal',
        tier: null,
        decisionSeq: null,
        assignee: null,
        slaDueAt: null,
        overdue: false,
        resolution: null,
        resolutionNote: null,
        resolvedBy: null,
        createdAt: 0,
        updatedAt: 0,
        resolvedAt: null,
      },
      appName: 'x',
      subject: null,
      decisions: [],
      signals: [],
      enforcements: [],
      linkedEntities: [],
      notes: [],
      now: 0,
    } as const;
    await expect(summariser.summarise(evidence)).rejects.toBeInstanceOf(LlmSummaryError);
    expect(errors).toHaveLength(1);
  });
});

describe('LLM_* configuration', () => {
  it('is off by default and validated when set', () => {
    expect(loadConfig({}).llm).toBeUndefined();
    expect(
      loadConfig({ LLM_BASE_URL: 'https://llm.example/v1', LLM_MODEL: 'gpt-4o-mini', LLM_API_KEY: 'sk-1' })
        .llm,
    ).toEqual({ baseUrl: 'https://llm.example/v1', apiKey: 'sk-1', model: 'gpt-4o-mini', timeoutMs: 10_000 });
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return err.problems.map((p) => p.key);
      }
    };
    expect(problems({ LLM_MODEL: 'm' })).toEqual(['LLM_BASE_URL']);
    expect(problems({ LLM_BASE_URL: 'https://llm.example/v1' })).toEqual(['LLM_MODEL']);
    expect(problems({ LLM_BASE_URL: 'ftp://llm.example', LLM_MODEL: 'm' })).toEqual(['LLM_BASE_URL']);
    expect(problems({ LLM_BASE_URL: 'https://user:pw@llm.example', LLM_MODEL: 'm' })).toEqual([
      'LLM_BASE_URL',
    ]);
    expect(problems({ LLM_BASE_URL: 'http://x', LLM_MODEL: 'm', LLM_TIMEOUT_MS: '5' })).toEqual([
      'LLM_TIMEOUT_MS',
    ]);
  });
});

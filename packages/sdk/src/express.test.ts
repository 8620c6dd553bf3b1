import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { checkFeatureAccess, checkStatus, webhookHandler } from './express.js';
import { describeMiddleware, type MiddlewareSettings } from './testing/middleware-suite.js';
import type { Vigil } from './vigil.js';

async function startExpressApp(vigil: Vigil, settings: MiddlewareSettings = {}) {
  const app = express();
  const opts = { vigil, getUserId: (req: express.Request) => req.get('x-user-id'), ...settings };
  const ok = (route: string) => (_req: express.Request, res: express.Response) => {
    res.json({ ok: true, route });
  };
  app.post('/vigil/webhook', express.raw({ type: 'application/json' }), webhookHandler(vigil));
  app.get('/public', ok('/public'));
  app.get('/profile', checkStatus(opts), ok('/profile'));
  app.post('/withdraw', checkFeatureAccess('withdrawals', opts), ok('/withdraw'));
  app.post('/bet', checkFeatureAccess('betting', opts), ok('/bet'));
  app.use('/scoped', checkStatus(opts));
  app.get('/scoped/area', ok('/scoped/area'));
  app.post('/report-fraud', async (req, res) => {
    res.json(await vigil.sendFraudSignal(req.get('x-user-id') ?? '', 'guest', { reason: 'stolen card' }));
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describeMiddleware('express', startExpressApp);

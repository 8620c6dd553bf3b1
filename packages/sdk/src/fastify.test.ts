import Fastify, { type FastifyRequest } from 'fastify';
import { checkFeatureAccess, checkStatus, vigilWebhookPlugin } from './fastify.js';
import { describeMiddleware, type MiddlewareSettings } from './testing/middleware-suite.js';
import type { Vigil } from './vigil.js';

function userIdOf(req: FastifyRequest): string | undefined {
  const h = req.headers['x-user-id'];
  return typeof h === 'string' ? h : undefined;
}

async function startFastifyApp(vigil: Vigil, settings: MiddlewareSettings = {}) {
  const app = Fastify({ forceCloseConnections: true });
  const opts = { vigil, getUserId: userIdOf, ...settings };
  await app.register(vigilWebhookPlugin(vigil));
  app.get('/public', async () => ({ ok: true, route: '/public' }));
  app.get('/profile', { preHandler: checkStatus(opts) }, async () => ({ ok: true, route: '/profile' }));
  app.post('/withdraw', { preHandler: checkFeatureAccess('withdrawals', opts) }, async () => ({
    ok: true,
    route: '/withdraw',
  }));
  app.post('/bet', { preHandler: checkFeatureAccess('betting', opts) }, async () => ({
    ok: true,
    route: '/bet',
  }));
  await app.register(
    async (scope) => {
      scope.addHook('preHandler', checkStatus(opts));
      scope.get('/area', async () => ({ ok: true, route: '/scoped/area' }));
    },
    { prefix: '/scoped' },
  );
  app.post('/report-fraud', async (req) =>
    vigil.sendFraudSignal(userIdOf(req) ?? '', 'guest', { reason: 'stolen card' }),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${addr.port}`, close: () => app.close() };
}

describeMiddleware('fastify', startFastifyApp);

/**
 * The bare baseline of the HTTP benchmark: a Fastify POST route that parses the same JSON body as
 * Vigil's POST /v1/events (Fastify's default JSON parser) and answers a fixed small JSON. Prints
 * `{"address": ...}` once listening; stops on SIGTERM.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const ANSWER = '{"ok":true,"outcome":"allow"}';
app.post('/v1/events', async (req, reply) => {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null) return reply.code(400).send('{"error":"bad"}');
  return reply.header('content-type', 'application/json; charset=utf-8').send(ANSWER);
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ address })}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { appScope, principalOf, requiredAppScope } from '../../http/auth-hook.js';
import { responses } from '../../http/schemas.js';
import { hasAdminRole } from '../auth/auth.service.js';
import type { WebhookService } from './webhook.service.js';
import {
  CreateWebhookBody,
  CreatedWebhookSchema,
  DeliveryPageQuery,
  DeliveryPageSchema,
  ReplaySchema,
  RotatedSecretSchema,
  UpdateWebhookBody,
  WebhookAppQuery,
  WebhookEndpointSchema,
  WebhookIdParams,
} from './webhook.schemas.js';

/** Changing webhooks needs an app key (its own app) or an admin key with the admin role. */
function assertMayWrite(req: FastifyRequest): void {
  const p = principalOf(req);
  if (p.role !== 'app' && !hasAdminRole(p.role, 'admin')) {
    throw new DomainError(
      'forbidden',
      'changing webhooks needs an app key or an admin key with the admin role',
    );
  }
}

/**
 * The webhook routes: `/v1/webhooks` CRUD, `POST /v1/webhooks/:id/rotate-secret`,
 * `GET /v1/webhooks/:id/deliveries` and `POST /v1/webhooks/deliveries/:id/replay`. App keys work
 * on their own app's endpoints (another app's are 404); admin keys name the app with `?app=` to
 * create or list, and reach any endpoint by id. Reads need the viewer role, changes the admin role.
 * @example await app.register(webhookRoutes({ webhooks }));
 */
export function webhookRoutes(deps: { readonly webhooks: WebhookService }): FastifyPluginAsyncTypebox {
  const { webhooks } = deps;
  return async (app) => {
    app.post(
      '/v1/webhooks',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['webhooks'],
          summary: 'Create a webhook endpoint; the answer holds its signing secret (shown once)',
          querystring: WebhookAppQuery,
          body: CreateWebhookBody,
          response: responses({ 201: CreatedWebhookSchema }),
        },
      },
      async (req, reply) => {
        assertMayWrite(req);
        const created = await webhooks.create(requiredAppScope(req, req.query.app), req.body);
        return reply.code(201).send({ ...created, events: [...created.events] });
      },
    );

    app.get(
      '/v1/webhooks',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['webhooks'],
          summary: "The app's webhook endpoints (secrets are never listed)",
          querystring: WebhookAppQuery,
          response: responses({ 200: Type.Object({ items: Type.Array(WebhookEndpointSchema) }) }),
        },
      },
      async (req) => ({ items: await webhooks.list(requiredAppScope(req, req.query.app)) }),
    );

    app.get(
      '/v1/webhooks/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['webhooks'],
          summary: 'One webhook endpoint',
          params: WebhookIdParams,
          querystring: WebhookAppQuery,
          response: responses({ 200: WebhookEndpointSchema }),
        },
      },
      async (req) => webhooks.get(appScope(req, req.query.app), req.params.id),
    );

    app.patch(
      '/v1/webhooks/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['webhooks'],
          summary: 'Change the URL, events, description or enabled flag of an endpoint',
          params: WebhookIdParams,
          querystring: WebhookAppQuery,
          body: UpdateWebhookBody,
          response: responses({ 200: WebhookEndpointSchema }),
        },
      },
      async (req) => {
        assertMayWrite(req);
        return webhooks.update(appScope(req, req.query.app), req.params.id, req.body);
      },
    );

    app.delete(
      '/v1/webhooks/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['webhooks'],
          summary: 'Delete an endpoint and its delivery log (pending messages to it are dropped)',
          params: WebhookIdParams,
          querystring: WebhookAppQuery,
          response: responses({ 204: Type.Null() }),
        },
      },
      async (req, reply) => {
        assertMayWrite(req);
        await webhooks.remove(appScope(req, req.query.app), req.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/v1/webhooks/:id/rotate-secret',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['webhooks'],
          summary: 'New signing secret; the old one keeps signing next to it for 24 h',
          params: WebhookIdParams,
          querystring: WebhookAppQuery,
          response: responses({ 200: RotatedSecretSchema }),
        },
      },
      async (req) => {
        assertMayWrite(req);
        return webhooks.rotateSecret(appScope(req, req.query.app), req.params.id);
      },
    );

    app.get(
      '/v1/webhooks/:id/deliveries',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['webhooks'],
          summary: 'Delivery attempts to an endpoint, newest first',
          params: WebhookIdParams,
          querystring: DeliveryPageQuery,
          response: responses({ 200: DeliveryPageSchema }),
        },
      },
      async (req) => {
        const { app: requested, ...q } = req.query;
        return webhooks.deliveries(appScope(req, requested), req.params.id, q);
      },
    );

    app.post(
      '/v1/webhooks/deliveries/:id/replay',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['webhooks'],
          summary: 'Send the message of a logged delivery again (same webhook-id and body)',
          params: WebhookIdParams,
          querystring: WebhookAppQuery,
          response: responses({ 202: ReplaySchema }),
        },
      },
      async (req, reply) => {
        assertMayWrite(req);
        const r = await webhooks.replay(appScope(req, req.query.app), req.params.id);
        return reply.code(202).send(r);
      },
    );
  };
}

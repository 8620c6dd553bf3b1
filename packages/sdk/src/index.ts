/**
 * `@vigil/sdk`: the Vigil client for Node apps. Middleware lives in `@vigil/sdk/express` and
 * `@vigil/sdk/fastify`.
 */
export {
  SDK_VERSION,
  Vigil,
  signalEvent,
  type SignalData,
  type TrackResult,
  type VigilOperation,
  type VigilOptions,
} from './vigil.js';
export {
  CLIENT_ERROR_CODES,
  VigilError,
  isVigilError,
  type ClientErrorCode,
  type VigilErrorDetail,
  type VigilErrorOptions,
} from './vigil-error.js';
export {
  getClientIP,
  getDeviceId,
  getRequestContext,
  getUserAgent,
  headerValue,
  normalizeIp,
  type ClientIpOptions,
  type DeviceIdOptions,
  type HeaderBag,
  type RequestContext,
  type RequestLike,
  type TrustProxy,
} from './request-info.js';
export {
  WEBHOOK_ERROR_CODES,
  WebhookVerificationError,
  signWebhook,
  verifyWebhook,
  type VerifyWebhookOptions,
  type WebhookErrorCode,
} from './webhook-verify.js';
export {
  ACCESS_DENIAL_CODES,
  checkAccess,
  resolveAccess,
  type AccessDenial,
  type AccessDenialCode,
  type AccessVerdict,
  type StatusCheckOptions,
  type StatusSource,
} from './access-check.js';
export * from './wire-types.js';

import { count, distinct } from '../../features/feature-spec.js';
import { formatDuration } from '../behavior/format-duration.js';
import type { Detector } from '../detector.js';
import { levelOf, maxLevel, reportFinding } from './maf-finding.js';
import { MAF_DEFAULTS, type MafOptions } from './maf-options.js';

/**
 * `maf.wallet_connect` (MAF pattern 3): rapid wallet connections. On `wallet_connect` events,
 * counts connects in `window` (10 min; YELLOW 3, RED 5) and distinct wallets connected in
 * `walletsWindow` (1 h; YELLOW 3, RED 5), each per user and per device, taking the larger (so
 * anonymous connects and one device cycling accounts are caught too). Writes
 * `rapid_wallet_connections`.
 * @example createWalletConnectDetector().id; // 'maf.wallet_connect'
 */
export function createWalletConnectDetector(opts: MafOptions = MAF_DEFAULTS): Detector {
  const o = opts.walletConnect;
  const types = ['wallet_connect'] as const;
  const userConnects = count({ entity: 'user', types, window: o.window });
  const deviceConnects = count({ entity: 'device', types, window: o.window });
  const userWallets = distinct({ entity: 'user', of: 'wallet', types, window: o.walletsWindow });
  const deviceWallets = distinct({
    entity: 'device',
    of: 'wallet',
    types,
    window: o.walletsWindow,
  });
  const span = formatDuration(o.window);
  const walletsSpan = formatDuration(o.walletsWindow);
  return {
    id: 'maf.wallet_connect',
    features: [userConnects, deviceConnects, userWallets, deviceWallets],
    appliesTo: ['wallet_connect'],
    detect(ctx, out) {
      const e = ctx.event;
      if (e.user === undefined && e.device === undefined) return;
      const f = ctx.features;
      const connects = Math.max(
        e.user === undefined ? 0 : f.get(userConnects),
        e.device === undefined ? 0 : f.get(deviceConnects),
      );
      const wallets = Math.max(
        e.user === undefined ? 0 : f.get(userWallets),
        e.device === undefined ? 0 : f.get(deviceWallets),
      );
      const byConnects = levelOf(connects, o.yellowAt, o.redAt);
      const byWallets = levelOf(wallets, o.walletsYellowAt, o.walletsRedAt);
      const level = maxLevel(byConnects, byWallets);
      if (level === undefined) return;
      reportFinding(out, {
        anomaly: 'rapid_wallet_connections',
        level,
        category: 'velocity',
        reason: `${connects} wallet connections in ${span} and ${wallets} distinct wallets in ${walletsSpan} from one ${e.user === undefined ? 'device' : 'account or device'}.`,
        evidence: {
          connects,
          wallets,
          window: o.window,
          walletsWindow: o.walletsWindow,
          ...(e.user === undefined ? {} : { user: e.user }),
          ...(e.device === undefined ? {} : { device: e.device }),
        },
      });
    },
  };
}

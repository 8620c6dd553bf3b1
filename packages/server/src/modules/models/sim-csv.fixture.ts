import { simulate } from '@vigil/engine';

/**
 * Simulator events (user, type, amount, at as ISO, is_fraud) as a CSV upload.
 * @example simulatorCsv(100).split('\n')[0]; // 'user,type,amount,at,is_fraud'
 */
export function simulatorCsv(count: number, seed = 3): string {
  const lines = ['user,type,amount,at,is_fraud'];
  for (const x of simulate({ seed, users: 300, attackRate: 0.05 }, count)) {
    if (x.event.user === undefined) continue;
    lines.push(
      `${x.event.user},${x.event.type},${x.event.amount ?? ''},${new Date(x.event.at).toISOString()},${x.label.malicious ? 1 : 0}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A labelled CSV (amount, user_count_1h, is_fraud): fraud is big amounts in bursts.
 * @example fraudCsv(100).split('\n')[0]; // 'amount,user_count_1h,is_fraud'
 */
export function fraudCsv(n: number, seed = 7): string {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const lines = ['amount,user_count_1h,is_fraud'];
  for (let i = 0; i < n; i++) {
    const fraud = rnd() < 0.2;
    const amount = fraud ? 500 + rnd() * 500 : rnd() * 100;
    const burst = fraud ? 5 + Math.floor(rnd() * 5) : 1 + Math.floor(rnd() * 2);
    lines.push(`${amount.toFixed(2)},${burst},${fraud ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

import { createTable, simulate, trainSequencePackage, type Cell } from '@vigil/engine';

/**
 * A small gru package (hidden 4, one epoch) trained on simulator events: quick enough for tests
 * that need a stateful model in the registry; another `seed` gives other weights.
 * @example const pkg = gruPackageFixture(); await createModelStore(db).insert({ ..., package: JSON.stringify(pkg) });
 */
export function gruPackageFixture(seed = 5): object {
  const stream = simulate({ seed, users: 60, attackRate: 0.1 }, 2500).filter(
    (x) => typeof x.event.user === 'string',
  );
  const cols = ['user', 'type', 'amount', 'at', 'is_fraud'];
  const rows: Cell[][] = stream.map((x) => [
    x.event.user ?? '',
    x.event.type,
    x.event.amount ?? null,
    x.event.at,
    x.label.malicious ? 1 : 0,
  ]);
  const table = createTable(
    cols,
    cols.map((_, c) => rows.map((r) => r[c]!)),
  );
  return trainSequencePackage(table, { label: 'is_fraud', epochs: 1, hidden: 4, seed }).package;
}

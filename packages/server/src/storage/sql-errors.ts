/**
 * Whether a driver error is a unique-constraint violation, on either dialect
 * (better-sqlite3 `SQLITE_CONSTRAINT_UNIQUE` / `_PRIMARYKEY`, PostgreSQL SQLSTATE 23505).
 * @example try { await insert(); } catch (err) { if (isUniqueViolation(err)) ... }
 */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('code' in err)) return false;
  const code = err.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

import { describe } from 'vitest';
import { sqliteDatabase } from '../enforcement/shield.fake.js';
import { describeIntelRoutes } from './intel.routes.contract.js';

describe('shared intelligence across apps on SQLite', () => {
  describeIntelRoutes(sqliteDatabase);
});

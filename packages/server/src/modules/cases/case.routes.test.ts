import { describe } from 'vitest';
import { sqliteDatabase } from '../enforcement/shield.fake.js';
import { describeCaseRoutes } from './case.routes.contract.js';

describe('case routes on SQLite', () => {
  describeCaseRoutes(sqliteDatabase);
});

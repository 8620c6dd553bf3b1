import { describe } from 'vitest';
import { createSqliteTestDatabase } from '../../storage/test-databases.js';
import { describeEntityServiceContract } from './entity.service.contract.js';

describe('entity profiles on SQLite', () => {
  describeEntityServiceContract(createSqliteTestDatabase);
});

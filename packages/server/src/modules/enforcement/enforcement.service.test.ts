import { createSqliteTestDatabase } from '../../storage/test-databases.js';
import { describeEnforcement } from './enforcement.contract.js';

describeEnforcement('SQLite', createSqliteTestDatabase);

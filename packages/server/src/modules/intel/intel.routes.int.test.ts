import { describeWithPostgres } from '../../storage/test-databases.js';
import { postgresDatabase } from '../enforcement/shield.fake.js';
import { describeIntelRoutes } from './intel.routes.contract.js';

describeWithPostgres('shared intelligence across apps on PostgreSQL', () => {
  describeIntelRoutes(postgresDatabase);
});

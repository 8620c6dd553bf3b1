import { describeWithPostgres } from '../../storage/test-databases.js';
import { postgresDatabase } from '../enforcement/shield.fake.js';
import { describeCaseRoutes } from './case.routes.contract.js';

describeWithPostgres('case routes on PostgreSQL', () => {
  describeCaseRoutes(postgresDatabase);
});

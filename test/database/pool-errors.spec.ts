// A connection of the app's pool cut by PostgreSQL while it is lent (between two of its holder's
// queries, as in a snapshot or a transaction) must fail the holder's next query, not the process
// (found by faults.spec in CI: "Unhandled error. Connection terminated unexpectedly").
import { Client } from 'pg';
import { loadConfig } from '../../src/config/config';
import { PrismaService } from '../../src/database/prisma.service';
import { PG_ADMIN_URL } from '../support/db';

describe('the app pool when PostgreSQL cuts a lent connection', () => {
  it('the holder gets an error from its next query; nothing is left unhandled; the pool goes on', async () => {
    const prisma = new PrismaService(loadConfig({}, { DATABASE_URL: PG_ADMIN_URL }));
    const admin = new Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      const lent = await prisma.pool.connect();
      const { rows } = await lent.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      // The socket's end reaches the lent client with no query running: the 'error' event.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(lent.query('SELECT 1')).rejects.toThrow();
      lent.release(true);
      expect((await prisma.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await admin.end();
      await prisma.onModuleDestroy();
    }
  });
});

-- WAL is a property of the database file: set once here, it persists for every
-- later connection. PRAGMA journal_mode cannot run inside a transaction.
-- migrate:up transaction:false
PRAGMA journal_mode = WAL;

-- migrate:down transaction:false
PRAGMA journal_mode = DELETE;

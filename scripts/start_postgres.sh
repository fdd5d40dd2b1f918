#!/usr/bin/env bash
# Start the machine's PostgreSQL 15 and make the role and database the integration tests use
# (INTEGRITY_TEST_PG_URL defaults to postgresql+psycopg://integrity:integrity@127.0.0.1:5432/integrity_test).
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "start_postgres: pg_ctlcluster not found; install PostgreSQL 15 (apt-get install postgresql-15)" >&2
    exit 2
fi
pg_ctlcluster 15 main start 2>/dev/null || pg_ctlcluster 15 main status >/dev/null
for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
done
pg_isready -h 127.0.0.1 -p 5432
as_postgres() { (cd / && su postgres -c "$1"); }
if ! as_postgres "psql -Atc \"SELECT 1 FROM pg_roles WHERE rolname = 'integrity'\"" | grep -q 1; then
    as_postgres "psql -q -c \"CREATE ROLE integrity LOGIN PASSWORD 'integrity' SUPERUSER\""
fi
if ! as_postgres "psql -Atc \"SELECT 1 FROM pg_database WHERE datname = 'integrity_test'\"" | grep -q 1; then
    as_postgres "createdb -O integrity integrity_test"
fi

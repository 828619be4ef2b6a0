#!/bin/sh
# docker-compose.yml's PostgreSQL, on its first start (/docker-entrypoint-initdb.d): the product's two roles
# and its database, owned by the owner role (README, security model). The app role owns nothing; what it
# may do is granted by `manage.py migrate`, run as the owner.
# For the streaming standby (postgres-replica, deploy/postgres-replica.sh): a role that may only replicate,
# allowed in over the network with its password, and a physical replication slot, so that the primary keeps
# the WAL the standby has not received yet (up to max_slot_wal_keep_size).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$MEDSPA_OWNER_PASSWORD" -v app_password="$MEDSPA_APP_PASSWORD" \
    -v replication_password="$MEDSPA_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE medspa_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE medspa_app LOGIN PASSWORD :'app_password';
CREATE DATABASE medspa OWNER medspa_owner;
CREATE ROLE medspa_replicator LOGIN REPLICATION PASSWORD :'replication_password';
SELECT pg_create_physical_replication_slot('medspa_replica');
SQL
# "all" in pg_hba.conf's database column does not match replication connections: they need a line of their own.
echo "host replication medspa_replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"

#!/usr/bin/env bash
# docker-compose.yml's postgres-replica: a hot standby streaming from the primary. On the first start (an
# empty data directory) it copies the primary with pg_basebackup: -R (--write-recovery-conf) writes
# standby.signal and the primary_conninfo to stream from, on the slot scripts/postgres-init.sh made. Then
# the postgres image's own entrypoint starts PostgreSQL as its postgres user; with data already there, it
# initialises nothing. https://www.postgresql.org/docs/17/app-pgbasebackup.html
#
# To make the standby again (after a failover, or once it fell behind the slot's cap): stop it, empty its
# volume (docker compose rm -sv postgres-replica; docker volume rm <project>_postgres_replica), start it.
set -euo pipefail

primary_host=${PRIMARY_HOST:-postgres}
primary_port=${PRIMARY_PORT:-5432}
replication_user=${REPLICATION_USER:-medspa_replicator}
slot=${REPLICATION_SLOT:-medspa_replica}
: "${MEDSPA_REPLICATION_PASSWORD:?set MEDSPA_REPLICATION_PASSWORD}"
: "${PGDATA:?the postgres image sets PGDATA}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q -h "$primary_host" -p "$primary_port"; do
        echo "postgres-replica: waiting for $primary_host:$primary_port"
        sleep 2
    done
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    echo "postgres-replica: copying $primary_host with pg_basebackup"
    # On failure pg_basebackup empties the directory again, so the next start tries afresh.
    PGPASSWORD="$MEDSPA_REPLICATION_PASSWORD" gosu postgres pg_basebackup \
        --host="$primary_host" --port="$primary_port" --username="$replication_user" \
        --pgdata="$PGDATA" --wal-method=stream --slot="$slot" --write-recovery-conf --checkpoint=fast
fi

exec docker-entrypoint.sh "$@"

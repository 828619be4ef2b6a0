#!/bin/sh
# docker-compose.yml's PostgreSQL, on its first start (/docker-entrypoint-initdb.d): the product's two roles
# and its database, owned by the owner role (README, security model). The app role owns nothing; what it
# may do is granted by `manage.py migrate`, run as the owner.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$MEDSPA_OWNER_PASSWORD" -v app_password="$MEDSPA_APP_PASSWORD" <<'SQL'
CREATE ROLE medspa_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE medspa_app LOGIN PASSWORD :'app_password';
CREATE DATABASE medspa OWNER medspa_owner;
SQL

#!/usr/bin/env bash
# Installs what the test suite needs beyond Rust, idempotently; used by the README, CI and Docker:
# - python3 with venv (Debian: python3-venv) for the test servers and clients;
# - a virtualenv with moto's S3-compatible server (the S3 tests start it on loopback) and
#   the clients the compatibility tests drive: psycopg 3, psycopg2, asyncpg, SQLAlchemy, pandas;
# - Chromium (Debian: chromium), which the web console's test drives headless;
# - psql (Debian: postgresql-client) and openssl, with which the security tests log in over
#   TLS against a CA they make;
# - a JDK (default-jdk-headless: `java File.java` compiles) and pgjdbc (libpostgresql-jdbc-java)
#   for the JDBC check;
# - node-postgres (npm `pg`, with Debian's nodejs and npm) in ~/.cache/mediasql/node;
# - psqlODBC (Debian: odbc-postgresql, with unixodbc's driver manager) and pyodbc, for the
#   ODBC check (the driver Tableau and other ODBC tools use);
# - Go with pgx (Debian: golang-go, golang-github-jackc-pgx-v4-dev), Grafana's driver, for the
#   replay of Grafana's catalog queries.
set -euo pipefail
VENV="${MEDIASQL_TOOLS_VENV:-$HOME/.cache/mediasql/venv}"

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v openssl >/dev/null || missing+=(openssl)
command -v javac >/dev/null || missing+=(default-jdk-headless)
command -v npm >/dev/null || missing+=(nodejs npm)
[ -f /usr/share/java/postgresql.jar ] || missing+=(libpostgresql-jdbc-java)
odbcinst -q -d -n "PostgreSQL Unicode" >/dev/null 2>&1 || missing+=(unixodbc odbc-postgresql)
command -v go >/dev/null || missing+=(golang-go)
[ -d /usr/share/gocode/src/github.com/jackc/pgx/v4 ] || missing+=(golang-github-jackc-pgx-v4-dev)
bash "$(dirname "$0")/apt-install.sh" ${missing[@]+"${missing[@]}"}

if ! python3 -m venv --help >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q python3 python3-venv
fi

if [ ! -x "$VENV/bin/moto_server" ] \
  || ! "$VENV/bin/python" -c "import psycopg, psycopg2, asyncpg, sqlalchemy, pandas, pyodbc" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "moto[server]==5.2.5" "psycopg[binary]>=3.2,<4" "psycopg2-binary>=2.9,<3" \
    "asyncpg>=0.30,<1" "SQLAlchemy>=2.0,<3" "pandas>=2.2,<3" "pyodbc>=5.1,<6"
fi
NODE_DIR="${MEDIASQL_NODE_DIR:-$HOME/.cache/mediasql/node}"
if [ ! -d "$NODE_DIR/node_modules/pg" ]; then
  mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund --prefix . "pg@8")
fi

echo "test tools ready in $VENV"

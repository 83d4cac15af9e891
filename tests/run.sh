#!/usr/bin/env bash
# Runs the whole test suite twice: on SQLite with the embedded backends (local-memory cache,
# in-memory channel layer, file-based Celery queue), then on MariaDB with Redis (cache, channel
# layer, Celery broker). An unreachable MariaDB or Redis is an error, never a skip.
#   bash tests/run.sh [pytest arguments]
# TEST_MYSQL_URL and TEST_REDIS_URL override the servers (defaults: local root, Redis db 15).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/bootstrap.sh requirements-dev.txt
python=${VENV:-.venv}/bin/python
mysql_url=${TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/cmplatform}
redis_url=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

DATABASE_URL=$mysql_url REDIS_URL=$redis_url "$python" - <<'PY'
import os, sys
import dj_database_url, MySQLdb, redis
db = dj_database_url.parse(os.environ["DATABASE_URL"])
try:
    connection = MySQLdb.connect(host=db["HOST"], port=int(db["PORT"] or 3306), user=db["USER"],
                                 password=db["PASSWORD"], connect_timeout=5)
    cursor = connection.cursor(); cursor.execute("SELECT VERSION()")
    print("MariaDB/MySQL reachable:", cursor.fetchone()[0])
except MySQLdb.Error as error:
    sys.exit(f"error: the MariaDB test server is not reachable ({error}); start it (DESIGN.md §4)")
try:
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=5)
    client.ping()
    client.flushdb()  # the test database only: no stale queue or channel messages
    print("Redis reachable:", os.environ["REDIS_URL"])
except redis.RedisError as error:
    sys.exit(f"error: the Redis test server is not reachable ({error}); start it (DESIGN.md §4)")
PY

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo
echo "=== Test suite on SQLite (embedded mode) ==="
env -u DATABASE_URL -u REDIS_URL -u LANDING_S3_BUCKET CMP_VAR_DIR="$scratch/sqlite" \
  "$python" -m pytest "$@"

echo
echo "=== Test suite on MariaDB + Redis ($mysql_url, $redis_url) ==="
env -u LANDING_S3_BUCKET DATABASE_URL="$mysql_url" REDIS_URL="$redis_url" \
  CMP_VAR_DIR="$scratch/mysql" "$python" -m pytest "$@"

echo
echo "=== Both runs passed: SQLite and MariaDB ==="

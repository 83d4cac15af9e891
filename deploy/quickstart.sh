#!/usr/bin/env bash
# One command from a fresh clone to a running platform in the embedded mode (no server needed):
# installs everything, migrates the SQLite database under var/, creates an admin, an operator
# and a viewer and prints their passwords, generates the demo legacy sources, then serves the
# operations console with a Celery worker thread in the same process.
#   bash deploy/quickstart.sh          (ROWS=20000 PORT=8000 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-20000}
port=${PORT:-8000}

bash deploy/bootstrap.sh requirements-dev.txt
python=${VENV:-.venv}/bin/python

mkdir -p var
if [ ! -s var/secret_key ]; then
  "$python" -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
  chmod 600 var/secret_key
fi
cat > var/embedded.env <<ENV
# The embedded mode's settings; 'source var/embedded.env' before running manage.py yourself.
export SECRET_KEY_FILE="$PWD/var/secret_key"
export DEBUG=false
export HTTPS=false
export ALLOWED_HOSTS=127.0.0.1,localhost
unset DATABASE_URL REDIS_URL LANDING_S3_BUCKET
ENV
# shellcheck source=/dev/null
source var/embedded.env

echo "== Migrating the database (var/cmplatform.sqlite3)"
"$python" manage.py migrate --no-input -v 0
"$python" manage.py collectstatic --no-input -v 0

echo "== Creating the demo users"
: > var/demo-logins.txt
chmod 600 var/demo-logins.txt
for role in admin operator viewer; do
  password=$("$python" manage.py create_role_user "$role" --role "$role" | sed -n 's/^Password: //p')
  echo "$role / $password" >> var/demo-logins.txt
done

echo "== Generating $rows rows of demo legacy sources in var/demo"
"$python" manage.py generate_demo_data --rows "$rows" --out var/demo

echo
echo "cmplatform is starting at http://127.0.0.1:$port/admin/  (health: /healthz)"
echo "Logins (also in var/demo-logins.txt):"
sed 's/^/  /' var/demo-logins.txt
echo
exec "$python" manage.py serve --host 127.0.0.1 --port "$port"

#!/usr/bin/env bash
# One command from a fresh clone to a running platform in the embedded mode (no server needed):
# installs everything, migrates the SQLite database under var/, creates an admin, an operator
# and a viewer and prints their passwords, generates the demo legacy sources, migrates them
# through the ingestion engine (printing each import's reconciliation), resolves golden
# records, scrubs them against a generated demo DNC registry (printing the status counts per
# channel), and serves the dashboard (and the operations console) with a Celery worker thread
# in the same process.
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
echo "== Migrating the demo sources through the ingestion engine"
# The legacy database first (dump, then the SQLite file), then the campaign files and the lead
# list. Each import prints its reconciliation; a file already imported changes nothing.
failed=0
for file in legacy_owners.sql legacy_contacts.sqlite campaign_mail_2024.csv \
            campaign_sms_2025.txt campaign_calls_2025.csv lead_list_q3.xlsx; do
  "$python" manage.py ingest "var/demo/$file" || failed=1
  echo
done
if [ "$failed" -ne 0 ]; then
  echo "error: an import failed (see its message above); the others are complete" >&2
  exit 1
fi

echo "== Resolving golden records over every person (deterministic full run)"
"$python" manage.py dedupe --full

echo
echo "== Scrubbing against a generated demo DNC registry (national, state and internal lists)"
"$python" manage.py generate_demo_registry --out var/demo/registry
today=$(date -u +%F)
"$python" manage.py load_registry var/demo/registry/dnc_federal_full.txt --kind federal \
  --list-date "$today"
for list in var/demo/registry/dnc_state_*.txt; do
  state=$(basename "$list" .txt | sed 's/^dnc_state_//' | tr '[:lower:]' '[:upper:]')
  "$python" manage.py load_registry "$list" --kind state --state "$state" --list-date "$today" \
    --layout '{"number_columns": [0]}'
done
"$python" manage.py load_registry var/demo/registry/dnc_federal_changes.txt --kind federal \
  --change-list --list-date "$today"
"$python" manage.py load_registry var/demo/registry/dnc_internal.txt --kind internal \
  --list-date "$today" --layout '{"number_columns": [0]}'
"$python" manage.py scrub
"$python" manage.py compliance_report
"$python" manage.py refresh_list_counts

echo
echo "cmplatform's dashboard is starting at http://127.0.0.1:$port/"
echo "  (operations console: http://127.0.0.1:$port/admin/, API docs: http://127.0.0.1:$port/api/docs/, health: /healthz)"
echo "Logins (also in var/demo-logins.txt):"
sed 's/^/  /' var/demo-logins.txt
echo
exec "$python" manage.py serve --host 127.0.0.1 --port "$port"

#!/usr/bin/env bash
# Prepares a machine to run cmplatform: the system libraries mysqlclient compiles against, a
# virtualenv in .venv (or $VENV) and the pinned Python packages. Safe to run again: each step
# is skipped when already done.
#   bash deploy/bootstrap.sh [requirements file]   (default: requirements-dev.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements-dev.txt}
venv=${VENV:-.venv}

if ! pkg-config --exists mysqlclient 2>/dev/null && ! pkg-config --exists mariadb 2>/dev/null; then
  echo "== Installing the MySQL client headers (default-libmysqlclient-dev, pkg-config)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: mysqlclient needs default-libmysqlclient-dev and pkg-config; install them as root" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-libmysqlclient-dev pkg-config >/dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "== Creating the virtualenv $venv"
  python3 -m venv "$venv"
fi

# Reinstall only when the requirement files changed since the last successful install.
stamp="$venv/.requirements.sha256"
wanted=$(cat requirements.txt "$requirements" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "== Installing Python packages from $requirements"
  # pip's notes about index locations configured on this machine are noise here; errors stay.
  { "$venv/bin/python" -m pip install -q --upgrade pip 2>&1 \
      && "$venv/bin/python" -m pip install -q -r "$requirements" 2>&1; } \
    | { grep -v "^WARNING: Location 'file:" || true; }
  echo "$wanted" > "$stamp"
fi

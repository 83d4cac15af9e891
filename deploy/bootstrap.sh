#!/usr/bin/env bash
# Prepares a machine to run cmplatform: the system packages the Python packages build with,
# a virtualenv in .venv (or $VENV) and the pinned Python packages. Safe to run again: each step
# is skipped when already done.
#   bash deploy/bootstrap.sh [requirements file]   (default: requirements-dev.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements-dev.txt}
venv=${VENV:-.venv}

# System packages: a C compiler, Python's headers and venv module, and the MySQL client
# headers mysqlclient compiles against. Only what is missing is installed.
missing=()
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists mysqlclient 2>/dev/null || pkg-config --exists mariadb 2>/dev/null \
  || missing+=(default-libmysqlclient-dev)
python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
python3 -c "import os, sysconfig; assert os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h'))" 2>/dev/null \
  || missing+=(python3-dev)
# The dashboard's browser tests drive Debian's chromium (development installs only).
if [ "$(basename "$requirements")" = requirements-dev.txt ] && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "== Installing system packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: run as root, or install these Debian packages first: ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
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

#!/usr/bin/env bash
# Lint, format check, type check, then the test suite with coverage. Fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff check"; ruff check .
echo "== ruff format --check"; ruff format --check .
echo "== mypy"; mypy
echo "== postgresql"
pg_dir=$(mktemp -d -u /tmp/patentval-pg.XXXXXX)  # /tmp: the postgres user can reach it
trap 'bash scripts/postgres.sh stop "$pg_dir"' EXIT
PATENTVAL_TEST_POSTGRES_URL=$(bash scripts/postgres.sh start "$pg_dir")
export PATENTVAL_TEST_POSTGRES_URL
echo "started on ${PATENTVAL_TEST_POSTGRES_URL##*@}"
echo "== pytest"; pytest --cov --cov-report=term "$@"

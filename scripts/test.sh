#!/usr/bin/env bash
# Lint, format check, type check, then the test suite with coverage. Fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff check"; ruff check .
echo "== ruff format --check"; ruff format --check .
echo "== mypy"; mypy
echo "== pytest"; pytest --cov --cov-report=term "$@"

#!/usr/bin/env bash
# The long fuzz run: schemathesis over every operation of the OpenAPI document with many more
# generated requests per operation (default 200, or the first argument), every coverage case as
# every role allowed the operation, and every unexpected method on every path.
#   bash scripts/fuzz.sh [EXAMPLES] [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-200}
shift || true
PATENTVAL_FUZZ=long PATENTVAL_FUZZ_EXAMPLES=$examples \
    .venv/bin/pytest -m reliability tests/api/test_fuzz.py -q -s "$@"

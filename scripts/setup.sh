#!/usr/bin/env bash
# Prepare this checkout to run: Debian packages when missing, the virtualenv .venv at the project
# root, the pinned Python packages from requirements.lock, and patentval itself (editable).
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: CJK fonts, Pango and HarfBuzz-subset for PDF reports (WeasyPrint subsets the
# CJK fonts with HarfBuzz in milliseconds, with fontTools in seconds); poppler-utils (pdftotext,
# pdftoppm) for the report tests that read the PDFs back; PostgreSQL, which the tests start on a
# free port of their own (scripts/postgres.sh); chromium, the browser the page tests drive with
# Playwright (/usr/bin/chromium: Playwright never downloads a browser of its own here).
DEBIAN_PACKAGES=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils
    postgresql chromium)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
wanted=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$wanted" ]]; then
    echo "setup: installing pinned Python packages"
    pip() {
        # Keep pip's own error output, without its notes about absent local index folders.
        .venv/bin/python -m pip "$@" --quiet --disable-pip-version-check 2>&1 \
            | { grep -v "is neither a file nor a directory" || true; }
    }
    pip install -r requirements.lock
    pip install --no-deps --no-build-isolation --config-settings editable_mode=compat -e .
    echo "$wanted" > "$stamp"
fi

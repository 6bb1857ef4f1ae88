# The README names two targets: `make run` and `make test`.
.PHONY: run test reliability lint setup lock messages

setup:
	@bash scripts/setup.sh

# The demo portfolio describes 2019-11-30 (pledge.demo.AS_OF): the pages start from that day.
run: setup
	.venv/bin/patentval demo load
	.venv/bin/patentval demo credentials
	.venv/bin/patentval serve --host 127.0.0.1 --port 8000 --business-date 2019-11-30

test:
	@bash scripts/setup.sh
	@bash scripts/test.sh

reliability:
	@bash scripts/setup.sh
	@PATENTVAL_FUZZ=bounded bash scripts/test.sh --no-cov -m reliability tests

lock:
	rm -rf /tmp/patentval-lock && python3.11 -m venv /tmp/patentval-lock
	/tmp/patentval-lock/bin/pip install -q -c requirements.lock setuptools -e '.[dev]'
	{ sed -n '1,2p' requirements.lock; /tmp/patentval-lock/bin/pip freeze --all --exclude-editable \
	  | grep -v '^pip==' | sort -f; } > requirements.lock.new && mv requirements.lock.new requirements.lock

# Report messages: extract them from templates/reports and reports/, and add the new ones to each
# catalog (reports/locale/<language>/LC_MESSAGES/messages.po) for translation.
messages:
	.venv/bin/pybabel extract -F reports/babel.cfg -o reports/locale/messages.pot --no-location \
	  --sort-output --project patentval --copyright-holder "patentval contributors" .
	.venv/bin/pybabel update -i reports/locale/messages.pot -d reports/locale --no-fuzzy-matching \
	  --ignore-obsolete --width 100

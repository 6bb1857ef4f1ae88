# The README names two targets: `make run` and `make test`.
.PHONY: run test lint setup lock

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/patentval demo load
	.venv/bin/patentval demo credentials
	.venv/bin/patentval serve --host 127.0.0.1 --port 8000

test:
	@bash scripts/setup.sh
	@bash scripts/test.sh

lock:
	rm -rf /tmp/patentval-lock && python3.11 -m venv /tmp/patentval-lock
	/tmp/patentval-lock/bin/pip install -q -c requirements.lock setuptools -e '.[dev]'
	{ sed -n '1,2p' requirements.lock; /tmp/patentval-lock/bin/pip freeze --all --exclude-editable \
	  | grep -v '^pip==' | sort -f; } > requirements.lock.new && mv requirements.lock.new requirements.lock

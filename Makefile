# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test lint bench lock clean env assets migrate seed

env: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	touch $@

assets: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

migrate: env
	$(BIN)/flask db-upgrade

seed: migrate
	$(BIN)/flask seed-demo --if-empty

run: env assets seed
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 1 --threads 8 --access-logfile - "wsgi:app"

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: env assets lint
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: env
	$(BIN)/python -m bench.run

# Re-resolve the pinned dependencies (needs network); commit requirements.lock afterwards.
lock:
	$(PYTHON) -m venv /tmp/award-lock-venv
	/tmp/award-lock-venv/bin/pip install --quiet pip-tools==7.6.2
	/tmp/award-lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev \
		--strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) node_modules instance/*.sqlite*

# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run reset-demo test lint office bench bench-pages bench-load bench-moves bench-hostile browser lock clean env assets migrate seed translations extract

env: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	touch $@

assets: node_modules/.installed

node_modules/.installed: package.json package-lock.json $(wildcard frontend/* frontend/*/*)
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

migrate: env translations
	$(BIN)/flask db-upgrade

seed: migrate
	$(BIN)/flask seed-demo --if-empty --samples

# Two malloc arenas: with one per thread (glibc's default) memory freed after a large request
# stays held by the arena that served it. gunicorn.conf.py starts the job queue's consumer in
# the server (BPMN timers, round deadlines, periodic jobs: a pass every minute); the app logs
# one JSON line per request.
run: env assets seed
	@echo "Open http://127.0.0.1:$(PORT)/ in a browser (Ctrl+C stops the server)."
	MALLOC_ARENA_MAX=2 $(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) \
		--workers 1 --threads 8 "wsgi:app"

# Start again with fresh demo data: deletes the SQLite database and the uploaded files of
# `make run` (instance/awards.sqlite, instance/uploads), then runs it again. Refuses when
# DATABASE_URL points elsewhere: a PostgreSQL database is never dropped by a make target.
reset-demo:
	@test -z "$$DATABASE_URL" || { echo "DATABASE_URL is set: reset-demo only resets the SQLite file of make run."; exit 1; }
	@echo "Deleting instance/awards.sqlite and instance/uploads (the demo data and its uploaded files)."
	rm -rf instance/awards.sqlite instance/awards.sqlite-wal instance/awards.sqlite-shm instance/uploads
	$(MAKE) run

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The suite on every core (pytest-xdist), then the tests marked `alone` by themselves (those
# that time themselves or load the machine: tests/conftest.py). Both parts run even when the
# first fails; exit status 5 means PYTEST_ARGS selected nothing of that part.
TEST_WORKERS ?= auto

test: env assets translations browser office lint
	status=0; \
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not alone" $(PYTEST_ARGS) || [ $$? -eq 5 ] || status=1; \
	$(BIN)/pytest -q -m alone $(PYTEST_ARGS) || [ $$? -eq 5 ] || status=1; \
	exit $$status

# Every script runs even when one misses a target (exit status 1); `make bench` fails at the end
# if any did. BENCH_ARGS go to bench.run, e.g. BENCH_ARGS="--backends postgresql --dossiers 100000".
bench: env
	status=0; \
	$(BIN)/python -m bench.run $(BENCH_ARGS) || status=1; \
	$(BIN)/python -m bench.rounds || status=1; \
	$(BIN)/python -m bench.documents || status=1; \
	exit $$status

# Re-resolve the pinned dependencies (needs network); commit requirements.lock afterwards.
lock:
	$(PYTHON) -m venv /tmp/award-lock-venv
	/tmp/award-lock-venv/bin/pip install --quiet pip-tools==7.6.2
	/tmp/award-lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev \
		--strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) node_modules instance/*.sqlite*

# Translations: compiled at set-up (the .mo files are build output); `make extract` refreshes the
# catalog from the code and templates after user-facing text changed.
TRANSLATIONS := webapp/translations/vi/LC_MESSAGES/messages.mo

translations: $(TRANSLATIONS)

$(TRANSLATIONS): webapp/translations/vi/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -d webapp/translations -D messages

extract: env
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k noop_pgettext:1c,2 --no-location --sort-by-file \
		--project award-dossiers -o webapp/translations/messages.pot .
	$(BIN)/pybabel -q update -i webapp/translations/messages.pot -d webapp/translations -D messages \
		--no-fuzzy-matching --ignore-obsolete

# BENCH_PAGES_ARGS go to bench.pages, e.g. BENCH_PAGES_ARGS="--backends postgresql --output x.json".
bench-pages: env assets translations
	$(BIN)/python -m bench.pages $(BENCH_PAGES_ARGS)

# Concurrent users against gunicorn (4 workers) on PostgreSQL with 100,000 dossiers and two
# million events, in a throw-away database of the server at BENCH_POSTGRES_URL (default
# postgresql://postgres@127.0.0.1:5432/postgres); loopback only, stops by itself.
# BENCH_LOAD_ARGS go to bench.load, e.g. BENCH_LOAD_ARGS="--dossiers 2000 --events 40000".
bench-load: env assets translations
	$(BIN)/python -m bench.load $(BENCH_LOAD_ARGS)

bench-moves: env
	$(BIN)/python -m bench.moves

bench-hostile: env
	$(BIN)/python -m bench.hostile

# Debian's chromium for the browser tests (needs root, as on CI); Playwright never downloads one.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation; }

# LibreOffice (DOCX -> PDF of the generated papers) and poppler's pdftotext/pdftoppm for their
# tests (needs root, as on CI). `make run` does not need them: without LibreOffice the pages
# offer the DOCX only.
office:
	@{ command -v soffice && command -v pdftotext; } >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		libreoffice-writer-nogui poppler-utils fonts-liberation fonts-dejavu-core; }

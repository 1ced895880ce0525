# Plaudit's tasks. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv/bin
PY_SOURCES := src tests bench

.PHONY: help install debs-run debs-test npm-test run test lint fmt types unit migrate revision bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Debian packages: Noto fonts for certificates in every script; Chromium for the browser tests.
RUN_DEBS := fonts-noto-core fonts-noto-cjk
TEST_DEBS := $(RUN_DEBS) chromium

install: $(UV) ## Install Plaudit and its development tools into .venv (from uv.lock)
	$(UV) sync --frozen --compile-bytecode --quiet

debs-run: ## Install the Debian fonts certificates use (apt, as root or with sudo)
	@bash scripts/debs.sh $(RUN_DEBS)

debs-test: ## Install the Debian fonts and Chromium the tests use (apt, as root or with sudo)
	@bash scripts/debs.sh $(TEST_DEBS)

# npm packages the interoperability tests run in Node (tests/interop), exactly as its lockfile
# pins them; reinstalled only when node_modules is missing or older than the lockfile.
NPM_TEST_MODULES := tests/interop/node_modules

$(NPM_TEST_MODULES): tests/interop/package-lock.json
	npm ci --prefix tests/interop --no-audit --no-fund
	@touch $(NPM_TEST_MODULES)

npm-test: $(NPM_TEST_MODULES) ## Install the npm packages the interoperability tests use (tests/interop)

run: install debs-run ## Start Plaudit on the embedded default (SQLite, in-process jobs) with demo data
	$(VENV)/plaudit demo
	$(VENV)/plaudit serve

test: install debs-test npm-test ## Format check, lint, import contracts, type-check, then the whole suite on SQLite and PostgreSQL
	$(VENV)/ruff format --check $(PY_SOURCES)
	$(VENV)/ruff check $(PY_SOURCES)
	$(VENV)/lint-imports
	$(VENV)/mypy
	$(VENV)/pytest -n 2 --dist worksteal

unit: install ## Only the test suite (pass ARGS="-k name" to select)
	$(VENV)/pytest $(ARGS)

lint: install ## Lint with ruff, and check the import contracts (import-linter)
	$(VENV)/ruff check $(PY_SOURCES)
	$(VENV)/lint-imports

fmt: install ## Format and fix what ruff can
	$(VENV)/ruff format $(PY_SOURCES)
	$(VENV)/ruff check --fix $(PY_SOURCES)

types: install ## Type-check with mypy --strict
	$(VENV)/mypy

migrate: install ## Upgrade the configured database to the latest schema
	$(VENV)/plaudit db upgrade

revision: install ## New Alembic revision from the models: make revision m="what changed"
	@test -n "$(m)" || { echo 'usage: make revision m="what changed"'; exit 2; }
	rm -f .tools/revision.db
	PLAUDIT_DATABASE_URL=sqlite:///$(CURDIR)/.tools/revision.db $(VENV)/plaudit db upgrade
	$(VENV)/alembic -x url=sqlite:///$(CURDIR)/.tools/revision.db revision --autogenerate \
		--rev-id $$(printf '%04d' $$(( $$(ls src/plaudit/migrations/versions/*.py | wc -l) + 1 ))) -m "$(m)"
	@# Alembic renders JSONB's astext_type without the `sa.` prefix its imports need.
	sed -i 's/astext_type=Text()/astext_type=sa.Text()/g' src/plaudit/migrations/versions/*.py
	$(VENV)/ruff format src/plaudit/migrations/versions

bench: install ## Run the benchmarks and print their figures (installs wrk with apt)
	@bash scripts/debs.sh $(RUN_DEBS) wrk
	@for script in bench/[!_]*.py; do echo "== $$script"; $(VENV)/python $$script || exit 1; done

clean: ## Remove the virtualenvs and caches (keeps var/, your data)
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache

# pingyi: `make run` serves the demo on http://127.0.0.1:$(PORT); `make test` runs every test.
PORT ?= 5000
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app

# Debian packages the tests need: Chromium for browser tests, PostgreSQL for the second run of the suite,
# LibreOffice, CJK fonts and poppler to render generated documents to pages.
TEST_PACKAGES := chromium postgresql libreoffice-writer-nogui fonts-noto-cjk fonts-arphic-ukai poppler-utils
# The database-facing tests that run again on PostgreSQL.
PG_TESTS := tests --ignore=tests/browser --ignore=tests/documents

.PHONY: run load test test-sqlite test-postgresql install install-dev system-packages bench clean

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Install the missing ones (needs root, as on CI).
system-packages:
	@missing=$$(for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "apt-get install" $$missing; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

HOST ?= 127.0.0.1

run: install
	@echo "pingyi: 检查并更新数据库结构…"
	@$(FLASK) db upgrade
	@$(FLASK) pingyi demo --if-empty
	@echo "pingyi: http://$(HOST):$(PORT)  (演示账号 office / demo123；Ctrl+C 停止)"
	$(PY) -m pingyi.serve --host $(HOST) --port $(PORT)

test: install-dev system-packages test-sqlite test-postgresql

test-sqlite: install-dev
	$(PY) -m pytest -n 2 --durations=15

# A throwaway PostgreSQL cluster in a temporary directory (or DATABASE_URL when set).
test-postgresql: install-dev
	scripts/with_postgres.sh env PINGYI_TEST_DB=postgresql $(PY) -m pytest -n 2 --durations=15 $(PG_TESTS)

clean:
	rm -rf $(VENV) .pytest_cache

bench: install-dev
	$(PY) scripts/bench.py
	$(PY) scripts/bench_integrity.py

# 50 users on the server `make run` starts, then a crowd on the public questionnaire (figures, no pass/fail).
load: install-dev
	$(PY) scripts/load.py

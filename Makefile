# pingyi: `make run` serves the demo on http://127.0.0.1:$(PORT); `make test` runs every test.
PORT ?= 5000
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app

.PHONY: run test install install-dev browser bench clean

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

# Browser tests drive Debian's Chromium; install it when it is missing (needs root, as on CI).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

HOST ?= 127.0.0.1

run: install
	@echo "pingyi: 检查并更新数据库结构…"
	@$(FLASK) db upgrade
	@$(FLASK) pingyi demo --if-empty
	@echo "pingyi: http://$(HOST):$(PORT)  (演示账号 office / demo123；Ctrl+C 停止)"
	$(VENV)/bin/waitress-serve --host $(HOST) --port $(PORT) app:app

test: install-dev browser
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache

bench: install-dev
	$(PY) scripts/bench.py

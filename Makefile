# SafeTrack: `make run` and `make test` work from a fresh clone with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SEED_FLAGS ?=
PYTEST_ARGS ?=

.PHONY: install run test lint lock audit bench-escalation bench-sweeper bench-http bench-dashboard bench-soak messages clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# runstack prints the demo's addresses and logins once everything is up; the steps before it stay quiet.
run: install
	AXES_VERBOSE=false $(PY) manage.py migrate --noinput -v 0
	AXES_VERBOSE=false $(PY) manage.py seed_demo --quiet $(SEED_FLAGS)
	$(PY) manage.py runstack --port $(PORT)

test: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

audit: install
	VENV=$(VENV) bash .ci/audit

# Re-pin what CI installs after changing pyproject.toml's ranges.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --upgrade pip && .lockenv/bin/pip install --quiet -e ".[dev]"
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^-e ' | sort > constraints.txt
	rm -rf .lockenv

# Benchmarks (see README, Benchmarks): own databases and redis-servers, loopback only; not run by CI.
bench-dashboard: install
	$(PY) -m bench.dashboard

bench-escalation: install
	$(PY) -m bench.escalation_lag

bench-sweeper: install
	$(PY) -m bench.sweeper

bench-http: install
	$(PY) -m bench.http

bench-soak: install
	$(PY) -m bench.soak

messages: install
	$(PY) manage.py makemessages -l es --add-location file --ignore=.venv --ignore=tests --ignore=bench --ignore=node_modules
	$(PY) manage.py makemessages -l es -d djangojs --add-location file --ignore=.venv --ignore=tests --ignore=bench --ignore=node_modules --ignore=static/vendor --ignore=staticfiles
	$(PY) manage.py compilemessages -l es --ignore=.venv

clean:
	rm -rf $(VENV) .local db.sqlite3 media staticfiles artifacts

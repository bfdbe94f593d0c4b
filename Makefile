# The two commands: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PACKAGES := $(wildcard libs/*) $(wildcard services/*_svc) gateway
STAMP  := $(VENV)/.installed

.PHONY: run test install lint docs bench bench-areas migrate dlq clean

$(STAMP): requirements.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps $(addprefix -e ,$(PACKAGES))
	touch $(STAMP)

install: $(STAMP)

# The web console (console/, React + Ant Design + ECharts, built by Vite into console/dist, served
# by the gateway under /console): npm ci when the lock file changed, a build when a source did.
CONSOLE_SOURCES := $(shell find console/src -type f 2>/dev/null) console/index.html console/vite.config.js
console/node_modules/.installed: console/package.json console/package-lock.json
	# npm 11 refuses `npm ci` when the lock omits other platforms' optional rollup binaries (an npm
	# bug); `npm install` then installs the same locked versions
	cd console && (npm ci --prefer-offline --no-audit --no-fund || npm install --prefer-offline --no-audit --no-fund)
	touch $@

console/dist/index.html: console/node_modules/.installed $(CONSOLE_SOURCES)
	cd console && npm run build
	touch $@

console: console/dist/index.html

# The manual (mkdocs.yml): docs/ built into var/site, served by the gateway under /manual/.
docs: install           ## the documentation site, built offline with no warning allowed
	$(VENV)/bin/mkdocs build --strict --quiet

run: install console docs    ## the whole platform on 127.0.0.1:8000 with demo data, until Ctrl-C
	$(PY) -m deploy.local

test: install console   ## the whole suite against the local PostgreSQL, Redis and RabbitMQ
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

bench: install          ## the platform beside its no-logic floor, with ratios (starts its own stacks)
	$(PY) -m bench

bench-areas: install    ## each area's own benchmark (see docs/benchmarks.md)
	$(PY) -m bench.dispatch
	$(PY) -m bench.projects
	$(PY) -m bench.notify
	$(PY) -m bench.billing
	$(PY) -m bench.tickets_sla
	$(PY) -m bench.large_bodies

migrate: install
	$(PY) -m platform_kit.migrate --all

clean:
	rm -rf $(VENV) var .pytest_cache

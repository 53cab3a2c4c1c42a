# Developer commands. `make run` serves the example project; `make test` runs every test.
# Both create the virtualenv and build the Go parts first.

PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
HOST    ?= 127.0.0.1
PORT    ?= 8000
P       ?= 1
WORKERS ?= 2
C       ?= 64
D       ?= 5
PROJECT := python/examples/testproject
BINARY  := python/django_bolt/bin/bolt-server
CGO     = eval "$$($(PY) tools/cgoflags.py)"
CGO_SRV = eval "$$($(PY) tools/cgoflags.py --server)"
CGO_EXT = eval "$$($(PY) tools/cgoflags.py --extension)"
EXT_SUFFIX = $$($(PY) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')

.PHONY: venv build rebuild clean wheels sdist package-check run run-bg kill test test-go test-py smoke orm-smoke bench bench-quick bench-sse save-bench perf-test orm-test migrate

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@# The distribution was called django-bolt before: both install django_bolt.
	$(PY) -m pip uninstall -q -y django-bolt 2>/dev/null || true
	$(PY) -m pip install -q -e ".[test]"
	touch $@

# The Go server binary and the extension module django_bolt._core (the in-process test
# client), built against the virtualenv's interpreter. Always run: the binary is shared by
# every virtualenv, so it must be relinked when switching Python versions; Go's build cache
# keeps an unchanged build to a few seconds.
build: venv
	$(CGO_SRV) && go build -trimpath -o $(BINARY) ./cmd/runbolt
	$(CGO_EXT) && go build -trimpath -buildmode=c-shared -o python/django_bolt/_core$(EXT_SUFFIX) ./cmd/core
	rm -f python/django_bolt/_core*.h

rebuild: clean build

# Release artifacts (docs/architecture.md, "Which libpython the binary loads"): one wheel per CPython minor version, built with
# pyenv's interpreters (or python3.X on PATH; WHEEL_PYTHONS= to choose), and the sdist.
WHEEL_PYTHONS ?= 3.11 3.12 3.13
TOOLS   := build/package-tools
TOOLS_PY = $(TOOLS)/bin/python

$(TOOLS)/.installed: Makefile
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS_PY) -m pip install -q "auditwheel>=6,<7" "wheel>=0.42" "build>=1"
	touch $@

wheels: $(TOOLS)/.installed
	$(TOOLS_PY) tools/wheels.py --out dist $(WHEEL_PYTHONS)

sdist: $(TOOLS)/.installed
	$(TOOLS_PY) -m build --sdist --outdir dist .

# The cp311 wheel from pyenv's 3.11 installed into a virtualenv of Debian's python3.11,
# serving the example project; the sdist built from source. CI runs it.
package-check: $(TOOLS)/.installed
	$(TOOLS_PY) tools/package_check.py --build-python 3.11 --target-python /usr/bin/python3.11

clean:
	rm -rf $(dir $(BINARY)) build dist python/*.egg-info python/django_bolt/_core*.so

migrate: build
	cd $(PROJECT) && ../../../$(PY) manage.py migrate --noinput -v0
	cd $(PROJECT) && ../../../$(PY) manage.py seed_demo

run: migrate
	cd $(PROJECT) && exec ../../../$(PY) manage.py runbolt --host $(HOST) --port $(PORT) --processes $(P) --workers $(WORKERS)

run-bg: migrate
	cd $(PROJECT) && nohup ../../../$(PY) manage.py runbolt --host $(HOST) --port $(PORT) --processes $(P) --workers $(WORKERS) > /tmp/django-bolt.log 2>&1 &
	@for i in $$(seq 50); do curl -s -o /dev/null http://$(HOST):$(PORT)/ && break; sleep 0.2; done
	@echo "serving on http://$(HOST):$(PORT) (log: /tmp/django-bolt.log)"

kill:
	-pkill -f 'bolt-server' || true

test: test-go test-py

test-go: build
	$(CGO) && BOLT_PYTHON=$(CURDIR)/$(PY) go test ./...

test-py: build
	$(PY) -m pytest -q

smoke:
	@for path in / /items/1?q=hello /html /redirect /header /cookie /users/mini10; do \
		printf '%-22s ' "$$path"; curl -s -o /dev/null -w '%{http_code}\n' -H 'x-test: 1' -b 'session=1' "http://$(HOST):$(PORT)$$path"; done

orm-smoke:
	@for path in /users/seed /users/ /users/full10 /users/mini10; do \
		printf '%-16s ' "$$path"; curl -s -o /dev/null -w '%{http_code}\n' "http://$(HOST):$(PORT)$$path"; done

# Benchmarks (bench/README.md): wrk from Debian and the peer frameworks in bench/.venv.
# The WebSocket benchmark runs after the HTTP one, even when that one reports a failure,
# and adds its section to the same report.
bench: build
	bash bench/setup.sh
	status=0; $(PY) bench/run.py --connections $(C) --duration $(D) || status=$$?; \
		$(PY) bench/ws_bench.py || status=1; exit $$status

bench-quick: build
	bash bench/setup.sh
	$(PY) bench/run.py --quick
	$(PY) bench/ws_bench.py --quick

bench-sse: build
	bash bench/setup.sh
	$(PY) bench/sse_scale.py --clients 10000

save-bench: build
	bash bench/setup.sh
	$(PY) bench/run.py --connections $(C) --duration $(D) --save

perf-test: build
	bash bench/setup.sh
	$(PY) bench/run.py --connections $(C) --processes 4 --servers bolt,bolt-mp,ceiling

orm-test: build
	bash bench/setup.sh
	$(PY) bench/run.py --connections $(C) --only orm

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
N       ?= 10000
PROJECT := python/examples/testproject
BINARY  := python/django_bolt/bin/bolt-server
CGO     = eval "$$($(PY) tools/cgoflags.py)"
CGO_EXT = eval "$$($(PY) tools/cgoflags.py --extension)"
EXT_SUFFIX = $$($(PY) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
GO_SRC  := $(shell find cmd pyhost server router middleware -name '*.go' -o -name '*.c' -o -name '*.h' 2>/dev/null) go.mod go.sum

.PHONY: venv build rebuild clean run run-bg kill test test-go test-py smoke orm-smoke bench save-bench perf-test orm-test migrate

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

# The Go server binary, built against the virtualenv's interpreter.
build: venv $(BINARY) $(VENV)/.extension

$(BINARY): $(GO_SRC) $(VENV)/.installed
	$(CGO) && go build -trimpath -o $(BINARY) ./cmd/runbolt

# The extension module django_bolt._core (the in-process test client); one per Python version.
$(VENV)/.extension: $(GO_SRC) $(VENV)/.installed
	$(CGO_EXT) && go build -trimpath -buildmode=c-shared -o python/django_bolt/_core$(EXT_SUFFIX) ./cmd/core
	rm -f python/django_bolt/_core*.h
	touch $@

rebuild: clean build

clean:
	rm -rf $(dir $(BINARY)) build dist python/*.egg-info python/django_bolt/_core*.so $(VENV)/.extension

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
	$(CGO) && go test ./...

test-py: build
	$(PY) -m pytest -q

smoke:
	@for path in / /items/1?q=hello /html /redirect /header /cookie /users/mini10; do \
		printf '%-22s ' "$$path"; curl -s -o /dev/null -w '%{http_code}\n' -H 'x-test: 1' -b 'session=1' "http://$(HOST):$(PORT)$$path"; done

orm-smoke:
	@for path in /users/seed /users/ /users/full10 /users/mini10; do \
		printf '%-16s ' "$$path"; curl -s -o /dev/null -w '%{http_code}\n' "http://$(HOST):$(PORT)$$path"; done

bench: build
	$(PY) bench/run.py --connections $(C) --requests $(N)

save-bench: build
	$(PY) bench/run.py --connections $(C) --requests $(N) --save

perf-test: build
	$(PY) bench/run.py --connections $(C) --requests 50000 --processes 4

orm-test: build
	$(PY) bench/run.py --connections $(C) --requests $(N) --only orm

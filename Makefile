# One command to serve, one to test; each creates the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8080
ARGS ?=

.PHONY: serve test check real-parts pytest pytest-redis contracts contracts-served contracts-served-redis bench install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## serve: start every fake and the control plane on 127.0.0.1:$(PORT) (Ctrl-C stops)
serve: $(STAMP)
	$(BIN)/mockserver serve --port $(PORT) $(ARGS)

## test: lint, types, unit and integration tests (the integration suite once more on the Redis
## engine), then the contract suites (step files and Schemathesis) against the in-process fakes,
## a served `mockserver serve`, and two workers on Redis (the CI gate). Tests that need Redis or a
## browser must run: real-parts installs redis-server and chromium with apt-get where it can, and
## the run fails if any such test was skipped.
test: export MOCKSERVER_REQUIRE_REAL_PARTS = 1
test: $(STAMP) real-parts check pytest pytest-redis contracts contracts-served contracts-served-redis

real-parts:
	@scripts/real-parts.sh

check: $(STAMP)
	$(BIN)/ruff check mockserver tests bench
	$(BIN)/ruff format --check mockserver tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest tests -n 2 -q

# The integration suite's fixtures on the Redis engine (tests that reach into the in-process
# runtime are marked memory_only and left out).
pytest-redis: $(STAMP)
	BIN=$(BIN) scripts/with-redis.sh sh -c '$(BIN)/pytest tests/integration -n 2 -q -m "not memory_only" --mockserver-state "$$REDIS_URL"'

contracts: $(STAMP)
	$(BIN)/pytest contracts/ -q -rs

contracts-served: $(STAMP)
	BIN=$(BIN) scripts/contracts-against-serve.sh -rs

contracts-served-redis: $(STAMP)
	BIN=$(BIN) SERVE_ARGS="--workers 2" scripts/with-redis.sh scripts/contracts-against-serve.sh -rs

## bench: mockserver (memory engine; Redis with 1 and 2 workers, each with its own redis-server)
## against Stoplight Prism's mock and WireMock 3.13 standalone on the same specs and load (about
## 30 minutes; ARGS=--quick for short runs; installs Prism and WireMock with npm and wrk with
## apt-get when missing; needs java for WireMock, redis-server for Redis; loopback only)
bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

clean:
	rm -rf $(VENV) build dist reports .hypothesis

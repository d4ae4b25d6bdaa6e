# mainport: bootstrap on a fresh machine that has python3 and the package registries.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint typecheck bench clean browser-deps bench-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# What `make run` needs: the package and its runtime dependencies, without the test and lint tools and
# without byte-compiling every installed module up front (about half the time of the full install on the
# shared machine). A full install (make install, make test) serves as well.
RUN_STAMP := $(VENV)/.installed-runtime
$(RUN_STAMP): pyproject.toml
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ]; then touch $(RUN_STAMP); else \
	  echo "installing mainport and its runtime dependencies into $(VENV) ..." && \
	  $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet --no-compile -e . && touch $(RUN_STAMP); fi

# make run PORT=8123: another port (a busy one is refused in one line, exit code 2).
PORT ?= 8000
run: $(RUN_STAMP)
	$(BIN)/mainport serve --bootstrap --port $(PORT)

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium; install it when missing and we may (else they skip, saying why).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium not installed: browser tests will skip"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP) bench-deps
	$(BIN)/python benchmarks/run_all.py

# The gate benchmark drives load with wrk (Debian); without it, it falls back to a Python client and says so.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) ; } || \
	  echo "wrk not installed: the gate benchmark uses its Python client"

clean:
	rm -rf $(VENV) var build *.egg-info

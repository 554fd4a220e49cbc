# The two commands: `make demo` and `make test`. Both create .venv and install pinned dependencies.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint fuzz bench clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "newscrawl needs Python >= 3.11; set PYTHON=python3.11 (or newer)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/newscrawl demo --db sqlite:///demo.db

test: $(STAMP) lint
	$(BIN)/python -m pytest

# The property tests of the test suite, with many more examples and a fresh seed each run.
fuzz: $(STAMP)
	NEWSCRAWL_HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check crawler spiders pipelines bench tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/extraction_quality.py --all
	$(BIN)/python bench/store_throughput.py --rows 100000
	$(BIN)/python bench/dedupe_quality.py
	$(BIN)/python bench/dedupe_scale.py
	$(BIN)/python bench/crawl_throughput.py
	$(BIN)/python bench/warc_throughput.py

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm

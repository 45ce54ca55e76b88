# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Running needs gridhub and its embedded database; the suite also needs the test tools.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[embedded]'
	touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,embedded]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run  ## set up and run the embedded default (API + worker + demo county; data in ./var/)
	$(BIN)/gridhub run --host $${HOST:-127.0.0.1} --port $${PORT:-5000}

test: $(VENV)/.installed  ## set up and run the whole suite
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/test.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	$(BIN)/python scripts/bench/intake.py
	$(BIN)/python scripts/bench/locate.py
	$(BIN)/python scripts/bench/sla.py
	$(BIN)/python scripts/bench/fanout.py
	$(BIN)/python scripts/bench/patrol_points.py
	$(BIN)/python scripts/bench/worker_stats.py

clean:
	rm -rf $(VENV) .coverage htmlcov test-artifacts  # the embedded data (./var/) is kept

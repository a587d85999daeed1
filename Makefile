# convkata — the two commands a fresh clone needs are `make grade` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: grade test mutation-score exercises examples check-exercises report clean help

help:
	@echo "make grade      grade your exercises/ in the sandbox, kata by kata (creates .venv on first use)"
	@echo "make test       the whole test suite, against the reference solutions"
	@echo "make bench      benchmarks of corr2d, the channel katas and the networks: IMPL (exercises) vs the reference and torch"
	@echo "make exercises  regenerate exercises/ from solutions/ (keeps a backup of changed files)"
	@echo "make examples   regenerate the sample class in examples/class/ from examples/class.toml"
	@echo "make mutation-score  how many catalogued learner mistakes the checks catch and name"
	@echo "make report     benchmark the sample class's corr2d katas: bench-report/report.html (and .md, bench.json)"

# The virtual environment, with the project installed (editable) and its test tools.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "convkata needs Python 3.11 (d2l 1.0.3 pins packages that do not install on 3.12+): set PYTHON=/path/to/python3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

grade: $(STAMP)
	$(BIN)/kata grade exercises --no-gradebook

# ruff and the architecture's contracts (import-linter) first: seconds, and they fail fast.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest --impl=solutions tests

# Only the benchmarks (--benchmark-only overrides pyproject's --benchmark-skip), grouped tables;
# each run is saved under .benchmarks/ for `pytest-benchmark compare`.
.PHONY: bench
IMPL ?= exercises
bench: $(STAMP)
	$(BIN)/python -m pytest tests/benchmarks --benchmark-only --impl=$(IMPL) --benchmark-autosave \
		--benchmark-columns=min,median,iqr,rounds $(BENCH_ARGS)

# The developers' commands (`kata dev --help`).
mutation-score: $(STAMP)
	$(BIN)/kata dev mutation-score

exercises: $(STAMP)
	$(BIN)/kata dev exercises

examples: $(STAMP)
	$(BIN)/kata dev examples

report: $(STAMP)
	$(BIN)/kata bench examples/class/* --out bench-report

check-exercises: $(STAMP)
	$(BIN)/kata dev exercises --check

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

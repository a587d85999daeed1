# convkata — the two commands a fresh clone needs are `make grade` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: grade test browser postgres mutation-score exercises examples check-exercises report messages clean help

help:
	@echo "make grade      grade your exercises/ in the sandbox, kata by kata (creates .venv on first use)"
	@echo "make test       the whole test suite, against the reference solutions (installs headless Chromium and PostgreSQL as root on Debian)"
	@echo "make bench      benchmarks of corr2d, the channel katas and the networks: IMPL (exercises) vs the reference and torch"
	@echo "make exercises  regenerate exercises/ from solutions/ (keeps a backup of changed files)"
	@echo "make examples   regenerate the sample class in examples/class/ from examples/class.toml"
	@echo "make mutation-score  how many catalogued learner mistakes the checks catch and name"
	@echo "make report     benchmark the sample class's corr2d katas: bench-report/report.html (and .md, bench.json)"
	@echo "make messages   extract the texts to translate and update the catalogues in grader/locale (then translate the new entries)"

# The virtual environment, with the project installed (editable) and its test tools.
$(STAMP): pyproject.toml setup.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "convkata needs Python 3.11 (d2l 1.0.3 pins packages that do not install on 3.12+): set PYTHON=/path/to/python3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Headless Chromium, for the tests that look at convkata's HTML in a browser (tests/browser.py): installed
# once with apt-get where we can (root, Debian's `chromium`); elsewhere a note, and those tests skip with the
# reason. `make test` depends on it, `make grade` does not.
CHROMIUM_NAMES := chromium chromium-browser google-chrome
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
browser:
	@for name in $(CHROMIUM_NAMES); do command -v $$name >/dev/null 2>&1 && exit 0; done; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "note: headless Chromium is not installed and cannot be from here (needs root and apt-get):"; \
		echo "      the browser tests will skip. Install it with: apt-get install chromium"; \
		exit 0; \
	fi; \
	echo "installing headless Chromium for the browser tests: $(APT_INSTALL)"; \
	$(APT_INSTALL) || { apt-get update -q && $(APT_INSTALL); } \
		|| echo "note: apt-get could not install chromium: the browser tests will skip"

# PostgreSQL's server binaries (initdb, pg_ctl), for the tests of nbgrader's gradebook on PostgreSQL: they start a
# throwaway server of their own (tests/postgres.py). Installed once with apt-get where we can (root, Debian's
# `postgresql`); elsewhere a note, and those tests skip with the reason. `make test` depends on it, `make grade` does not.
PG_APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
postgres:
	@for initdb in "$$CONVKATA_PG_BIN/initdb" /usr/lib/postgresql/*/bin/initdb "$$(command -v initdb)"; do \
		[ -x "$$initdb" ] && [ ! -d "$$initdb" ] && exit 0; \
	done; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "note: PostgreSQL's server binaries (initdb) are not installed and cannot be from here (needs root and"; \
		echo "      apt-get): the PostgreSQL gradebook tests will skip. Install them with: apt-get install postgresql"; \
		exit 0; \
	fi; \
	echo "installing PostgreSQL for the gradebook tests: $(PG_APT_INSTALL)"; \
	$(PG_APT_INSTALL) || { apt-get update -q && $(PG_APT_INSTALL); } \
		|| echo "note: apt-get could not install postgresql: the PostgreSQL gradebook tests will skip"

# The message catalogues: each language's .po (translated, committed) compiles to the .mo gettext reads —
# at install (setup.py) and again here whenever a .po changed. `make messages` extracts the texts to
# translate (babel.cfg: the grader's _() calls, the manifest's titles and hints, the known mistakes) and
# merges them into each .po; tests/project/test_i18n.py fails while any is untranslated.
LOCALE := grader/locale
CATALOGUES := $(wildcard $(LOCALE)/*/LC_MESSAGES/convkata.po)
COMPILED := $(CATALOGUES:.po=.mo)
$(LOCALE)/%/LC_MESSAGES/convkata.mo: $(LOCALE)/%/LC_MESSAGES/convkata.po $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALE) -D convkata -l $*

messages: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -o build/convkata.pot --project=convkata --add-location=file --sort-by-file \
		--no-wrap -c Translators: .
	$(BIN)/pybabel update -i build/convkata.pot -d $(LOCALE) -D convkata --no-wrap --ignore-obsolete --no-fuzzy-matching

grade: $(STAMP) $(COMPILED)
	$(BIN)/kata grade exercises --no-gradebook

# ruff and the architecture's contracts (import-linter) first: seconds, and they fail fast.
test: $(STAMP) $(COMPILED) browser postgres
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

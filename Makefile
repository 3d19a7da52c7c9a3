# `make demo` and `make test` each create .venv when missing; the venv is rebuilt only when
# pyproject.toml changes, so after the first run both work with no network at all.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_IDS := 2410.05258 2410.02707 2410.04364 2410.02675 2410.05167 2410.05046 2410.04932 2410.04734 \
            2410.04534 2410.02884 2410.04698 2410.05262 2410.03825 2410.03187 2410.03959

.PHONY: demo test lint cassettes bench clean site screenshots docs docs-serve

$(VENV)/.installed-base: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(VENV)/.installed-base $@

demo: $(VENV)/.installed-base
	$(BIN)/digest new 2024-10-08 $(DEMO_IDS) --cassette cassettes/demo-2024-10-08.yaml --force
	@echo
	@echo "digest is installed in $(VENV), not on your PATH: run $(BIN)/digest, or 'source $(BIN)/activate'"
	@echo "and then digest. To install it as a tool: pipx install . (or uv tool install .); see docs/how-to/install.md."

# The static site of every day in output/ (see docs/how-to/publish-site.md).
site: $(VENV)/.installed-base
	$(BIN)/digest site --out site

# Re-shoot docs/site-*.png in headless Chromium (Debian package chromium) from the demo day and imported days.
screenshots: $(VENV)/.installed-base
	$(BIN)/python tools/screenshots.py

# Two xdist workers a core: most tests wait (digest subprocesses, loopback servers, deadlines), so four workers
# on 2 cores took the suite from 158 s to 96 s, with the same result (docs/development.md).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) * 2 )))

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal

# The documentation site: regenerate the CLI reference, the settings table and the DATE.json schema from the code
# (tools/docs_reference.py; tests/test_docs.py fails when they are out of date), then build it into build/docs-site.
docs: $(VENV)/.installed-test
	$(BIN)/python tools/docs_reference.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.installed-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

lint: $(VENV)/.installed-test
	$(BIN)/ruff check authoring tests tools
	$(BIN)/mypy
	$(BIN)/lint-imports

# Re-assemble every cassette from tests/data (copies of ../shared) through a loopback stand-in (see
# cassettes/README.md); it gives the same bytes again unless the requests digest sends have changed.
cassettes: $(VENV)/.installed-test
	$(BIN)/python tools/assemble_cassettes.py

clean:
	rm -rf $(VENV)

# Loopback benchmark of `digest new` (see tools/bench.py), then backslash runs through `set`, `check` and `import`
# (tools/bench_backslashes.py); both print figures and assert nothing.
bench: $(VENV)/.installed-base
	$(BIN)/python tools/bench.py
	$(BIN)/python tools/bench_backslashes.py

# Every target sets itself up on a fresh machine: a .venv with the package and its
# extras, and Graphviz's `dot` from Debian's packages when it is missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: test test-thorough demo lint bench dot browser docs docs-check clean

$(STAMP): pyproject.toml
	@echo "installing tinygrad_edu and its extras into $(VENV) (pip, quiet: about 30 s, once)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev,examples]'
	touch $(STAMP)

# $(call apt_install,CHECK,PACKAGE,WHAT HAPPENS WITHOUT IT): install a Debian package
# when CHECK fails and we are root; otherwise say what to run.
define apt_install
	@if ! $(1) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "$(2) not found: installing Debian's $(2) package"; \
	    apt-get update -qq && apt-get install -y -qq $(2) >/dev/null; \
	  else \
	    echo "$(2) not found and not root: run 'sudo apt-get install $(2)' -- $(3)"; \
	  fi; \
	fi
endef

# Graphviz's `dot` renders graphs; DOT text itself needs no binary.
dot:
	$(call apt_install,command -v dot,graphviz,DOT text still works and rendering tests are skipped)

# Headless browser for the HTML stepper test: Debian's chromium, driven by the playwright
# wheel (never 'playwright install': it downloads browsers).
browser:
	$(call apt_install,test -x /usr/bin/chromium,chromium,the browser test is skipped meanwhile)

test: $(STAMP) dot browser
	$(PY) -m pytest -q

# Randomized hypothesis runs with ten times the examples (minutes, not seconds); the seed
# is printed first and last, and HYPOTHESIS_SEED=<seed> make test-thorough replays it.
test-thorough: $(STAMP) dot browser
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest -q

demo: $(STAMP) dot
	$(VENV)/bin/tinygrad-edu demo
	@echo
	@echo "The tools are in $(VENV): run '. $(VENV)/bin/activate' to use tinygrad-edu and"
	@echo "python examples/... in this shell (or call $(VENV)/bin/tinygrad-edu directly)."

lint: $(STAMP)
	$(VENV)/bin/ruff check tinygrad_edu tests examples benchmarks scripts docs/conf.py docs/_ext

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

# The documentation site in docs/_build/html. Every notebook page runs (MyST-NB, a fresh
# kernel per page); warnings are errors: a failing cell, a broken link, a missing
# reference. -E: every page is read and run again, so no page keeps numbers an older
# version of the code printed (TG_DOCS_EXECUTION=cache reuses unchanged pages while you edit).
docs: $(DOCS_STAMP) dot
	$(VENV)/bin/sphinx-build -b html -E -W --keep-going -n -j auto -q docs docs/_build/html
	@echo "the site is in docs/_build/html (open index.html)"

# The built site in headless Chromium: no console errors, graphs drawn, search works.
docs-check: docs browser
	TG_DOCS_SITE=docs/_build/html $(PY) -m pytest -q -p no:cacheprovider tests/docs/test_docs_site.py

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis docs/_build

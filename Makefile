# Every target sets itself up on a fresh machine: a .venv with the package and its
# extras, and Graphviz's `dot` from Debian's packages when it is missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo lint bench dot browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev,examples]'
	touch $(STAMP)

dot:
	@if ! command -v dot >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Graphviz 'dot' not found: installing Debian's graphviz package"; \
	    apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Graphviz 'dot' not found and not root: run 'sudo apt-get install graphviz'" \
	         "(or your platform's graphviz package); DOT text still works, rendering is skipped."; \
	  fi; \
	fi

# Headless browser for the HTML stepper test: Debian's chromium, driven by the playwright
# wheel (never 'playwright install': it downloads browsers).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "chromium not found: installing Debian's chromium package"; \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium not found and not root: run 'sudo apt-get install chromium';" \
	         "the browser test is skipped meanwhile."; \
	  fi; \
	fi

test: $(STAMP) dot browser
	$(PY) -m pytest -q

demo: $(STAMP) dot
	$(VENV)/bin/tinygrad-edu demo

lint: $(STAMP)
	$(VENV)/bin/ruff check tinygrad_edu tests examples benchmarks

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

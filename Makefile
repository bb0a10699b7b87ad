# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE := examples/rota.csv --clients examples/clients.csv --workers examples/workers.csv

.PHONY: demo test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

# The example rota has findings, so the audit exits 1: that is the demo working, not failing.
demo: install
	$(BIN)/carerota audit $(EXAMPLE); status=$$?; [ $$status -le 1 ] || exit $$status

# The HTML report tests drive a real browser: install Debian's chromium when we can (root with apt),
# else those tests skip and say how to get it.
test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
		echo "chromium not installed: browser tests will be skipped"; }
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache

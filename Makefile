# The two set-up commands (see README.md). Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench gui clean-venv install-check

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip wheel
	$(PY) -m pip install -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)   ## import the demo archive, learn a voice, draft replies (GUI if a display exists)
	$(VENV)/bin/ownvoice demo

test: $(STAMP)   ## the whole test suite, through the real parts
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)  ## benchmarks: each prints one JSON object on its last line
	$(PY) bench/run_all.py

gui: $(STAMP)
	$(VENV)/bin/ownvoice gui

clean-venv:
	rm -rf $(VENV)

install-check:  ## install the wheel into a fresh venv (pip's cache) and run doctor and the GUI from there
	rm -rf /tmp/ownvoice-install-check
	$(PYTHON) -m venv /tmp/ownvoice-install-check
	/tmp/ownvoice-install-check/bin/pip install -q -U pip wheel
	/tmp/ownvoice-install-check/bin/pip install -q .
	cd /tmp && OWNVOICE_DATA_DIR=/tmp/ownvoice-install-check/data /tmp/ownvoice-install-check/bin/ownvoice doctor
	cd /tmp && QT_QPA_PLATFORM=offscreen OWNVOICE_DATA_DIR=/tmp/ownvoice-install-check/data \
		/tmp/ownvoice-install-check/bin/ownvoice gui --screenshot /tmp/ownvoice-install-check/shots
	ls /tmp/ownvoice-install-check/shots

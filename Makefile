# The two set-up commands (see README.md). Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench gui clean-venv install-check gpu gpu-wheels gpu-check

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

gpu: $(STAMP)  ## an NVIDIA GPU: CUDA torch and llama.cpp built with CUDA, into .venv (downloads and builds)
	$(PY) -m pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128
	CMAKE_ARGS="-DGGML_CUDA=on" $(PY) -m pip install --force-reinstall --no-cache-dir --no-deps llama-cpp-python==0.3.36
	$(VENV)/bin/ownvoice doctor

gpu-wheels: $(STAMP)  ## the wheels bench/gpu_check.sh installs on a GPU machine that lacks them (from pip's cache)
	$(PY) -m pip wheel -q --no-deps -w dist/gpu-wheels llama-cpp-python==0.3.36 gguf==0.19.0 platformdirs psutil
	ls -la dist/gpu-wheels

gpu-check:  ## the GPU smoke check here (prints {"gpu": false} without one)
	PYTHON=$(PY) bench/gpu_check.sh

#!/usr/bin/env bash
# GPU smoke check (under 5 minutes on a CUDA machine): LoRA training tokens/s and MFU,
# the exported adapter's parity with llama.cpp, and decode tokens/s where llama.cpp
# has a GPU backend. See bench/gpu_check.py for what each figure is.
#
#   bench/gpu_check.sh [WHEELS_DIR] [-- gpu_check.py options]
#
# The machine needs python3 with torch (CUDA), transformers and peft. What it lacks
# (gguf, llama-cpp-python, platformdirs, numpy...) is installed from WHEELS_DIR with
# --no-index, so nothing is downloaded; `make gpu-wheels` fills such a folder from pip's
# cache. BUILD_CUDA=1 (and an llama-cpp-python sdist in WHEELS_DIR) also builds llama.cpp
# with CUDA for sm_90 first, where the time allows (several minutes).
#
# Without a GPU it prints {"gpu": false, ...} and exits 0.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WHEELS=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then WHEELS=$1; shift; fi
[ "${1:-}" = "--" ] && shift

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo '{"gpu": false, "reason": "no NVIDIA GPU: nvidia-smi finds none"}'
    exit 0
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2

if [ -n "$WHEELS" ]; then
    # only what is missing, from the folder alone
    for pkg in gguf llama_cpp platformdirs numpy psutil safetensors; do
        if ! "$PY" -c "import $pkg" >/dev/null 2>&1; then
            name=${pkg/llama_cpp/llama-cpp-python}
            if [ "$pkg" = llama_cpp ] && [ "${BUILD_CUDA:-0}" = 1 ]; then
                CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90" \
                    timeout 420 "$PY" -m pip install -q --no-index --find-links "$WHEELS" --no-binary llama-cpp-python \
                    "$name" >&2 || echo "llama.cpp CUDA build failed or ran out of time; using the CPU wheel" >&2
            fi
            "$PY" -c "import $pkg" >/dev/null 2>&1 || \
                "$PY" -m pip install -q --no-index --find-links "$WHEELS" "$name" >&2 || \
                echo "could not install $name from $WHEELS" >&2
        fi
    done
fi

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
exec timeout 270 "$PY" bench/gpu_check.py --device auto "$@"

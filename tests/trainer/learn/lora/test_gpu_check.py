"""bench/gpu_check: without a GPU it says so and exits 0; its whole path (random model,
the recipe, export, parity with llama.cpp) runs on the CPU on a tiny model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has an NVIDIA GPU: the script "
                    "would run the real check (minutes), not the no-GPU exit this test is about")
def test_without_a_gpu_the_script_says_so_and_exits_0():
    r = subprocess.run(["bash", str(ROOT / "bench/gpu_check.sh")], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHON": sys.executable})
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["gpu"] is False and "nvidia-smi" in out["reason"]
    r = subprocess.run([sys.executable, str(ROOT / "bench/gpu_check.py")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["gpu"] is False


@pytest.mark.slow
def test_the_check_runs_end_to_end_on_the_cpu(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "bench/gpu_check.py"), "--device", "cpu", "--shape", "tiny",
                        "--steps", "3", "--batch-rows", "2", "--vocab", "0"], capture_output=True, text=True,
                       timeout=600, env={**os.environ, "OWNVOICE_CACHE_DIR": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["device"] == "cpu" and out["train"]["steps"] == 3 and out["train"]["tokens_per_second"] > 0
    assert out["train"]["heldout_loss"] < out["train"]["base_heldout_loss"]
    assert out["train"]["mfu"] is None  # no GPU peak to divide by
    p = out["parity"]
    assert p["top1"] >= 0.9 and p["logit_corr"] >= 0.99 and p["effect_corr"] >= 0.95

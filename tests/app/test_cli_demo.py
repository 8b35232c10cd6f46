"""The main job end to end, as `make demo` runs it, with small settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_runs_the_whole_job(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DISPLAY", None)
    r = subprocess.run([sys.executable, "-m", "app", "--data-dir", str(tmp_path / "d"), "demo", "--no-gui",
                        "--lora-steps", "2", "--pld-pairs", "4", "--eval-limit", "1", "--max-tokens", "24",
                        "--json"], capture_output=True, text=True, env=env, timeout=1500)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    out = r.stdout
    # both demo messages were answered, in every variant
    assert out.count("Re: ") >= 2
    for variant in ("base", "rag", "pld", "lora", "full"):
        assert f"{variant}  ACC=" in out, variant
    summary = json.loads(out[out.rindex('{\n  "timings"'):])
    assert summary["learn"]["scorer"]["auc"] > 0.7
    assert summary["learn"]["lora"]["steps"] == 2
    rows = {row["variant"] for row in summary["eval"]["rows"]}
    assert {"real", "base", "rag", "pld", "lora", "full"} <= rows

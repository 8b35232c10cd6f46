"""Bench: how long the GGUF header check takes, and that its cost follows the header,
not the file.

Three files, each checked ``--repeat`` times (best time kept):
- the embedded SmolLM2 GGUF (a real model, ~100 MB);
- a 4 GB sparse file (no disk used) whose header is SmolLM2's own, padded out: the real
  vocabulary walked, then 4 GB of holes the check must not read;
- a 4 GB sparse file whose header claims a billion tokens (refused by the bound).
The baseline is reading the first 1 MB of the real file (what any header parse costs).
Prints ONE JSON object on its last line, also written to bench/results/.

    .venv/bin/python bench/bench_gguf.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_eval import _provenance, write_result  # noqa: E402


def best(fn, repeat: int) -> float:  # noqa: ANN001
    out = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from ingest.kernel.errors import UserError
    from trainer.runtime.gguf_check import check_gguf
    from trainer.runtime.models import resolve_model

    real = resolve_model("smollm2").path
    h = check_gguf(real)
    prov = _provenance()
    out: dict = {"model": str(real.name), "model_bytes": real.stat().st_size, "header_bytes": h.data_offset}
    with tempfile.TemporaryDirectory(prefix="ownvoice-bench-gguf-") as tmp:
        big = Path(tmp) / "big.gguf"
        with open(real, "rb") as src, open(big, "wb") as dst:
            dst.write(src.read(h.data_offset))  # the real header; tensors then point into the holes
            dst.truncate(4 << 30)
        forged = Path(tmp) / "forged.gguf"
        key = b"tokenizer.ggml.tokens"
        with open(forged, "wb") as f:
            f.write(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", len(key)) + key
                    + struct.pack("<IIQ", 9, 8, 10 ** 9))
            f.truncate(4 << 30)

        def refused() -> None:
            try:
                check_gguf(forged)
            except UserError:
                return
            raise SystemExit("the forged header was accepted")

        with open(real, "rb") as f:
            t_read = best(lambda: f.seek(0) or f.read(1 << 20), args.repeat)
        t_real = best(lambda: check_gguf(real), args.repeat)
        t_big = best(lambda: check_gguf(big), args.repeat)
        t_forged = best(refused, args.repeat)
    out.update(read_1mb_s=round(t_read, 5), check_model_s=round(t_real, 4), check_4gb_sparse_s=round(t_big, 4),
               check_4gb_forged_s=round(t_forged, 5), big_vs_model=round(t_big / t_real, 2),
               targets={"4 GB sparse check within 2x the model's": t_big <= 2 * t_real,
                        "forged 4 GB header refused in under 0.1 s": t_forged < 0.1})
    print(f"check: model {t_real * 1000:.1f} ms, 4 GB sparse {t_big * 1000:.1f} ms, forged {t_forged * 1000:.2f} ms "
          f"(reading 1 MB: {t_read * 1000:.2f} ms)")
    write_result("bench_gguf", out, prov)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every architecture LoRA supports, proven on a tiny random model of it.

For each of llama, Mistral (a llama GGUF), qwen2, qwen3, gemma2, gemma3 and phi3, a
2-layer model with random weights is written to a float32 GGUF (tiny_models.py) and
loaded twice: by transformers through ``trainer.learn.lora.hf_load.load_hf`` (what training
uses) and by llama.cpp through ``trainer.runtime.llama`` (what drafting uses). Then:

- the base models agree (top-1 next token and logit correlation), so the loader reads
  the file as llama.cpp does (this is what found qwen3's head size and Gemma's
  attention scale, which transformers' GGUF reader leaves at defaults);
- a random LoRA adapter on the architecture's own targets (``trainer.learn.lora.archs``),
  exported with ``trainer.learn.lora.export``, moves llama.cpp's logits as it moves torch's:
  top-1 agreement, logit correlation and the correlation of the adapter's effect;
- the training recipe runs on the architecture's targets and its exported adapter
  loads in llama.cpp.

An architecture without a row is refused with an error that names the supported ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.trainer.learn.lora.test_parity import TEXTS, _figures, _peft, _rowcorr
from tests.trainer.learn.lora.tiny_models import ARCH_CASES, gguf_arch, write_tiny_gguf


def _ids(tok) -> list[list[int]]:
    bos = [tok.bos_token_id] if tok.bos_token_id is not None else []
    return [bos + tok.encode(t, add_special_tokens=False) for t in TEXTS]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OWNVOICE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.slow
@pytest.mark.parametrize("case", ARCH_CASES)
def test_tiny_model_parity_with_and_without_adapter(case, tmp_path):
    import torch

    from trainer.learn.lora.archs import arch_for
    from trainer.learn.lora.export import export_peft_model
    from trainer.learn.lora.hf_load import gguf_facts, load_hf
    from trainer.runtime.pool import drop_runtimes, get_runtime

    path = write_tiny_gguf(case, tmp_path / f"{case}.gguf")
    facts = gguf_facts(path)
    assert facts.arch == gguf_arch(case)
    arch = arch_for(facts.arch)
    model, tok = load_hf(path, facts=facts)
    ids = _ids(tok)
    rt = get_runtime(str(path), n_ctx=256)
    try:
        base_top1, base_corr = [], []
        for seq in ids:
            with torch.no_grad():
                t = model(input_ids=torch.tensor([seq])).logits[0].float().numpy()
            rt.set_adapter(None)
            lc = rt.logits(seq)
            base_top1.append(np.mean(t.argmax(1) == lc.argmax(1)))
            base_corr.append(_rowcorr(t, lc))
        pm = _peft(model, arch.targets, sigma=0.05)
        adapter = export_peft_model(pm, tmp_path / "adapter.gguf", facts, alpha=16)
        top1, corr, eff = _figures(pm, rt, adapter, ids)
    finally:
        drop_runtimes()
    print(f"{case}: base top1={np.mean(base_top1):.3f} corr={np.mean(base_corr):.5f}; "
          f"adapter top1={top1:.3f} corr={corr:.5f} effect={eff:.5f}")
    assert np.mean(base_top1) >= 0.97 and np.mean(base_corr) >= 0.999
    assert top1 >= 0.9 and corr >= 0.99
    assert eff >= 0.97


@pytest.mark.slow
@pytest.mark.parametrize("case", ["phi3", "qwen3", "gemma2"])
def test_recipe_trains_the_architecture_targets_and_llamacpp_loads_the_adapter(case, tmp_path):
    """phi3's fused projections, qwen3's q/k norms, gemma2's soft-capping: a few real
    optimizer steps on the architecture's targets lower the loss, and llama.cpp drafts
    with the exported adapter (it changes the logits the way torch says)."""
    from ingest.kernel.jobs import no_progress
    from tests.trainer.learn.lora.run_recipe import pairs
    from trainer.learn.lora.archs import arch_for
    from trainer.learn.lora.dataset import Formatter, build_examples, pack, split_by_date
    from trainer.learn.lora.export import export_peft_model
    from trainer.learn.lora.hf_load import gguf_facts, load_hf
    from trainer.learn.lora.train import Recipe, TrainSettings
    from trainer.runtime.pool import drop_runtimes, get_runtime

    path = write_tiny_gguf(case, tmp_path / f"{case}.gguf")
    facts = gguf_facts(path)
    model, tok = load_hf(path, facts=facts)
    tr, ho = split_by_date(pairs())
    fmt = Formatter(tok, chat=False, seq_len=96)
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    rows = pack(build_examples(fmt, tr), 96, pad, seed=0)
    s = TrainSettings(rank=4, alpha=8, lr=5e-3, max_steps=6, seq_len=96, grad_accum=1, eval_every=3,
                      patience=100, max_heldout=4, device="cpu", threads=1, targets=arch_for(facts.arch).targets)
    recipe = Recipe(model, rows, build_examples(fmt, ho), s, pad_id=pad, checkpoint_dir=None,
                    fingerprint="test", progress=no_progress)
    recipe.setup()
    result = recipe.train()
    wrapped = {n.split(".")[-1] for n, _ in recipe.model.named_modules() if n.endswith(arch_for(facts.arch).targets)}
    assert wrapped == set(arch_for(facts.arch).targets)
    assert result.heldout_loss < result.base_heldout_loss
    adapter = export_peft_model(recipe.model, tmp_path / "trained.gguf", facts, alpha=s.alpha)
    rt = get_runtime(str(path), n_ctx=256)
    try:
        _, corr, eff = _figures(recipe.model, rt, adapter, _ids(tok)[:2])
    finally:
        drop_runtimes()
    print(f"{case}: loss {result.base_heldout_loss:.3f} -> {result.heldout_loss:.3f}, corr={corr:.4f} effect={eff:.4f}")
    assert corr >= 0.99 and eff >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("case", ["llama", "qwen2"])
def test_the_wrong_qk_permutation_fails_parity(case, tmp_path):
    """The tiny models are sharp enough to catch a wrong row in ``archs``: llama's
    adapter exported without the q/k permutation, or qwen2's with it, moves llama.cpp's
    logits differently from torch's."""
    from trainer.learn.lora.archs import arch_for
    from trainer.learn.lora.export import export_peft_model
    from trainer.learn.lora.hf_load import gguf_facts, load_hf
    from trainer.runtime.pool import drop_runtimes, get_runtime

    path = write_tiny_gguf(case, tmp_path / f"{case}.gguf")
    facts = gguf_facts(path)
    model, tok = load_hf(path, facts=facts)
    pm = _peft(model, ("q_proj", "k_proj"), sigma=0.3)
    right = arch_for(facts.arch).permute_qk
    good = export_peft_model(pm, tmp_path / "good.gguf", facts, alpha=16)
    bad = export_peft_model(pm, tmp_path / "bad.gguf", facts, alpha=16, permute=not right)
    rt = get_runtime(str(path), n_ctx=256)
    try:
        _, _, eff_good = _figures(pm, rt, good, _ids(tok)[:2])
        _, _, eff_bad = _figures(pm, rt, bad, _ids(tok)[:2])
    finally:
        drop_runtimes()
    print(f"{case}: effect with the table's permutation {eff_good:.4f}, with the other {eff_bad:.4f}")
    assert eff_good >= 0.97
    assert eff_bad < 0.9


@pytest.mark.slow
def test_gemma_attention_scale_must_come_from_the_file(tmp_path, monkeypatch):
    """Without ``config_overrides`` transformers runs the tiny Gemma-2 with its default
    attention scale (1/16 instead of 1/4), and the base models disagree."""
    import torch

    from trainer.learn.lora import hf_load
    from trainer.runtime.pool import drop_runtimes, get_runtime

    path = write_tiny_gguf("gemma2", tmp_path / "gemma2.gguf")
    monkeypatch.setattr(hf_load, "config_overrides", lambda kv: {})
    model, tok = hf_load.load_hf(path)
    assert model.config.query_pre_attn_scalar == 256
    rt = get_runtime(str(path), n_ctx=256)
    try:
        seq = _ids(tok)[0]
        with torch.no_grad():
            t = model(input_ids=torch.tensor([seq])).logits[0].float().numpy()
        corr = _rowcorr(t, rt.logits(seq))
    finally:
        drop_runtimes()
    assert corr < 0.99


def test_unsupported_architecture_names_the_supported_ones(tmp_path):
    import gguf

    from ingest.kernel.errors import UserError
    from trainer.learn.lora.archs import ARCHS, arch_for
    from trainer.learn.lora.hf_load import gguf_facts, load_hf

    path = tmp_path / "falcon.gguf"
    w = gguf.GGUFWriter(str(path), "falcon")
    w.add_block_count(1)
    w.add_head_count(1)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with pytest.raises(UserError) as err:
        load_hf(path, facts=gguf_facts(path))
    text = str(err.value)
    assert "'falcon'" in text and "falcon.gguf" in text
    assert all(name in text for name in ARCHS)
    assert err.value.hint and "Draft with this model" in err.value.hint
    with pytest.raises(UserError):
        arch_for("qwen2moe")


@pytest.mark.parametrize("case", ["llama", "phi3"])
def test_the_memory_estimate_counts_the_adapter_peft_builds(case, tmp_path):
    """trainer.runtime.memory's LoRA parameter count (from the GGUF header alone) is what peft
    makes on the architecture's targets, fused projections (phi3) included."""
    from peft import LoraConfig, get_peft_model

    from trainer.learn.lora.archs import arch_for
    from trainer.learn.lora.hf_load import gguf_facts, load_hf
    from trainer.runtime.gguf_check import check_gguf
    from trainer.runtime.memory import _lora_params, shape_of

    path = write_tiny_gguf(case, tmp_path / f"{case}.gguf")
    facts = gguf_facts(path)
    model, _ = load_hf(path, facts=facts)
    pm = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=list(arch_for(facts.arch).targets)))
    trainable = sum(p.numel() for p in pm.parameters() if p.requires_grad)
    assert _lora_params(shape_of(check_gguf(path)), 8) == trainable

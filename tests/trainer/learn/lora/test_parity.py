"""torch + peft and llama.cpp + the exported GGUF adapter agree, for both built-in models.

The adapter has a clearly non-zero effect (seeded random lora_B). Three figures are
checked on token sequences the adapter never saw: next-token top-1 agreement, mean
per-position logit correlation, and the correlation of the adapter's *effect*
(adapted minus base logits) between the two runtimes. For the llama architecture an
export without the q/k permutation must fail the effect check.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainer.learn.lora.export import export_peft_model
from trainer.learn.lora.hf_load import gguf_facts, load_hf

TEXTS = [
    "Thanks for the update on the gas storage numbers. Can you send me the final version by Friday?",
    "I will be out of the office next week, so please call Ina if anything comes up with the West desk.",
    "The meeting with the Houston team moved to 3pm. Let me know if that works for you.",
]


def _peft(model, targets, seed=0, sigma=0.02, rank=8, alpha=16):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    pm = get_peft_model(model, LoraConfig(r=rank, lora_alpha=alpha, target_modules=list(targets),
                                          lora_dropout=0.0, bias="none"))
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for n, p in pm.named_parameters():
            if "lora_B" in n:
                p.copy_(torch.randn(p.shape, generator=g) * sigma)
    pm.eval()
    return pm


def _torch_logits(pm, ids, adapter: bool) -> np.ndarray:
    x = torch.tensor([ids])
    with torch.no_grad():
        if adapter:
            return pm(input_ids=x).logits[0].float().numpy()
        with pm.disable_adapter():
            return pm(input_ids=x).logits[0].float().numpy()


def _rowcorr(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    na, nb = (a * a).sum(1), (b * b).sum(1)
    ok = (na > 1e-8) & (nb > 1e-8)  # e.g. q/k adapters cannot change position 0
    return float(np.mean((a * b).sum(1)[ok] / np.sqrt(na[ok] * nb[ok])))


def _figures(pm, rt, adapter_path, token_lists):
    top1, corr, eff = [], [], []
    for ids in token_lists:
        t_base, t_ad = _torch_logits(pm, ids, False), _torch_logits(pm, ids, True)
        rt.set_adapter(None)
        l_base = rt.logits(ids)
        rt.set_adapter(adapter_path)
        l_ad = rt.logits(ids)
        rt.set_adapter(None)
        top1.append(np.mean(t_ad.argmax(1) == l_ad.argmax(1)))
        corr.append(_rowcorr(t_ad, l_ad))
        eff.append(_rowcorr(t_ad - t_base, l_ad - l_base))
        # the adapter must really change the logits, or the effect check means nothing
        assert np.abs(t_ad - t_base).mean() > 0.05 * np.abs(t_base - t_base.mean(1, keepdims=True)).mean()
    return float(np.mean(top1)), float(np.mean(corr)), float(np.mean(eff))


def _tokens(tok):
    bos = [tok.bos_token_id] if tok.bos_token_id is not None else []
    return [bos + tok.encode(t, add_special_tokens=False) for t in TEXTS]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["smollm2", "gemma3"])
def test_torch_and_llamacpp_agree_with_adapter(name, tmp_path):
    from trainer.runtime.models import resolve_model
    from trainer.runtime.pool import drop_runtimes, get_runtime

    info = resolve_model(name)
    facts = gguf_facts(info.path)
    model, tok = load_hf(info.path, facts=facts)
    every = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    # a moderate adapter for next-token agreement and logit correlation, and a strong
    # one for the effect correlation, so llama.cpp's own rounding noise (its Q8
    # activations; about 0.2 logits mean abs) is small next to the effect measured
    pm = _peft(model, every, sigma=0.03)
    path = export_peft_model(pm, tmp_path / "adapter.gguf", facts, alpha=16)
    rt = get_runtime(info, n_ctx=256)
    try:
        top1, corr, _ = _figures(pm, rt, path, _tokens(tok))
        model, tok = load_hf(info.path, facts=facts)
        strong = _peft(model, every, sigma=0.1, seed=7)
        spath = export_peft_model(strong, tmp_path / "strong.gguf", facts, alpha=16)
        _, _, eff = _figures(strong, rt, spath, _tokens(tok))
    finally:
        drop_runtimes()
    print(f"{name}: top1={top1:.3f} corr={corr:.4f} effect_corr={eff:.4f}")
    assert top1 >= 0.9
    assert corr >= 0.98
    assert eff >= 0.95


@pytest.mark.slow
def test_llama_export_without_qk_permutation_fails_parity(tmp_path):
    """The q/k permutation is what makes SmolLM2's adapter right: leave it out and
    the adapter's effect in llama.cpp no longer matches torch's."""
    from trainer.runtime.models import resolve_model
    from trainer.runtime.pool import drop_runtimes, get_runtime

    info = resolve_model("smollm2")
    facts = gguf_facts(info.path)
    assert facts.arch == "llama"
    model, tok = load_hf(info.path, facts=facts)
    pm = _peft(model, ("q_proj", "k_proj"), sigma=0.4)
    good = export_peft_model(pm, tmp_path / "good.gguf", facts, alpha=16)
    bad = export_peft_model(pm, tmp_path / "bad.gguf", facts, alpha=16, permute=False)
    rt = get_runtime(info, n_ctx=256)
    try:
        ids = _tokens(tok)[:2]
        _, _, eff_good = _figures(pm, rt, good, ids)
        _, _, eff_bad = _figures(pm, rt, bad, ids)
    finally:
        drop_runtimes()
    print(f"effect corr with permutation {eff_good:.4f}, without {eff_bad:.4f}")
    assert eff_good >= 0.95
    assert eff_bad < 0.95

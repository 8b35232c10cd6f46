"""A new route is its learn module, its plan function and one line in ``trainer.routes``.

The toy route below ("motto": it learns one line from the user's replies and puts it
into the prompt as a style rule) is written as a module of its own and added to the
route table, nothing else. It is then learned into a real voice pack over a real store,
offered as a draft variant, merged into ``full``, drafted by the real SmolLM2, and run
by the evaluation as a row of its own.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from ingest.kernel.config import Config
from tests.conftest import DEMO_ME
from trainer import routes

TOY = textwrap.dedent('''
    from trainer.draft.plans import Part

    def learn(ctx, progress, cancel=None):
        entry = {"motto": "Keep it to two sentences."}
        ctx.pack.set_route("motto", entry)
        return entry

    def plan(message, *, store, pack, config, rt):
        entry = pack.route("motto") if pack is not None else None
        if not entry:
            return "no motto learned yet: run `ownvoice learn --routes motto`"
        return Part(style=entry["motto"])
''')


@pytest.fixture
def motto(tmp_path, monkeypatch):
    mod = tmp_path / "mods" / "toy_motto.py"
    mod.parent.mkdir()
    mod.write_text(TOY)
    monkeypatch.syspath_prepend(str(mod.parent))
    line = routes.Route("motto", "Motto", "one learned line in the prompt", learn="toy_motto",
                        plan="toy_motto:plan", in_full=True)  # the one line a new route adds
    table = list(routes.ROUTES)
    table.insert(table.index(routes.route("lora")) + 1, line)
    monkeypatch.setattr(routes, "ROUTES", tuple(table))
    yield
    sys.modules.pop("toy_motto", None)


def test_a_toy_route_is_learned_planned_drafted_and_evaluated(motto, demo_dir, data_dir, monkeypatch):
    from ingest.store.importer import import_sources
    from ingest.store.store import Store
    from trainer.draft import drafting
    from trainer.draft.drafting import Draft, DraftResult, draft, parse_variants, plan_variants
    from trainer.evaluate import harness
    from trainer.learn.routes import LearnContext, learn, parse_routes
    from trainer.runtime.pool import get_runtime
    from trainer.voicepack import VoicePack

    assert parse_routes("motto") == ["scorer", "motto"]
    assert "motto" in parse_routes("all") and "motto" in parse_variants("all")
    rt = get_runtime("smollm2", threads=1)
    cfg = Config(me=DEMO_ME, threads=1, max_tokens=24, seed=3)
    with Store.open(data_dir) as store:
        import_sources([demo_dir / "Sent.mbox", demo_dir / "Inbox.mbox"], store, DEMO_ME)
        pack = VoicePack.open(data_dir)
        msg = store.by_message_id("i0086@thesaltcellar.example")
        plans, unavailable = plan_variants(["motto"], msg, store=store, pack=pack, config=cfg, rt=rt)
        assert not plans and "ownvoice learn --routes motto" in unavailable["motto"]

        result = learn(parse_routes("motto"), LearnContext(store=store, pack=pack, config=cfg, data_dir=data_dir))
        assert result["motto"] == {"motto": "Keep it to two sentences."}
        assert pack.route("motto")["motto"] == "Keep it to two sentences."

        plans, unavailable = plan_variants(["motto", "full"], msg, store=store, pack=pack, config=cfg, rt=rt)
        assert not unavailable
        assert [(p.variant, p.style) for p in plans] == [("motto", "Keep it to two sentences."),
                                                         ("full", "Keep it to two sentences.")]

        seen = []
        real_build = drafting.build_prompt
        monkeypatch.setattr(drafting, "build_prompt", lambda *a, **k: seen.append(k.get("style")) or
                            real_build(*a, **k))
        res = draft(msg, variants="motto", store=store, pack=pack, config=cfg)
        assert [d.variant for d in res.drafts] == ["motto"] and res.drafts[0].text.strip()
        assert seen == ["Keep it to two sentences."]  # its part reached the prompt

        # the evaluation drafts every variant, the toy one included, and gives it a row
        # (a stand-in draft that answers with the real reply keeps it fast)
        asked = []

        def stand_in(m, *, variants, n, **k):
            asked.append(list(variants))
            real = next(p.reply_text for p in store.reply_pairs() if p.message_id == m.id)
            return DraftResult(m, [Draft(v, 0, real, 10, 0.1, 100.0, 50) for v in variants], {}, model="stand-in")

        monkeypatch.setattr(drafting, "draft", stand_in)
        rep = harness.evaluate(store, pack, cfg, holdout=0.2, n=1, limit=1)
        assert "motto" in asked[0] and rep.row("motto") is not None and rep.row("motto").messages == 1

"""``app.workflows.voice.learn_options``: the one place the CLI's flags and the Voice
page's choices become the routes' options."""

from __future__ import annotations

from app.workflows.voice import learn_options
from ingest.kernel.config import Config


def test_the_config_fills_what_the_user_left_unset():
    cfg = Config(model="gemma3", device="cpu", teacher="smollm2", allow_remote_teacher=False)
    assert learn_options(cfg) == {"model": "gemma3", "device": "cpu", "teacher": "smollm2", "allow_remote": False}
    # a None from an unset flag keeps the config's value; a given one wins
    opts = learn_options(cfg, {"device": None, "max_steps": 3, "resume": False, "rounds": None})
    assert opts == {"model": "gemma3", "device": "cpu", "teacher": "smollm2", "allow_remote": False,
                    "max_steps": 3, "resume": False}
    assert learn_options(cfg, {"device": "cuda"})["device"] == "cuda"
    assert "teacher" not in learn_options(Config(teacher=""))  # no teacher set: the route picks its default

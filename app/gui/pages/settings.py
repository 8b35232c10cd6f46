"""Settings page: data directory, student model, device, threads, GPU layers and context, teacher, sampling.

Saved to config.toml with ``ingest.kernel.config.save_config``, the same file the CLI reads.
A teacher that is a URL means mail text leaves this machine: the page says so
plainly and will not save it unless the user turns remote teachers on.
What it leaves out: the store's Chroma server URL (a config-file setting for now).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from app.gui.widgets import Banner, card, header, page_layout, section
from app.workflows import voice
from ingest.kernel.config import ALL_GPU_LAYERS, Config

REMOTE_WARNING = ("This teacher is on another machine. When you learn with it, text from your "
                  "mail and the replies you wrote is sent to that server. ownvoice sends nothing "
                  "unless you tick the box below.")


def is_remote(teacher: str) -> bool:
    """``True`` for an http(s) endpoint.

    >>> is_remote("https://api.example/v1"), is_remote("/models/big.gguf")
    (True, False)
    """
    return teacher.strip().lower().startswith(("http://", "https://"))


SCAFFOLD_CHOICES = (("length", "Length (default)"), ("full", "Length, greeting and sign-off"), ("off", "None"))


class SettingsPage(QWidget):
    title = "Settings"

    def __init__(self, ws, jobs, parent=None) -> None:
        super().__init__(parent)
        self.ws, self.jobs = ws, jobs
        self._searched = False  # the GGUF files other apps keep: looked for once, when first shown
        lay = page_layout(self)
        from ingest.kernel.config import config_path

        lay.addWidget(header("Settings", f"Stored in {config_path()}; the command line reads the "
                             "same file. Nothing here sends anything anywhere unless you allow a "
                             "remote teacher."))
        self.banner = Banner()
        lay.addWidget(self.banner)
        body = QHBoxLayout()
        left, right = card(), card()
        fl = QFormLayout()
        ll = QVBoxLayout(left)
        ll.addWidget(section("Where and what"))
        ll.addLayout(fl)
        ll.addStretch(1)
        self._where_and_what(fl)
        rl = QVBoxLayout(right)
        self._teacher_section(rl)
        self._drafting_section(rl)
        rl.addStretch(1)
        body.addWidget(left, 1)
        body.addWidget(right, 1)
        lay.addLayout(body)
        self._buttons(lay)
        self.teacher.textChanged.connect(self._teacher_changed)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.load)
        self.load()

    def _where_and_what(self, fl: QFormLayout) -> None:
        """The data directory, the student model (and where it fits), device, threads, GPU layers, context."""
        ws = self.ws
        self.data_dir = QLineEdit()
        self.data_dir.setPlaceholderText(str(ws.data_dir))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_dir)
        drow = QHBoxLayout()
        drow.addWidget(self.data_dir, 1)
        drow.addWidget(browse)
        dlabel = QLabel("&Data directory:")
        dlabel.setBuddy(self.data_dir)
        fl.addRow(dlabel, drow)
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItems(["smollm2", "gemma3"])
        gguf = QPushButton("GGUF…")
        gguf.clicked.connect(self._browse_model)
        mrow = QHBoxLayout()
        mrow.addWidget(self.model, 1)
        mrow.addWidget(gguf)
        mlabel = QLabel("Student &model:")
        mlabel.setBuddy(self.model)
        fl.addRow(mlabel, mrow)
        self.model_memory = QLabel("")  # where the chosen model fits, before anything loads it
        self.model_memory.setWordWrap(True)
        fl.addRow("", self.model_memory)
        self.device = QComboBox()
        self.device.addItems(["auto", "cuda", "mps", "cpu"])
        fl.addRow("Training de&vice:", self.device)
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("from the cores")
        fl.addRow("&Threads:", self.threads)
        self.gpu_layers = QSpinBox()  # -1 auto, 0 none, n layers; ALL_GPU_LAYERS: every layer
        self.gpu_layers.setRange(-1, ALL_GPU_LAYERS)
        self.gpu_layers.setSpecialValueText("auto (what fits)")
        self.gpu_layers.setToolTip("Layers llama.cpp offloads to the GPU when drafting: auto offloads what the "
                                   "memory estimate says fits in an NVIDIA GPU's free memory (for Metal or "
                                   "Vulkan, set a count), 0 keeps drafting on the CPU. Needs a llama.cpp built "
                                   "with a GPU backend (`ownvoice doctor` says).")
        fl.addRow("&GPU layers:", self.gpu_layers)
        self.context = QSpinBox()
        self.context.setRange(256, 131072)
        self.context.setSingleStep(1024)
        self.context.setSuffix(" tokens")
        self.context.setToolTip("The drafting model's context: prompt, examples and reply together. "
                                "Longer costs memory (the KV cache).")
        fl.addRow("Conte&xt length:", self.context)

    def _teacher_section(self, rl: QVBoxLayout) -> None:
        """The PLD teacher, and the switch that lets a remote one see mail text."""
        rl.addWidget(section("Teacher (for the style prompt)"))
        tf = QFormLayout()
        self.teacher = QLineEdit()
        self.teacher.setPlaceholderText("empty: the student model; or a GGUF path; or an http(s) URL")
        tf.addRow("T&eacher:", self.teacher)
        rl.addLayout(tf)
        self.remote_warning = QLabel(REMOTE_WARNING)
        self.remote_warning.setObjectName("warning")
        self.remote_warning.setWordWrap(True)
        rl.addWidget(self.remote_warning)
        self.allow_remote = QCheckBox("&Allow sending my mail text to this remote teacher")
        rl.addWidget(self.allow_remote)

    def _drafting_section(self, rl: QVBoxLayout) -> None:
        """Retrieval, sampling, the scaffold, best-of-N, the greeting and the register."""
        rl.addWidget(section("Drafting"))
        sf = QFormLayout()
        self.retrieval_k = QSpinBox()
        self.retrieval_k.setRange(0, 20)
        sf.addRow("&Retrieved examples (k):", self.retrieval_k)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.05)
        sf.addRow("Tem&perature:", self.temperature)
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.05, 1.0)
        self.top_p.setSingleStep(0.05)
        sf.addRow("Top &p:", self.top_p)
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(16, 4096)
        sf.addRow("Ma&x tokens:", self.max_tokens)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        sf.addRow("See&d:", self.seed)
        self.scaffold = QComboBox()
        for key, label in SCAFFOLD_CHOICES:
            self.scaffold.addItem(label, key)
        self.scaffold.setToolTip("Which of your measured habits the style variants (pld, full) keep while "
                                 "decoding, not just ask for: length stops at the next sentence end past about "
                                 "twice your typical length; greeting and sign-off are prefilled and appended.")
        sf.addRow("St&yle habits kept:", self.scaffold)
        self.best_of = QSpinBox()
        self.best_of.setRange(1, 8)
        self.best_of.setToolTip("Samples tried per draft until one passes the reply checks (speaks as you, "
                                "no prompt residue, nothing invented, questions answered). 2 keeps drafting "
                                "within twice the time of one sample.")
        sf.addRow("Tries per &draft:", self.best_of)
        self.greet = QCheckBox("Open each draft to the sender by first name")
        self.greet.setToolTip("Drafts begin \"Hi <first name>,\" (your own greeting when the style prompt "
                              "has one and style habits are kept in full)")
        sf.addRow("", self.greet)
        self.register = QCheckBox("Write to each sender as you usually do to them")
        self.register.setToolTip("Your greeting and sign-off to this person (from your earlier replies "
                                 "to them, else to their organisation, else to anyone). On by default: on the "
                                 "Enron eval it raised the usable drafts and the questions answered.")
        sf.addRow("", self.register)
        self.register_length = QCheckBox("…and stop near your usual length to them")
        self.register_length.setToolTip("Measured on the Enron eval: it cut drafts before they answered the "
                                        "questions asked, so it is off by default.")
        sf.addRow("", self.register_length)
        rl.addLayout(sf)

    def _buttons(self, lay) -> None:  # noqa: ANN001
        brow = QHBoxLayout()
        brow.addStretch(1)
        self.revert_button = QPushButton("Re&vert")
        self.save_button = QPushButton("&Save settings")
        self.save_button.setObjectName("primary")
        brow.addWidget(self.revert_button)
        brow.addWidget(self.save_button)
        lay.addLayout(brow)
        lay.addStretch(1)

    def refresh(self) -> None:
        self.load()
        if not self._searched:  # the first time the page is shown
            self._searched = True
            self.find_models()
            self.model.currentIndexChanged.connect(lambda _i: self.check_memory())
            self.check_memory()

    def load(self) -> None:
        c = self.ws.config
        self.data_dir.setText(c.data_dir)
        found = self.model.findData(c.model)
        if found >= 0:
            self.model.setCurrentIndex(found)
        else:
            if self.model.findText(c.model) < 0:
                self.model.addItem(c.model)
            self.model.setCurrentText(c.model)
        self.device.setCurrentText(c.device)
        self.threads.setValue(c.threads)
        self.gpu_layers.setValue(max(-1, min(ALL_GPU_LAYERS, int(c.gpu_layers))))
        self.context.setValue(int(c.context or 2048))
        self.teacher.setText(c.teacher)
        self.allow_remote.setChecked(c.allow_remote_teacher)
        self.retrieval_k.setValue(c.retrieval_k)
        self.temperature.setValue(c.temperature)
        self.top_p.setValue(c.top_p)
        self.max_tokens.setValue(c.max_tokens)
        self.seed.setValue(c.seed)
        self.best_of.setValue(max(1, int(c.best_of)))
        self.greet.setChecked(bool(c.greet))
        self.register.setChecked(bool(c.register))
        self.register_length.setChecked(bool(c.register_length))
        if self.scaffold.findData(c.scaffold) < 0:  # a value typed into config.toml: keep it, as is
            self.scaffold.addItem(c.scaffold, c.scaffold)
        self.scaffold.setCurrentIndex(self.scaffold.findData(c.scaffold))
        self._teacher_changed(c.teacher)

    def _teacher_changed(self, text: str) -> None:
        remote = is_remote(text)
        self.remote_warning.setVisible(remote)
        self.allow_remote.setVisible(remote)

    def _browse_dir(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Data directory")
        if d:
            self.data_dir.setText(d)

    def find_models(self) -> None:
        """List the GGUF files other local-model apps keep (``app.workflows.voice.discover_models``), in a job:
        each shows as "name - arch params quant (app)" and saves as its path."""
        job = self.jobs.start(voice.discover_models, self.ws, name="find models")
        job.signals.done.connect(self._found_models)
        job.signals.failed.connect(self.banner.error)

    def _found_models(self, found) -> None:

        for f in found:
            if self.model.findData(str(f.path)) >= 0:
                continue
            bits = " ".join(b for b in (f.arch, f.params, f.quant) if b)
            kind = "instruct" if f.instruct else "base"
            lora = "" if voice.lora_supported(f.arch) else ", drafting only (no LoRA)"
            self.model.addItem(f"{f.name} - {bits}, {kind}{lora} ({f.source})", str(f.path))
            self.model.setItemData(self.model.count() - 1, str(f.path), Qt.ItemDataRole.ToolTipRole)
        current = self.ws.config.model
        i = self.model.findData(current)
        if i >= 0:
            self.model.setCurrentIndex(i)

    def check_memory(self) -> None:
        """The memory verdict for the model in the box (a header read and this machine's
        free memory, in a job)."""
        job = self.jobs.start(voice.model_memory, self.model_choice(), name="model memory")
        job.signals.done.connect(lambda m: self.model_memory.setText(m.get("verdict", "") if m else ""))
        job.signals.failed.connect(lambda _t, text: self.model_memory.setText(text))

    def model_choice(self) -> str:
        """What the model box means: a found model's path, else what is typed."""
        text = self.model.currentText().strip()
        i = self.model.findText(text)
        data = self.model.itemData(i) if i >= 0 else None
        return str(data) if data else (text or "smollm2")

    def _browse_model(self) -> None:
        p, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", "", "GGUF models (*.gguf)")
        if p:
            self.model.addItem(p)
            self.model.setCurrentText(p)

    def values(self) -> Config:
        teacher = self.teacher.text().strip()
        return self.ws.config.with_(
            data_dir=self.data_dir.text().strip(), model=self.model_choice(),
            device=self.device.currentText(), threads=self.threads.value(), teacher=teacher,
            gpu_layers=self.gpu_layers.value(), context=self.context.value(),
            allow_remote_teacher=bool(is_remote(teacher) and self.allow_remote.isChecked()),
            retrieval_k=self.retrieval_k.value(), temperature=round(self.temperature.value(), 3),
            top_p=round(self.top_p.value(), 3), max_tokens=self.max_tokens.value(), seed=self.seed.value(),
            scaffold=self.scaffold.currentData(), best_of=self.best_of.value(), greet=self.greet.isChecked(),
            register=self.register.isChecked(), register_length=self.register_length.isChecked())

    def save(self) -> bool:
        cfg = self.values()
        if is_remote(cfg.teacher) and not cfg.allow_remote_teacher:
            self.banner.warn("Saved, but the remote teacher stays off until you allow it: learning "
                             "uses the local student as teacher meanwhile.")
        else:
            self.banner.info("Settings saved.")
        try:
            self.ws.update_config(cfg)
        except Exception as e:  # noqa: BLE001
            from app.gui.errors import describe

            self.banner.error(*describe(e))
            return False
        return True

"""The trained model, once per cache and on disk: starting the app never trains twice.

On disk the model is JSON and a NumPy archive read with allow_pickle=False, under a directory
named by a hash of the examples, the training settings and scikit-learn's version; nothing is
ever unpickled, so a tampered cache can give a wrong answer but never run code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from bot.triage import training
from bot.triage.examples import LabelledMessage
from bot.triage.model import LinearTextModel

log = logging.getLogger(__name__)

_KEEP_IN_MEMORY = 4
_KEEP_ON_DISK = 8


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/connectdesk/triage`, or `~/.cache/connectdesk/triage`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "connectdesk" / "triage"


def model_key(examples: Sequence[LabelledMessage], extra: Sequence[LabelledMessage]) -> str:
    """A hash naming the model these examples train (with the settings and library version)."""
    digest = hashlib.sha256()
    digest.update(f"{training.SETTINGS}|scikit-learn {version('scikit-learn')}".encode())
    for kind, messages in (("builtin", examples), ("extra", extra)):
        for m in messages:
            category = m.category.value if m.category else ""
            digest.update(f"\0{kind}\0{int(m.is_request)}\0{category}\0{m.text}".encode())
    return digest.hexdigest()[:32]


class ModelCache:
    """Trained models in memory (a few) and on disk under `directory`: one training per data.

    The app owns one (so do tests, one per process); the lock makes concurrent first calls
    (threads from `load_classifier`) wait for one training instead of each doing its own.
    """

    def __init__(self, directory: Path | None = None, keep_in_memory: int = _KEEP_IN_MEMORY):
        self.directory = directory or default_cache_dir()
        self._keep = keep_in_memory
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, LinearTextModel] = OrderedDict()

    def model(
        self, examples: Sequence[LabelledMessage], extra: Sequence[LabelledMessage]
    ) -> LinearTextModel:
        """The model for these examples: from memory, else from disk, else trained (and saved)."""
        key = model_key(examples, extra)
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
            directory = self.directory / key
            model = _read(directory)
            if model is None:
                model = training.train_model(examples, extra)
                _write(model, directory)
            self._memo[key] = model
            while len(self._memo) > self._keep:
                self._memo.popitem(last=False)
            return model


def _read(directory: Path) -> LinearTextModel | None:
    if not (directory / "model.json").is_file():
        return None
    try:
        return LinearTextModel.load(directory)
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
        # Damaged, half-pruned or from an incompatible build: train again.
        log.warning("triage model cache %s unreadable (%s); training again", directory, error)
        shutil.rmtree(directory, ignore_errors=True)  # so the new one can take its place
        return None


def _write(model: LinearTextModel, directory: Path) -> None:
    # Written beside its final place, then renamed: another process never reads half a model.
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=directory.parent))
        model.save(staging)
        try:
            staging.rename(directory)
        except OSError:  # another process saved the same model first
            shutil.rmtree(staging, ignore_errors=True)
        _prune(directory.parent)
    except OSError as error:
        log.info("triage model not cached on disk (%s): %s", directory, error)


def _prune(parent: Path) -> None:
    saved = sorted(
        (p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    for old in saved[:-_KEEP_ON_DISK]:
        shutil.rmtree(old, ignore_errors=True)

"""InputMemory: what was entered for each model (sizes, shapes, values, files), kept across sessions.

One small JSON file in the app's config folder, keyed by the model's sha256:
the same model opened again, from any path, gets its sizes back. Written
atomically (a temporary file, then a rename); a missing or damaged file is an
empty memory, never an error on screen. The most recently used MAX_MODELS
models are kept.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

MAX_MODELS = 200
VERSION = 1


class InputMemory:
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._models: dict[str, dict] | None = None  # read on first use
        self.error = ""  # why the last write failed ("" when it did not)

    def _load(self) -> dict[str, dict]:
        if self._models is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            models = data.get("models") if isinstance(data, dict) and data.get("version") == VERSION else None
            self._models = {k: v for k, v in models.items() if isinstance(v, dict)} if isinstance(models, dict) else {}
        return self._models

    def recall(self, sha256: str) -> dict | None:
        entry = self._load().get(sha256)
        return entry.get("entered") if entry else None

    def remember(self, sha256: str, entered: dict) -> None:
        models = self._load()
        models.pop(sha256, None)
        models[sha256] = {"entered": entered, "used": time.time()}
        for old in sorted(models, key=lambda k: models[k].get("used") or 0)[:-MAX_MODELS]:
            del models[old]
        self._write({"version": VERSION, "models": models})

    def _write(self, data: dict) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1)
            os.replace(tmp, self.path)
            self.error = ""
        except OSError as e:  # a read-only config folder: the sizes still apply in this session
            self.error = f"{self.path}: {e.strerror or e}"
            try:
                os.unlink(tmp)
            except (OSError, UnboundLocalError):
                pass

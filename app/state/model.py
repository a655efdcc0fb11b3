"""ModelState: the model the window works on: its path, its card, and whether it is being read.

Loading is three steps, told by whoever reads the file (app.views.workflow):
`begin(path)`, then `set_card(path, card)` once or more (a model with symbolic
dims is read again at the editor's values before it counts as loaded; editing a
dim later re-reads it with `reinspected=True`), then `finish(path)`, or `fail`.
A failed load keeps the previous model (it can still be run).
"""

from __future__ import annotations

from app.state.events import Event


class ModelState:
    def __init__(self) -> None:
        self.path: str | None = None  # the model runs use (the last one read successfully)
        self.card: dict | None = None  # ModelCard.to_dict() of `path`
        self.loading: str | None = None  # a path being read for the first time
        self.changed: Event[[]] = Event("model.changed")  # anything above changed
        self.started: Event[[str]] = Event("model.started")  # path: reading began
        self.card_changed: Event[[dict, bool]] = Event("model.card_changed")  # card, reinspected (same model)
        self.loaded: Event[[str]] = Event("model.loaded")  # path: a newly opened model is ready
        self.failed: Event[[str, str, str]] = Event("model.failed")  # path, message, hint

    @property
    def ready(self) -> bool:
        """A model can be run: one is loaded and no new one is half read."""
        return self.path is not None and self.loading is None

    def begin(self, path: str) -> None:
        self.loading = path
        self.started.emit(path)
        self.changed.emit()

    def set_card(self, path: str, card: dict, *, reinspected: bool = False) -> None:
        """A card for `path` (the model being loaded, or the current one read again with other dims)."""
        if path != self.loading and path != self.path:
            return  # a late answer for a model the user has since replaced
        self.path, self.card = path, card
        self.card_changed.emit(card, reinspected)
        self.changed.emit()

    def finish(self, path: str) -> None:
        """The model opened with begin(path) is ready to run."""
        if path != self.loading:
            return
        self.loading = None
        self.loaded.emit(path)
        self.changed.emit()

    def fail(self, path: str, message: str, hint: str = "") -> None:
        if path == self.loading:
            self.loading = None
        self.failed.emit(path, message, hint)
        self.changed.emit()

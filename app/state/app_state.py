"""AppState: the desktop app's model, apart from its Qt widgets (as napari keeps ViewerModel apart from its Qt window).

One object holds what the app knows and is doing: the model (ModelState), what
its inputs are fed (InputSetupState: open dims, shapes, values, files), the
next run's setup (RunSetupState), the run in flight and this session's runs
(LiveRunState), the run history as shown (HistoryState), which view is in front,
and the messages for the user. Each part announces its changes with typed
Events (app.state.events); the Qt views subscribe and redraw, controllers call
the methods. Nothing here imports Qt, so all of it is testable headless.
"""

from __future__ import annotations

from enum import IntEnum

from app.state.accuracy import AccuracySetupState
from app.state.events import Event
from app.state.history import HistoryState
from app.state.input_memory import InputMemory
from app.state.inputs import InputSetupState
from app.state.live_run import LiveRunState
from app.state.model import ModelState
from app.state.run_setup import RunSetupState
from app.state.sweep import SweepState


class View(IntEnum):
    """The window's main views, in tab order."""

    LIVE = 0  # live charts of the run, then its results
    HISTORY = 1
    COMPARISON = 2
    SWEEP = 3  # a grid of runs: charts against the swept value


class AppState:
    def __init__(self, input_memory: InputMemory | None = None) -> None:
        """input_memory: where the sizes, values and files entered per model are kept (None: this session only)."""
        self.model = ModelState()
        self.inputs = InputSetupState(input_memory)  # what the next run feeds the model's inputs
        # Connected first, so the input editors are laid out before any view hears of the card.
        self.model.card_changed.connect(lambda card, _reinspected: self.inputs.set_card(card))
        self.run_setup = RunSetupState()
        self.model.card_changed.connect(lambda card, _reinspected: self.run_setup.genai.set_card(card))
        self.run = LiveRunState()
        self.history = HistoryState()
        self.sweep = SweepState()  # the Sweep tab's grid and its record as it fills
        self.accuracy = AccuracySetupState()  # the Accuracy panel's form: what an eval scores (aipcprof eval)
        self.view = View.LIVE
        self.view_changed: Event[[View]] = Event("view_changed")
        self.error: Event[[str, str]] = Event("error")  # message, hint: shown inline, the app keeps working
        self.status: Event[[str, int]] = Event("status")  # a passing status line, milliseconds (0: until replaced)

    @property
    def can_run(self) -> bool:
        """Run is possible: a model is loaded, a target picked, and nothing is running."""
        return self.model.ready and self.run_setup.current_target() is not None and not self.run.busy

    def show_view(self, view: View) -> None:
        """Bring a view to the front (the window also reports the user's own tab switches here)."""
        view = View(view)
        if view != self.view:
            self.view = view
            self.view_changed.emit(view)

    def report_error(self, message: str, hint: str = "") -> None:
        self.error.emit(message, hint)

    def show_status(self, message: str, msecs: int = 0) -> None:
        self.status.emit(message, msecs)

"""Steps: GUI work split into slices, one slice per event-loop turn.

The end of a run redraws the charts fitted to the run and fills the results
panel; done in one go that was 40-70 ms of the GUI thread in one turn (issue
#19). Queued here, each slice runs in its own turn, and paints, input and
timers are served between them, so no turn is long. The slices run in the
order they were added; `flush()` runs the rest at once (a new run starts and
must not find the last one half drawn).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Steps(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: deque[Callable[[], None]] = deque()
        # A 0 ms timer (not a posted call): the event loop goes round between two slices, so the paint
        # a slice asked for, and any other timer that is due, comes before the next slice.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.turns = 0  # slices run from the timer (for tests and the benchmark)

    def add(self, *steps: Callable[[], None]) -> None:
        self._queue.extend(steps)
        if self._queue and not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def flush(self) -> None:
        """Run every queued slice now, in order."""
        self._timer.stop()
        while self._queue:
            self._queue.popleft()()

    def _on_timer_timeout(self) -> None:
        if not self._queue:
            return
        step = self._queue.popleft()
        if self._queue:
            self._timer.start()  # before the step: one that raises does not stop the ones after it
        self.turns += 1
        step()

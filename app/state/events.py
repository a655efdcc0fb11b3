"""Event: a tiny, typed observer for the app model (plain callbacks, no Qt).

    loaded: Event[[str, dict]] = Event("loaded")
    loaded.connect(on_loaded)      # on_loaded(path: str, card: dict)
    loaded.emit(path, card)        # calls every callback, in connection order, synchronously

Callbacks run on the emitter's thread, at once; an exception in one propagates
to the emitter (a bug in a view is not swallowed). Views connect in their
constructor and live as long as the state, so references are strong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Event(Generic[P]):
    __slots__ = ("name", "_callbacks", "_blocked")

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._callbacks: list[Callable[P, object]] = []
        self._blocked = 0

    def connect(self, callback: Callable[P, object]) -> Callable[P, object]:
        """Call `callback` on every emit (once, however often it is connected); returns it (decorator use)."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[P, object]) -> None:
        """Stop calling `callback`; disconnecting one that is not connected is harmless."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        if self._blocked:
            return
        for callback in list(self._callbacks):  # a callback may disconnect itself
            callback(*args, **kwargs)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Emit nothing inside the block (e.g. while a view writes back what it was just told)."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        return f"<Event {self.name or '?'}: {len(self._callbacks)} connected>"

"""app.state.events.Event: connect, emit in order, disconnect, block."""

from __future__ import annotations

from app.state.events import Event


def test_connect_emit_disconnect():
    ev: Event[[str, int]] = Event("ev")
    got = []

    def first(name: str, n: int) -> None:
        got.append(("first", name, n))

    ev.connect(first)
    ev.connect(lambda name, n: got.append(("second", name, n)))
    ev.connect(first)  # connecting twice calls once
    assert len(ev) == 2
    ev.emit("a", 1)
    assert got == [("first", "a", 1), ("second", "a", 1)]
    ev.disconnect(first)
    ev.disconnect(first)  # harmless
    got.clear()
    ev.emit("b", 2)
    assert got == [("second", "b", 2)]


def test_blocked_and_self_disconnect():
    ev: Event[[]] = Event()
    calls = []

    def once() -> None:
        calls.append("once")
        ev.disconnect(once)

    ev.connect(once)
    ev.connect(lambda: calls.append("always"))
    with ev.blocked():
        ev.emit()
    assert calls == []
    ev.emit()
    ev.emit()
    assert calls == ["once", "always", "always"]


def test_bound_methods_connect_once_and_errors_propagate():
    class View:
        def __init__(self) -> None:
            self.seen = 0

        def on(self) -> None:
            self.seen += 1

    ev: Event[[]] = Event("x")
    v = View()
    ev.connect(v.on)
    ev.connect(v.on)
    ev.emit()
    assert v.seen == 1
    ev.connect(lambda: 1 / 0)
    try:
        ev.emit()
    except ZeroDivisionError:
        pass
    else:
        raise AssertionError("a broken callback is not swallowed")
    assert "x" in repr(ev)

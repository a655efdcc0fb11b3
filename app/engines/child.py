"""Run one job on an untrusted model in a child process: a crash or a hang costs one line, never this process.

The child is `python -m <module> <request.json>`; it prints JSON lines on stdout:
`{"progress": [done, total, "what"]}` any number of times, then `{"result": {...}}` or
`{"error": {"kind": "<ErrorKind value>", "message": "..."}}`. The parent relays progress,
stops the child when it prints nothing for `stall_s`, and turns every ending into a
result or a one-line exception (`UserError` for bad input, `ChildFailed` otherwise).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.common.errors import ErrorKind, InputSpecError, ModelError, TargetError, UserError

Progress = Callable[[int, int, str], None]
POLL_S = 0.2  # how often the parent looks at `stop` while the child is quiet
_USER = {ErrorKind.MODEL: ModelError, ErrorKind.TARGET: TargetError, ErrorKind.INPUT_SPEC: InputSpecError,
         ErrorKind.USER: UserError}


class ChildFailed(Exception):
    """The child crashed, hung or failed inside the runtime; `str()` is one line."""


class ChildStopped(ChildFailed):
    """The caller asked the job to stop (`stop` set): the child was killed, nothing was written."""


def run_child(module: str, request: dict, what: str, on_progress: Progress | None = None,
              stall_s: float = 600.0, stop: threading.Event | None = None) -> dict:
    """Run `module`'s child side on `request`; its result dict. `what` names the job in messages.
    Setting `stop` (from any thread) kills the child within POLL_S: ChildStopped."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p))
    proc = subprocess.Popen([sys.executable, "-m", module, json.dumps(request)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    err_tail: list[str] = []
    threading.Thread(target=_tail, args=(proc.stderr, err_tail), daemon=True).start()
    try:
        answer = _read(lines, on_progress, stall_s, what, stop)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if answer is None:
        code = proc.returncode
        how = f"signal {-code}" if code < 0 else f"exit status {code}"
        last = next((ln for ln in reversed(err_tail) if ln.strip()), "")
        raise ChildFailed(f"{what} crashed ({how}, in a separate process){': ' + last[:200] if last else ''}")
    return _answer(answer, what)


def _pump(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


def _tail(stream, keep: list[str]) -> None:
    for line in stream:
        keep.append(line.rstrip())
        del keep[:-20]


def _read(lines: queue.Queue, on_progress: Progress | None, stall_s: float, what: str,
          stop: threading.Event | None = None) -> dict | None:
    last = time.monotonic()
    while True:
        if stop is not None and stop.is_set():
            raise ChildStopped(f"{what} was stopped")
        try:
            line = lines.get(timeout=min(POLL_S, stall_s))
        except queue.Empty:
            if time.monotonic() - last >= stall_s:
                raise ChildFailed(f"{what} made no progress for {stall_s:.0f} s and was stopped") from None
            continue
        last = time.monotonic()
        if line is None:
            return None
        try:
            msg = json.loads(line)
        except ValueError:
            continue  # native libraries may print on stdout
        if not isinstance(msg, dict):
            continue
        if "progress" in msg and on_progress is not None:
            done, total, label = msg["progress"]
            on_progress(int(done), int(total), str(label))
        elif "result" in msg or "error" in msg:
            return msg


def _answer(msg: dict, what: str) -> dict:
    if "result" in msg:
        return msg["result"]
    kind = ErrorKind.parse(str(msg["error"].get("kind", "")))
    text = str(msg["error"].get("message", ""))
    if kind in _USER:
        raise _USER[kind](text)
    raise ChildFailed(f"{what} failed: {text}")


# --- the child's side -------------------------------------------------------------


def emit(**message: Any) -> None:
    print(json.dumps(message), flush=True)


def progress(done: int, total: int, label: str) -> None:
    emit(progress=[done, total, label])


def child_main(job: Callable[[dict], dict]) -> int:
    """Run `job(request)` from argv[1] and print its answer line; never a traceback on stdout."""
    try:
        result = job(json.loads(sys.argv[1]))
    except UserError as e:
        emit(error={"kind": ErrorKind.of(e).value, "message": str(e)})
        return 0
    except Exception as e:  # noqa: BLE001 - the parent shows one line; the traceback goes to stderr
        traceback.print_exc()
        line = (str(e).strip().splitlines() or [""])[0][:300]
        emit(error={"kind": ErrorKind.INTERNAL.value, "message": f"{type(e).__name__}: {line}"})
        return 0
    emit(result=result)
    return 0

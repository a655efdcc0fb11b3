"""`aipcprof run --trace OUT.json`: the path checked before the run, the trace written after it.

The worker keeps the runtime's raw profile files in a temporary folder
(RunSpec.profile_dir) instead of deleting them; the Chrome trace is built from
them and the record (app.report.chrome_trace), then the folder is removed.
"""

from __future__ import annotations

import atexit
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.common.errors import UserError
from app.common.text import terminal_safe
from app.record.schema import RunRecord


@dataclass
class TraceRequest:
    path: str
    folder: str

    @classmethod
    def check(cls, path: str | None) -> TraceRequest | None:
        """None without --trace; a UserError (one line, before the run) when the path cannot be written."""
        from app.record import io as rec

        if path is None:
            return None
        rec.check_writable(path, "--trace")
        folder = tempfile.mkdtemp(prefix="aipcprof-trace-")
        atexit.register(shutil.rmtree, folder, True)  # also when the run never gets to write()
        return cls(path, folder)

    def write(self, record: RunRecord) -> None:
        """Write the trace (a failure now is one line on stderr: the run and its record are kept)."""
        from app.record import io as rec
        from app.report.chrome_trace import build
        from app.run.op_ort import TraceError, load_events

        p = record.op_profile
        raw, events = (p.trace_file if p is not None else None), None
        if p is not None:
            p.trace_file = None  # the raw file goes with the folder; set again once the trace is written
        try:
            if raw and Path(raw).is_file():
                events = load_events(Path(raw).read_text(encoding="utf-8"), raw)
            rec.write_atomic(self.path, json.dumps(build(record, events), allow_nan=False), "--trace")
            if p is not None:
                p.trace_file = self.path
            print(f"trace: {terminal_safe(self.path)}", file=sys.stderr)
        except (UserError, TraceError, OSError, ValueError) as e:
            print(f"aipcprof: error: --trace {terminal_safe(self.path)}: {terminal_safe(e)}", file=sys.stderr)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

"""Parse the QNN EP's profiling CSV (provider options profiling_level=detailed, profiling_file_path).

Columns: `Msg Timestamp, Message, Time, Unit of Measurement, Timing Source,
Event Level, Event Identifier`. Each execution of a QNN graph (one fused
partition node in ONNX Runtime) is a block of rows ending with the `EXECUTE`
row `QNN (execute) time`; inside it, `BACKEND` rows give the accelerator's
figures (`Accelerator (execute) time` in US and in CYCLES, VTCM and HVX+HMX
acquire times, HVX threads) and `NODE` rows one op each, identified as
`<node name>:OpId_<n> (cycles)` (`Input OpId_2 (cycles)` for the graph's I/O).
The `FINALIZE` row and its sub-events (graph preparation) come before the
first block and are not per inference.

On the HTP the NODE rows are cycles. An op's time is its share of the
accelerator's cycles times the accelerator's execute time of that block.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field

US = 1e-6
ACCEL_TIME = "Accelerator (execute) time"
ACCEL_CYCLES = "Accelerator (execute) time (cycles)"
EXECUTE_TIME = "QNN (execute) time"
COLUMNS = ("Message", "Time", "Unit of Measurement", "Event Level", "Event Identifier")
_OP_ID = re.compile(r"^(?P<name>.*?)(?::| )OpId_\d+(?: \((?P<unit>cycles|us)\))?$", re.IGNORECASE)


class QnnCsvError(ValueError):
    """The file is not a QNN EP profiling CSV (the message says what is wrong)."""


@dataclass
class QnnOp:
    name: str  # the ONNX node name QNN reports ("Input"/"Output" for the graph's I/O)
    cycles: float | None = None
    time_s: float | None = None  # the op's share of the accelerator time (cycles), or its own time (US rows)


@dataclass
class QnnBlock:
    """One execution of one QNN graph."""

    ops: list[QnnOp] = field(default_factory=list)
    counters: dict[str, tuple[float, str]] = field(default_factory=dict)  # identifier -> (value in SI, unit)

    @property
    def names(self) -> set[str]:
        return {op.name for op in self.ops}


def _value(text: str, unit: str) -> tuple[float, str] | None:
    try:
        v = float(text)
    except ValueError:
        return None
    if not math.isfinite(v):
        return None
    unit = unit.strip().upper()
    if unit == "US":
        return v * US, "s"
    return v, {"CYCLES": "cycles", "COUNT": "count", "BYTES": "bytes"}.get(unit, unit.lower())


def op_name(identifier: str) -> str:
    """'relu0:OpId_26 (cycles)' -> 'relu0'; 'Input OpId_2 (cycles)' -> 'Input'."""
    m = _OP_ID.match(identifier.strip())
    return m.group("name") if m else identifier.strip()


def parse_csv(text: str) -> list[QnnBlock]:
    """The execute blocks of a QNN profiling CSV, in file order."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise QnnCsvError(f"not a QNN profiling CSV (no column {missing[0]!r})")
    blocks, current = [], QnnBlock()
    for row in reader:
        message, level = (row.get("Message") or "").strip(), (row.get("Event Level") or "").strip()
        ident = (row.get("Event Identifier") or "").strip()
        value = _value(row.get("Time") or "", row.get("Unit of Measurement") or "")
        if message == "EXECUTE":
            if value is not None:
                current.counters[ident] = value
            blocks.append(_finish(current))
            current = QnnBlock()
        elif message == "NODE" and value is not None:
            v, unit = value
            current.ops.append(QnnOp(op_name(ident), cycles=v if unit == "cycles" else None,
                                     time_s=v if unit == "s" else None))
        elif message == "BACKEND" and level == "ROOT" and value is not None:
            current.counters[ident] = value
    return blocks


def _finish(block: QnnBlock) -> QnnBlock:
    """Per-op times from cycles: the op's share of the block's accelerator cycles times its execute time."""
    accel_s = block.counters.get(ACCEL_TIME, (None, ""))[0]
    cycles = block.counters.get(ACCEL_CYCLES, (None, ""))[0]
    if not cycles:
        cycles = math.fsum(op.cycles or 0.0 for op in block.ops) or None
    for op in block.ops:
        if op.time_s is None and op.cycles is not None and accel_s is not None and cycles:
            op.time_s = accel_s * op.cycles / cycles
    return block

"""No module reads a run-record section out of a dict: records are `RunRecord` objects.

`app/record/` is the one place that handles the raw JSON (parsing, upgrading old
versions); `app/probes/` builds its own telemetry dicts before the record types them.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from app.record.schema import RunRecord

APP = Path(__file__).resolve().parents[2] / "app"
EXEMPT = (APP / "record", APP / "probes")
SECTIONS = sorted(f.name for f in dataclasses.fields(RunRecord))
SECTION_NAMES = "|".join(SECTIONS)
READ = re.compile(rf"""\.get\(\s*["']({SECTION_NAMES})["']""")


def _offending_lines(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if any(path.is_relative_to(e) for e in EXEMPT):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if READ.search(line):
                found.append(f"{path.relative_to(root.parent)}:{number}: {line.strip()}")
    return found


def test_no_record_section_is_read_from_a_dict():
    assert _offending_lines(APP) == []


def test_the_check_finds_a_dict_read(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "x.py").write_text('lat = (record.get("latency") or {}).get("p50")\n')
    assert _offending_lines(tmp_path / "app") == ['app/x.py:1: lat = (record.get("latency") or {}).get("p50")']

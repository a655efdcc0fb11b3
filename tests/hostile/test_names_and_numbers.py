"""Names and numbers from a record (item 15): a display name has a length limit, a hostile p50 is N/A."""

from __future__ import annotations

import json
import math

import pytest

from app.cli import main
from app.common.errors import UserError
from app.record import io as rec
from app.record.history import MAX_NAME_CHARS, RunHistory
from app.report.comparison import compare_rows, format_table


def test_rename_to_a_huge_name_is_one_line_and_changes_nothing(record, data_dir, capsys):
    history = RunHistory()
    run_id = history.add(record, "kept").id
    assert main(["history", "rename", run_id, "x" * 100_000]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == ("aipcprof: error: the run name is 100000 characters long; at most 200 are "
                                         "allowed. Give a shorter name.")
    assert history.get(run_id).history.name == "kept"


def test_the_name_limit_is_inclusive_and_applies_to_add(record, data_dir):
    history = RunHistory()
    run_id = history.add(record, "n" * MAX_NAME_CHARS).id
    assert history.get(run_id).history.name == "n" * MAX_NAME_CHARS
    other = record.copy()
    other.latency.p50 = 1.0
    with pytest.raises(UserError, match="at most 200"):
        history.add(other, "n" * (MAX_NAME_CHARS + 1))


@pytest.mark.parametrize("p50", [math.inf, 0.0, -1e-3, 1e-320])
def test_a_hostile_p50_gives_no_speedup(record, p50):
    other = record.copy()
    other.latency.p50 = p50
    rows = compare_rows([record, other], ["base", "odd"], 0)
    assert rows[1].speedup_vs_baseline is None  # never "0.00x" nor "infx"
    assert rows[0].speedup_vs_baseline == 1.0
    line = format_table(rows).splitlines()[2]
    assert "0.00x" not in line and "inf" not in line.lower() and "N/A" in line


def test_a_huge_p50_shows_its_true_tiny_speedup(record):
    other = record.copy()
    other.latency.p50 = 1e308
    (base, odd) = compare_rows([record, other], ["base", "odd"], 0)
    assert odd.speedup_vs_baseline == pytest.approx(record.latency.p50 / 1e308)
    assert f"{odd.speedup_vs_baseline:.2g}x" in format_table([base, odd]).splitlines()[2]  # not "0.00x"


def test_an_infinite_p50_read_from_a_file_shows_na(tmp_path, record, capsys):
    data = json.loads(rec.dumps(record))
    data["latency"]["p50"] = float("inf")  # json.dumps writes Infinity, json.loads reads it back
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps(data))
    base = tmp_path / "base.json"
    rec.save(record, base)
    assert main(["compare", str(base), str(odd)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.rstrip().endswith("odd.json"))
    assert "0.00x" not in row and "N/A" in row


def test_a_baseline_with_a_zero_p50_gives_no_speedup(record):
    base = record.copy()
    base.latency.p50 = 0.0
    rows = compare_rows([base, record], ["zero", "real"], 0)
    assert [r.speedup_vs_baseline for r in rows] == [None, None]

"""Measurement conditions in the CLI summary, the comparison's flags, and the record file."""

from __future__ import annotations

from app.record import io as rec
from app.record.conditions import Conditions, CpuShare, EdgeTemperature, QuietCheck
from app.record.schema import LatencyStats, PowerInfo, RunRecord, RunStatus, TargetInfo, WarningKind
from app.report.comparison import comparability_warnings
from app.report.conditions import comparison_flags, summary_lines
from app.report.text import format_run
from app.run.conditions import condition_warnings


def _run(other: float | None, **kw) -> RunRecord:
    r = RunRecord(target=TargetInfo("ort/cpu"), status=RunStatus.COMPLETED, latency=LatencyStats(count=500))
    kw = {"throttle_reason": "no thermal_throttle counters", "clock_reason": "no cpufreq policies",
          "temperatures_reason": "no temperature sensor", **kw}
    r.conditions = Conditions(window_s=2.0, other_cpu=CpuShare(other, "" if other is not None else "too short"),
                              worker_cpu=CpuShare(0.45), profiler_cpu=CpuShare(0.01),
                              steal=CpuShare(None, "steal time is a /proc/stat column; this OS does not report it"),
                              **kw)
    for kind, text in condition_warnings(r):
        r.warn(kind, text)
    return r


def test_summary_lines_show_each_figure_or_why_it_is_missing():
    r = _run(0.38, temperatures=[EdgeTemperature("cpu/temp", 51.0, 63.5)], temperatures_reason="",
             quiet_check=QuietCheck(30.0, 30.1, False, 0.4, "busy"))
    lines = summary_lines(r)
    assert lines[0] == ("conditions: other processes 38% of the CPU, this run 45%, the profiler 1%, steal N/A "
                        "(steal time is a /proc/stat column; this OS does not report it)")
    assert lines[1] == "  clock: N/A (no cpufreq policies); throttling: N/A (no thermal_throttle counters)"
    assert lines[2] == "  temperatures (start -> end): cpu/temp 51.0 °C -> 63.5 °C"
    assert lines[3].startswith("  quiet check: did not settle after 30.1 s (bound 30.0 s; other processes 40%")
    text = format_run(r)
    assert "  conditions: other processes 38% of the CPU" in text
    assert "WARNING: other processes used 38% of the CPU during the measurement" in text


def test_clock_figures_when_cpufreq_is_readable():
    r = _run(0.02, clock_start=0.97, clock_end=0.81, clock_cap=0.75, throttle_events=6)
    assert summary_lines(r)[1] == "  clock: 97% -> 81% of maximum, capped at 75%; throttling: 6 event(s)"
    assert [w.kind for w in r.warnings] == [WarningKind.THROTTLED, WarningKind.THROTTLED]


def test_a_record_without_conditions_has_no_line():
    r = RunRecord(target=TargetInfo("ort/cpu"))
    assert summary_lines(r) == [] and "conditions:" not in format_run(r)


def test_compare_flags_pairs_measured_under_different_conditions():
    quiet, busy, busy_too = _run(0.02), _run(0.38), _run(0.5)
    flags = comparison_flags([quiet, busy, busy_too], ["a", "b", "c"])
    assert flags == [
        "b: measured under different conditions from a: b busy machine (other processes 38% of the CPU); a none.",
        "c: measured under different conditions from a: c busy machine (other processes 50% of the CPU); a none."]
    assert comparison_flags([busy, busy_too], ["b", "c"]) == []  # the same condition on both sides
    assert flags[0] in comparability_warnings([quiet, busy, busy_too], ["a", "b", "c"])


def test_compare_flags_battery_and_power_saver_from_the_host_facts():
    plugged, unplugged = _run(0.01), RunRecord(target=TargetInfo("ort/cpu"), status=RunStatus.COMPLETED,
                                               latency=LatencyStats(count=500))
    unplugged.host.power = PowerInfo(source="battery", plan="Balanced (power mode: Best power efficiency)",
                                     saver=True)
    unplugged.conditions = Conditions(other_cpu=CpuShare(0.01))
    for kind, text in condition_warnings(unplugged):
        unplugged.warn(kind, text)
    (flag,) = comparison_flags([plugged, unplugged], ["ac", "bat"])
    assert flag == "bat: measured under different conditions from ac: bat on battery, power-saving plan; ac none."


def test_compare_says_when_a_record_has_no_conditions():
    old = RunRecord(target=TargetInfo("ort/cpu"), status=RunStatus.COMPLETED, latency=LatencyStats(count=500))
    (flag,) = comparison_flags([old, _run(0.02)], ["old", "new"])
    assert flag.startswith("old: measurement conditions were not recorded")


def test_conditions_survive_the_record_file(tmp_path):
    r = _run(0.38, quiet_check=QuietCheck(5.0, 5.2, False, 0.4, "busy"),
             temperatures=[EdgeTemperature("cpu/temp", 50.0, None)])
    path = tmp_path / "run.json"
    rec.save(r, path)
    back = rec.load(path)
    assert back.conditions == r.conditions
    assert back.warnings_of(WarningKind.BUSY_MACHINE) == r.warnings_of(WarningKind.BUSY_MACHINE)


def test_aipcprof_compare_prints_the_flag(tmp_path, capsys):
    from app.cli import main

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    rec.save(_run(0.02), a)
    rec.save(_run(0.38), b)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr()
    assert "measured under different conditions from" in out.out + out.err
    assert "busy machine (other processes 38% of the CPU)" in out.out + out.err


def test_a_window_too_short_for_every_share_says_its_reason_once():
    why = "the window (0.10 s) holds 22 CPU ticks; 50 are needed for a share (measure longer)"
    r = RunRecord(target=TargetInfo(id="ort/cpu"))
    r.conditions = Conditions(window_s=0.1, other_cpu=CpuShare(None, why), worker_cpu=CpuShare(None, why),
                              profiler_cpu=CpuShare(None, why), steal=CpuShare(None, why))
    assert summary_lines(r)[0] == f"conditions: CPU shares N/A ({why})"
    r.conditions.steal = CpuShare(None, "no steal column")  # different reasons: each share says its own
    assert summary_lines(r)[0].count(why) == 3 and "steal N/A (no steal column)" in summary_lines(r)[0]

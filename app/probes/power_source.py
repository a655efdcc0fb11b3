"""Battery / AC state (psutil, every OS) and the active power plan.

Power source and plan change what an NPU or CPU delivers, so the run record
keeps them (`host.power`, filled by app.run.host). The Windows plan comes from
powrprof (win_power_backend.py); on Linux it is the ACPI platform profile plus
the cpufreq governor / EPP.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from app.probes.linux_sysfs import read_attr
from app.probes.model import BOOL, PERCENT, SYSTEM, UNSUPPORTED, Clock, Probe, Sample, missing, reading

NO_BATTERY = "no battery reported (desktop, VM, or no ACPI battery)"

# Windows power schemes and Windows 11 power-mode overlays (documented GUIDs).
WINDOWS_SCHEMES = {
    "381b4222-f694-41f0-9685-ff5bb260df2e": "Balanced",
    "8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c": "High performance",
    "a1841308-3541-4fab-bc81-f71556f20b4a": "Power saver",
    "e9a42b02-d5df-448d-aa00-03f14749eb61": "Ultimate performance",
}
WINDOWS_OVERLAYS = {
    "961cc777-2547-4f9d-8174-7d86181b8a7a": "Best power efficiency",
    "00000000-0000-0000-0000-000000000000": "Balanced",
    "ded574b5-45a0-4f42-8737-46345c09c238": "Best performance",
}


class BatteryProbe(Probe):
    name = "battery"
    period_s = 5.0

    def __init__(self, *, sensors_battery: Callable[[], Any] | None = None,
                 clock: Clock = time.perf_counter_ns) -> None:
        self._sensors_battery = sensors_battery or getattr(psutil, "sensors_battery", lambda: None)
        self._clock = clock
        self._none_at_open = False

    def open(self) -> None:
        self._none_at_open = self._battery() is None

    def absent(self) -> bool:
        return self._none_at_open  # a desktop or VM does not grow a battery while the app runs

    def _battery(self) -> Any:
        try:
            return self._sensors_battery()
        except (OSError, RuntimeError, NotImplementedError):
            return None

    def read(self) -> list[Sample]:
        bat = self._battery()
        t = self._clock()
        src = "psutil.sensors_battery"
        if bat is None:
            return [missing("system", "battery", PERCENT, UNSUPPORTED, NO_BATTERY, src, t_ns=t, kind=SYSTEM)]
        out = [reading("system", "battery", float(bat.percent), PERCENT, src, t_ns=t, kind=SYSTEM)]
        if bat.power_plugged is None:
            out.append(missing("system", "on_ac", BOOL, UNSUPPORTED, "AC state not reported", src, t_ns=t, kind=SYSTEM))
        else:
            out.append(reading("system", "on_ac", 1.0 if bat.power_plugged else 0.0, BOOL, src, t_ns=t, kind=SYSTEM))
        return out


def describe_windows_plan(scheme_guid: str, scheme_name: str = "", overlay_guid: str | None = None) -> str:
    """'Balanced (power mode: Best performance)' from GUIDs; unknown GUIDs keep their friendly name."""
    g = scheme_guid.strip("{}").lower()
    name = scheme_name or WINDOWS_SCHEMES.get(g, g)
    if overlay_guid is not None:
        mode = WINDOWS_OVERLAYS.get(overlay_guid.strip("{}").lower())
        if mode:
            name += f" (power mode: {mode})"
    return name


def describe_linux_plan(profile: str | None, governor: str | None, epp: str | None) -> str:
    parts = [f"{label}={value.strip()}" for label, value in
             (("platform_profile", profile), ("governor", governor), ("epp", epp)) if value and value.strip()]
    return ", ".join(parts)


def power_plan(root: str | Path = "/") -> str:
    """The active power plan, described in one line ('' when unknown)."""
    return power_plan_info(root)[0]


# What counts as a power-saving plan (WarningKind.POWER_SAVER): the documented power-saver scheme and
# overlay on Windows; on Linux a low-power ACPI platform profile, EPP "power", or the legacy `powersave`
# governor (which pins the lowest clock; with an EPP file it is the normal mode of intel/amd-pstate).
SAVER_SCHEMES = {"a1841308-3541-4fab-bc81-f71556f20b4a"}
SAVER_OVERLAYS = {"961cc777-2547-4f9d-8174-7d86181b8a7a"}
SAVER_PROFILES = {"low-power", "quiet", "cool"}


def windows_saver(scheme_guid: str, overlay_guid: str | None) -> bool:
    return (scheme_guid.strip("{}").lower() in SAVER_SCHEMES
            or (overlay_guid or "").strip("{}").lower() in SAVER_OVERLAYS)


def linux_saver(profile: str | None, governor: str | None, epp: str | None) -> bool | None:
    """True / False from whichever of the three is readable; None when none is."""
    profile, governor, epp = ((v or "").strip() or None for v in (profile, governor, epp))
    if profile is None and governor is None and epp is None:
        return None
    return (profile in SAVER_PROFILES or epp == "power"
            or (governor == "powersave" and epp is None))


def power_plan_info(root: str | Path = "/") -> tuple[str, str]:
    """(plan, reason): the active power plan in one line, or '' and why it is not known."""
    plan, reason, _ = power_plan_facts(root)
    return plan, reason


def power_plan_facts(root: str | Path = "/") -> tuple[str, str, bool | None]:
    """(plan, reason, saver): the active power plan in one line or '' and why it is not known, and
    whether it saves power (None: unknown).

    Cheap (three sysfs reads on Linux, two powrprof calls on Windows): the run
    record reads it at every run start (app.run.host).
    """
    if sys.platform == "win32":
        try:
            from app.probes.win_power_backend import active_power_plan

            scheme, name, overlay = active_power_plan()
            return describe_windows_plan(scheme, name, overlay), "", windows_saver(scheme, overlay)
        except (ImportError, OSError) as e:
            return "", f"powrprof query failed: {e.__class__.__name__}: {e}", None
    r = Path(root) / "sys"
    cpu0 = r / "devices/system/cpu/cpu0/cpufreq"
    attrs = [read_attr(r / "firmware/acpi/platform_profile"), read_attr(cpu0 / "scaling_governor"),
             read_attr(cpu0 / "energy_performance_preference")]
    texts = [a.text for a in attrs]
    plan = describe_linux_plan(*texts)
    if plan:
        return plan, "", linux_saver(*texts)
    if not sys.platform.startswith("linux"):
        return "", f"no power plan source on {sys.platform}", None
    why = "; ".join(a.reason or f"{name} is empty" for a, name in
                    zip(attrs, ("platform_profile", "scaling_governor", "energy_performance_preference")))
    return "", f"no ACPI platform profile or cpufreq governor (VM, container or no cpufreq driver): {why}", None

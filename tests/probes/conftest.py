"""Shared helpers for the probe tests: recorded fixture trees and a controllable clock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


class FakeClock:
    """perf_counter_ns stand-in: tests move time explicitly, so rates are exact."""

    def __init__(self, start_ns: int = 1_000_000_000) -> None:
        self.now = start_ns

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(round(seconds * 1e9))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stage(tmp_path):
    """stage(machine, snap) copies tests/data/sysfs/<machine>/snap<N> over one root and returns it:
    the second call overwrites files in place, like the kernel updating sysfs between reads."""
    root = tmp_path / "root"

    def _stage(machine: str, snap: int) -> Path:
        shutil.copytree(DATA / "sysfs" / machine / f"snap{snap}", root, dirs_exist_ok=True)
        return root

    return _stage


def by_key(samples) -> dict:
    """{'device/metric': sample} (the last one wins)."""
    return {s.key: s for s in samples}

"""Ring buffers and decimation behind the live charts (no window needed)."""

from __future__ import annotations

import numpy as np

from app.views.live_data import LiveData, peak_decimate
from app.views.ringbuffer import RingBuffer


def test_ring_buffer_keeps_newest_points_contiguous():
    rb = RingBuffer(5)
    reference: list[float] = []
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(0, 8))
        xs = np.arange(len(reference), len(reference) + n, dtype=float)
        reference += list(xs)
        rb.append(xs, xs * 2)
        x, y = rb.view()
        assert list(x) == reference[-5:]
        assert np.array_equal(y, x * 2)
        assert x.base is not None  # a view into the buffer, not a copy
    assert rb.total == len(reference)
    assert rb.last_y() == reference[-1] * 2


def test_peak_decimate_keeps_spikes():
    x = np.arange(1_000_000, dtype=float)
    y = np.ones_like(x)
    y[123_457] = 50.0  # one slow inference among a million
    y[876_543] = 0.01
    dx, dy = peak_decimate(x, y, 2000)
    assert dx.size <= 2002
    assert dy.max() == 50.0 and dx[dy.argmax()] == 123_457
    assert dy.min() == 0.01
    assert np.all(np.diff(dx) > 0)


def test_live_data_throughput_and_rolling_percentiles():
    live = LiveData()
    live.reset(0)
    starts = np.arange(1000, dtype=np.int64) * 1_000_000  # 1000 inferences, 1 per ms
    live.add_latencies(starts[:500], np.full(500, 500_000, np.int64))
    live.add_latencies(starts[500:], np.full(500, 500_000, np.int64))
    assert live.count == 1000
    assert abs(live.throughput_now() - 1000) < 20
    p50, p99 = live.rolling()
    assert p50 == 0.5 and p99 == 0.5


def test_missing_metric_is_reported_not_zero():
    from app.probes.model import Sample

    live = LiveData()
    live.reset(0)
    live.add_samples([Sample(10, "npu0", "util", float("nan"), "%", "unsupported", reason="no NPU driver",
                             kind="NPU")])
    (missing,) = live.missing()
    assert missing.label == "NPU utilisation" and missing.reason == "no NPU driver"
    x, y = missing.buffer.view()
    assert np.isnan(y).all()  # a gap, never a fake zero
    assert not missing.ever_ok


def test_charts_reuse_one_curve_per_series(qtbot):
    """Telemetry arriving every tick updates the same curve; it never stacks new ones."""
    from app.probes.model import Sample
    from app.views.charts_panel import ChartsPanel

    live = LiveData()
    live.reset(0)
    panel = ChartsPanel(live)
    qtbot.addWidget(panel)
    for tick in range(5):
        live.add_samples([Sample(tick * 100_000_000, "cpu", "util", 40.0 + tick, "%", kind="CPU"),
                          Sample(tick * 100_000_000, "npu0", "util", float("nan"), "%", "unsupported",
                                 reason="no NPU driver", kind="NPU")])
        panel.refresh()
    items = panel.plots["utilisation"].listDataItems()
    assert len(items) == 1  # CPU only: the unsupported NPU gets a label, not a flat line
    assert list(items[0].getData()[1]) == [40.0, 41.0, 42.0, 43.0, 44.0]
    assert "NPU utilisation" in panel.missing_label.text() and "no NPU driver" in panel.missing_label.text()

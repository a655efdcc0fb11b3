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
    panel.show()  # a hidden panel draws nothing (it catches up when shown)
    for tick in range(5):
        live.add_samples([Sample(tick * 100_000_000, "cpu", "util", 40.0 + tick, "%", kind="CPU"),
                          Sample(tick * 100_000_000, "npu0", "util", float("nan"), "%", "unsupported",
                                 reason="no NPU driver", kind="NPU")])
        panel.refresh(force=True)  # telemetry is drawn at ~5 Hz; force = every call
    items = panel.plots["utilisation"].listDataItems()
    assert len(items) == 1  # CPU only: the unsupported NPU gets a label, not a flat line
    assert list(items[0].getData()[1]) == [40.0, 41.0, 42.0, 43.0, 44.0]
    assert "NPU utilisation" in panel.missing_label.text() and "no NPU driver" in panel.missing_label.text()


def test_column_minmax_keeps_spikes_and_bounds_points():
    from app.views.decimate import column_minmax

    x = np.arange(1_000_000, dtype=float) / 1000  # 1000 s at 1 kHz
    y = np.ones_like(x)
    y[123_457] = 50.0
    y[876_543] = 0.01
    xs, ys = column_minmax(x, y, 0.0, 1000.0, 800)
    assert xs.size <= 2 * 800 + 2
    assert ys.max() == 50.0 and ys.min() == 0.01
    assert np.all(np.diff(xs) >= 0)
    few_x, few_y = column_minmax(x[:100], y[:100], 0.0, 1000.0, 800)  # fewer points than columns: as they are
    assert np.array_equal(few_x, x[:100])


def test_column_cache_incremental_equals_rebuild():
    from app.views.decimate import ColumnCache

    rb = RingBuffer(200_000)
    cache = ColumnCache()
    rng = np.random.default_rng(1)
    t = 0.0
    for _ in range(40):
        n = int(rng.integers(1, 3000))
        xs = t + np.cumsum(rng.uniform(0.0001, 0.001, n))
        t = float(xs[-1])
        rb.append(xs, rng.exponential(1.0, n))
        got = cache.update(rb, 0.0, 60.0, 500)
    fresh = ColumnCache().update(rb, 0.0, 60.0, 500)
    assert cache.rebuilds == 1  # built once; every later frame only binned the new points
    assert np.array_equal(got[0], fresh[0]) and np.array_equal(got[1], fresh[1])
    assert got[0].size <= 2 * 500
    wide = cache.update(rb, 0.0, 75.0, 500)  # the x range steps up by 25 %: re-binned, not rebuilt
    assert cache.rebuilds == 1
    assert wide[1].max() == got[1].max() and wide[1].min() == got[1].min()  # extremes survive
    assert wide[0].size <= got[0].size
    rb.clear()  # a new run: rebuilt from the (empty) buffer
    assert cache.update(rb, 0.0, 75.0, 500)[0].size == 0 and cache.rebuilds == 2


def test_worker_cpu_is_charted_on_a_0_to_100_axis(qtbot):
    # One unit on the Utilisation chart: the worker's CPU (sampled as % of one core) is shown as % of all
    # cores, like the CPU utilisation beside it, so a worker on 1.7 of 2 cores is 85 %, not 170 %.
    from app.probes.model import Sample
    from app.views.charts_panel import ChartsPanel

    live = LiveData(cpus=2)
    live.reset(0)
    panel = ChartsPanel(live)
    qtbot.addWidget(panel)
    panel.show()
    axis = panel.plots["utilisation"].getAxis("left")
    assert [v for v, _ in axis._tickLevels[0]] == [0.0, 50.0, 100.0]
    live.add_samples([Sample(0, "cpu", "util", 30.0, "%", kind="CPU"),
                      Sample(0, "worker", "cpu_util", 80.0, "%", kind="CPU"),
                      Sample(0, "sampler", "cpu_util", 1.0, "%", kind="CPU")])
    assert "worker/cpu_util" in live.series and "sampler/cpu_util" not in live.series
    assert live.series["worker/cpu_util"].label == "Worker process CPU (% of all cores)"
    panel.refresh(force=True)
    lo, hi = panel.plots["utilisation"].getViewBox().viewRange()[1]
    assert lo < 0 < 100 < hi < 115  # fixed 0..100 %, labels inside
    live.add_samples([Sample(100_000_000, "worker", "cpu_util", 170.0, "%", kind="CPU")])
    panel.refresh(force=True)
    _, y = live.series["worker/cpu_util"].buffer.view()
    assert list(y) == [40.0, 85.0]  # 80 % and 170 % of one core = 40 % and 85 % of two
    assert [v for v, _ in axis._tickLevels[0]] == [0.0, 50.0, 100.0]  # still 0..100 %: one unit


def test_the_end_of_run_fit_rebins_the_columns_and_keeps_what_left_the_ring():
    """At the end of a long fast run the x axis is fitted to the run (narrower than the growing axis): the
    cache re-bins its columns instead of re-reading a million points, and the moments whose raw points
    already left the ring buffer stay on the chart."""
    from app.views.decimate import ColumnCache

    rb = RingBuffer(10_000)  # holds the last 10 s of this 1 kHz series
    cache = ColumnCache()
    x = np.arange(60_000) / 1000.0
    y = np.ones_like(x)
    y[2_000] = 50.0  # a spike at 2 s, long gone from the ring by the end
    for k in range(0, x.size, 1_000):
        rb.append(x[k:k + 1_000], y[k:k + 1_000])
        cache.update(rb, 0.0, 75.0, 500)
    fitted = cache.update(rb, 0.0, 61.2, 500)  # the run's 60 s + 2 %: narrower than the 75 s axis
    assert cache.rebuilds == 1  # re-binned, not rebuilt from the ring
    assert fitted[1].max() == 50.0 and abs(fitted[0][np.argmax(fitted[1])] - 2.0) < 61.2 / 500 + 75.0 / 500
    assert fitted[0].min() < 1.0 and fitted[0].max() > 59.0  # the whole run, not the ring's last 10 s
    rebuilt = ColumnCache().update(rb, 0.0, 61.2, 500)
    assert rebuilt[0].min() >= 50.0  # what a rebuild from the ring shows: its last 10 s only

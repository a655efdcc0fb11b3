"""Telemetry: one module per source and platform, a sampler thread that drives them.

Public entry points (import the module you need; nothing heavy loads here):

- `app.probes.sampler.Sampler`: start/stop, set_worker_pid, drain, series,
  metric_status, record_section (the run record's telemetry and energy).
- `app.probes.inventory.build_inventory` / `format_inventory`: the machine's
  CPU, GPUs and NPUs and, per metric, whether it can be read here and why not.
- `app.probes.registry.default_probes`: this platform's probes.
- `app.probes.power_source.power_plan_info`: the active power plan (or why it is
  unknown); the run record keeps it as host.power.plan (app.run.host).

No module here imports Qt. See docs/telemetry.md.
"""

"""ONNX Runtime engine: every EP (plugin EPs included) behind one Engine.

Opening a session = SessionOptions (graph-assignment recording, threads,
free-dimension overrides, strict mode, EP context cache) + the target's EP
(an OrtEpDevice for plugin EPs, a provider name for EPs compiled into the
wheel). Errors come back as one-line UserErrors (see ort_errors).
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from app.common.errors import ModelError, TargetError, UserError
from app.common.targets import Target
from app.engines import (
    ort_compat,
    ort_compile,
    ort_discovery,
    ort_errors,
    ort_facts,
    ort_policy,
    ort_profile,
    ort_requests,
    static_inputs,
)
from app.engines.base import Engine, EngineSession, Placement, RawProfile, SessionFacts, SessionSettings
from app.engines.ort_options import CPU, DML, QNN, QNN_SOC, merge_options, precision
from app.engines.requests import RequestPool

ENGINE = "onnxruntime"
CUDA_LIKE = ("CUDAExecutionProvider", "TensorrtExecutionProvider", "NvTensorRTRTXExecutionProvider")


class OrtSession(EngineSession):
    """An open InferenceSession plus what was learned while opening it."""

    def __init__(self, sess: ort.InferenceSession, target: Target, facts: SessionFacts,
                 placement: Placement | None, model_path: str = "", settings: SessionSettings | None = None) -> None:
        self.sess = sess
        self.target = target
        self.facts = facts
        self.placement = placement
        self.model_path = model_path
        self.settings = settings or SessionSettings()
        self._outputs = [o.name for o in sess.get_outputs()]
        self._keepalive: list[Any] = []  # OrtValues that bound numpy memory must outlive the binding
        self.options: dict[str, str] = {}  # the EP options the session was created with
        self.requests_source = ""  # throughput mode: where the request count came from (ort_requests)

    def output_names(self) -> list[str]:
        return list(self._outputs)

    def run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        try:
            return [np.asarray(out) for out in self.sess.run(None, feeds)]
        except Exception as exc:  # noqa: BLE001 - an allocation failure is re-typed, a size failure explained
            oom = ort_errors.out_of_memory(exc)
            if oom is not None:
                raise oom from None
            shapes = {name: list(array.shape) for name, array in feeds.items()}
            explained = ort_errors.run_error(exc, self.model_path, shapes, self.settings.guessed_dims)
            if explained is None:
                raise
            raise explained from None

    def data_runner(self) -> Callable[[dict[str, np.ndarray]], Any]:
        return functools.partial(self.sess.run, None)  # tensor outputs come back as numpy arrays already

    def make_runner(self, feeds: dict[str, np.ndarray], io_binding: bool = False) -> Callable[[], Any]:
        if not io_binding:
            return functools.partial(self.sess.run, None, feeds)
        try:
            binding = self._bind(feeds, *self._io_device())
        except Exception:  # noqa: BLE001 - this ORT build cannot place OrtValues on that device
            self.facts.notes.append("io_binding fell back to CPU-memory buffers")
            binding = self._bind(feeds, "cpu", 0)
        runner = functools.partial(self.sess.run_with_iobinding, binding)
        runner.fetch_outputs = binding.copy_outputs_to_cpu  # type: ignore[attr-defined]
        return runner

    def _bind(self, feeds: dict[str, np.ndarray], device: str, device_id: int) -> Any:
        """Inputs bound once; outputs bound to buffers allocated by one warm run, then reused."""
        binding = self.sess.io_binding()
        for name, array in feeds.items():
            value = ort.OrtValue.ortvalue_from_numpy(np.require(array, requirements="C"), device, device_id)
            self._keepalive.append(value)
            binding.bind_ortvalue_input(name, value)
        for name in self._outputs:
            binding.bind_output(name, device, device_id)
        self.sess.run_with_iobinding(binding)
        for name, value in zip(self._outputs, binding.get_outputs(), strict=True):
            self._keepalive.append(value)
            binding.bind_ortvalue_output(name, value)
        return binding

    def request_pool(self, feeds: dict[str, np.ndarray], io_binding: bool = False) -> RequestPool:
        return ort_requests.request_pool(self, feeds, io_binding)

    def _io_device(self) -> tuple[str, int]:
        provider = self.target.provider
        device_id = int(self.target.default_options.get("device_id",
                                                        self.target.details.get("ep_device_ordinal", "0")))
        if provider in CUDA_LIKE:
            return "cuda", device_id
        if provider == DML:
            return "dml", device_id
        return "cpu", 0  # CPU-memory EPs: CPU, QNN (HTP shares host memory), OpenVINO

    def end_profile(self) -> RawProfile | None:
        if not self.settings.profile_dir:
            return None
        return ort_profile.end(self.sess, self.target.provider, self.options)

    def close(self) -> None:
        self._keepalive.clear()
        self.sess = None  # type: ignore[assignment]


class OnnxRuntimeEngine(Engine):
    name = ENGINE

    def discover(self) -> list[Target]:
        return ort_discovery.discover(ort)

    def open(self, model_path: str, target: Target, settings: SessionSettings) -> OrtSession:
        _check_target(target)
        if not Path(model_path).is_file():
            raise ModelError(f"model file not found: {model_path}.", hint="Check the path.")
        requests_source = ""
        if settings.throughput:
            settings, requests_source = ort_requests.throughput_settings(target, settings)
        options = _options(target, settings)
        notes: list[str] = []
        compiled = ort_compile.read_compiled(model_path)
        if compiled is not None:  # an EP context compiled ahead: check it can load here, never re-cache it
            notes += ort_compile.check_loadable(compiled, model_path, target, isolated=not ort_compat.safe_in_process())
        plan = None if compiled else ort_facts.plan_cache(model_path, target, options, settings)
        options = ort_profile.ep_options(target.provider, options, settings)  # after the cache key
        fixed = None if compiled else _fixed_copy(model_path, target, settings)
        t0 = time.perf_counter()
        sess = self._create_cached(model_path, target, options, settings, plan, notes, fixed)
        load_s = time.perf_counter() - t0
        session = _session(sess, target, options, settings, plan, notes, model_path)
        if fixed is not None:  # unnamed dims set in a copy of the model, so the EP sees static shapes
            session.facts.effective_options["fixed_input_dims"] = ", ".join(fixed[1])
        if compiled is not None:
            compiled.load_s, session.facts.compiled, session.facts.cache = load_s, compiled, "hit"
        session.options = options
        session.requests_source = requests_source
        return session

    def _create_cached(self, model_path: str, target: Target, options: dict[str, str], settings: SessionSettings,
                       plan: ort_facts.CachePlan | None, notes: list[str],
                       fixed: tuple[bytes, list[str]] | None) -> ort.InferenceSession:
        if plan is None or plan.state == "miss":
            return self._create(model_path, target, options, settings, plan, fixed)
        try:
            return self._create(str(plan.context_path), target, options, settings, plan, None)
        except UserError:
            # A context compiled by another EP/driver version: rebuild it once.
            plan.forget()
            notes.append("the cached EP context could not be loaded; it was rebuilt")
            return self._create(model_path, target, options, settings, plan, fixed)

    def _create(self, path: str, target: Target, options: dict[str, str], settings: SessionSettings,
                plan: ort_facts.CachePlan | None, fixed: tuple[bytes, list[str]] | None) -> ort.InferenceSession:
        strict = settings.strict and target.provider != CPU
        try:
            return _new_session(path, target, options, settings, plan, strict, fixed)
        except UserError:
            raise
        except Exception as exc:  # noqa: BLE001 - every ORT failure becomes one line
            oom = ort_errors.out_of_memory(exc)
            if oom is not None:  # a runtime failure, not bad input: the record is kept, exit 1
                raise oom from None
            if strict and ort_errors.is_strict_rejection(str(exc)):
                count = _cpu_node_count(path, target, options, settings, fixed)
                raise ort_errors.strict_error(target.provider, count) from None
            raise ort_errors.translate(exc, target.provider, path, options=options,
                                       static=_all_static(path, settings), shapes=settings.input_shapes,
                                       guessed=settings.guessed_dims) from None


def compile_options(target: Target, settings: SessionSettings) -> ort.SessionOptions:
    """SessionOptions that carry the target's EP themselves (ModelCompiler takes no providers list)."""
    so = _session_options(target, settings, None, strict=False)
    for provider in add_providers(so, target, _options(target, settings)) or []:
        name, options = provider if isinstance(provider, tuple) else (provider, {})
        so.add_provider(name, options)
    return so


def _options(target: Target, settings: SessionSettings) -> dict[str, str]:
    if ort_policy.is_policy(target):
        return ort_policy.merge_policy_options(target, settings.ep_options)
    return merge_options(target, settings.ep_options)


def _check_target(target: Target) -> None:
    if target.engine != ENGINE:
        raise TargetError(f"target {target.id} belongs to the {target.engine} engine, not onnxruntime.")
    if not target.ready:
        raise TargetError(f"target {target.id} is not available here: {target.reason}.", hint=target.fix)


def _session_options(target: Target, settings: SessionSettings, plan: ort_facts.CachePlan | None,
                     strict: bool) -> ort.SessionOptions:
    so = ort.SessionOptions()
    so.log_severity_level = 3  # errors only: EP warnings would flood the worker's stderr
    so.add_session_config_entry("session.record_ep_graph_assignment_info", "1")
    if settings.threads:
        so.intra_op_num_threads = int(settings.threads)
    for dim, value in settings.dim_overrides.items():
        so.add_free_dimension_override_by_name(dim, int(value))
    if strict:
        so.add_session_config_entry("session.disable_cpu_ep_fallback", "1")
    ort_profile.enable(so, settings)
    if plan is not None and plan.state == "miss":
        so.add_session_config_entry("ep.context_enable", "1")
        so.add_session_config_entry("ep.context_file_path", str(plan.context_path))
        so.add_session_config_entry("ep.context_embed_mode", "0")
    return so


def _new_session(path: str, target: Target, options: dict[str, str], settings: SessionSettings,
                 plan: ort_facts.CachePlan | None, strict: bool,
                 fixed: tuple[bytes, list[str]] | None = None) -> ort.InferenceSession:
    so = _session_options(target, settings, plan, strict)
    if fixed is not None:  # a static-shape copy in memory: its external data stays in the model's folder
        so.add_session_config_entry(static_inputs.EXTERNAL_FOLDER, static_inputs.model_folder(path))
        return _create_session(fixed[0], so, target, options)
    with _model_source(path, so) as source:
        return _create_session(source, so, target, options)


def _create_session(source: str | bytes, so: ort.SessionOptions, target: Target,
                    options: dict[str, str]) -> ort.InferenceSession:
    providers = add_providers(so, target, options)
    ort_compat.session_opened()
    return ort.InferenceSession(source, sess_options=so, providers=providers)


def add_providers(so: ort.SessionOptions, target: Target, options: dict[str, str]) -> list[Any] | None:
    """Put the target's EP on `so` (EP devices, a policy); or the providers list InferenceSession takes."""
    if ort_policy.is_policy(target):
        ort_policy.apply(so, ort, target, options)
        return None
    if target.provider == CPU:
        return [CPU]
    if target.details.get("selection") == "ep_device":
        so.add_provider_for_devices([_find_ep_device(target)], options)
        return None
    if target.provider not in ort.get_available_providers():
        raise TargetError(f"{target.provider} is not in this onnxruntime build.", hint=target.fix)
    # ORT appends the CPU EP itself (unless strict mode forbids it).
    return [(target.provider, options)]


def _fixed_copy(path: str, target: Target, settings: SessionSettings) -> tuple[bytes, list[str]] | None:
    """For EPs that compile static shapes only: the model with its unnamed input dims fixed (else None)."""
    if target.provider not in ort_facts.STATIC_SHAPE_EPS or not settings.input_shapes:
        return None
    try:
        return static_inputs.fixed_copy(path, settings.input_shapes)
    except Exception:  # noqa: BLE001 - unreadable here: ORT reports the real problem when it loads the file
        return None


def _all_static(path: str, settings: SessionSettings) -> bool | None:
    """Whether every input dim had a size when the session was created (None: the model is unreadable)."""
    import onnx  # noqa: PLC0415 - error path only

    from app.model.inputs import model_inputs  # noqa: PLC0415

    try:
        specs = model_inputs(onnx.load(path, load_external_data=False))
    except Exception:  # noqa: BLE001
        return None
    return all(s.name in settings.input_shapes or (s.shape is not None and all(
        isinstance(d, int) or d in settings.dim_overrides for d in s.shape)) for s in specs)


def is_utf8(text: str) -> bool:
    """False for a POSIX name in another encoding (Python keeps its bytes as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@contextlib.contextmanager
def _model_source(path: str, so: ort.SessionOptions) -> Iterator[str | bytes]:
    """What InferenceSession is given for the model at `path`.

    ORT's Python binding takes only UTF-8 text as a path ("incompatible constructor
    arguments" otherwise). A file named in another encoding is opened by Python
    instead and handed over as bytes; its external data is found through the model's
    folder, named in UTF-8, or on Linux through /proc/self/fd when the folder's own
    name is not UTF-8 either.
    """
    if is_utf8(path):
        yield path
        return
    folder = os.path.dirname(os.path.abspath(path))
    folder_fd = None
    if is_utf8(folder):
        so.add_session_config_entry(static_inputs.EXTERNAL_FOLDER, folder)
    elif os.path.isdir("/proc/self/fd"):
        folder_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        so.add_session_config_entry(static_inputs.EXTERNAL_FOLDER, f"/proc/self/fd/{folder_fd}")
    else:
        raise ModelError(f"{path!r}: the model's folder name is not valid UTF-8, which ONNX Runtime cannot open.",
                         hint="Rename the folder (or copy the model into a folder with a plain name).")
    try:
        with open(path, "rb") as f:
            yield f.read()
    finally:
        if folder_fd is not None:
            os.close(folder_fd)


def _find_ep_device(target: Target) -> Any:
    """The OrtEpDevice a target names, re-found in this process (the worker's discovery may differ)."""
    ort_discovery.plugin_packages(ort)
    details = target.details
    ep_name = details.get("ep_name", target.provider)
    library = details.get("ep.library_path")  # two packages may bring the same EP (onnxruntime-qnn, Windows ML)
    candidates = [d for d in ort.get_ep_devices() if d.ep_name == ep_name and d.device.type.name == target.device_type
                  and (not library or dict(d.ep_metadata).get("library_path", library) == library)]
    ordinal = int(details.get("ep_device_ordinal", "0"))
    if ordinal >= len(candidates):
        raise TargetError(f"{ep_name} no longer offers the {target.device_type} device of {target.id}.",
                          hint="Rerun target discovery (aipcprof devices).")
    device = candidates[ordinal]
    expected = details.get("vendor_id"), details.get("device_id")
    found = f"0x{int(device.device.vendor_id):04x}", f"0x{int(device.device.device_id):04x}"
    if None not in expected and expected != found:
        raise TargetError(f"the devices behind {target.id} changed since discovery.",
                          hint="Rerun target discovery (aipcprof devices).")
    return device


def _cpu_node_count(path: str, target: Target, options: dict[str, str], settings: SessionSettings,
                    fixed: tuple[bytes, list[str]] | None) -> int | None:
    """How many nodes a strict session refused, learned from a non-strict one (error path only)."""
    try:
        sess = _new_session(path, target, options, settings, None, strict=False, fixed=fixed)
    except Exception:  # noqa: BLE001 - the count is a nicety
        return None
    placement = ort_facts.assignment(sess, target.provider).placement
    if placement is None:
        return None
    return placement.total_nodes - placement.accelerator_nodes


def _session(sess: ort.InferenceSession, target: Target, options: dict[str, str], settings: SessionSettings,
             plan: ort_facts.CachePlan | None, notes: list[str], model_path: str) -> OrtSession:
    chosen, ep_options = target, options
    if ort_policy.is_policy(target):  # judged as the EP the policy put first
        chosen = ort_policy.resolved_target(target, list(sess.get_providers()))
        ep_options = ort_policy.options_for_ep(options, chosen.provider)
    found = ort_facts.assignment(sess, chosen.provider)
    placement = found.placement
    if plan is not None and plan.state == "hit":
        placement = plan.load_placement() or placement
    elif plan is not None:
        plan.save_placement(placement)
    on_accelerator = placement is None or placement.accelerator_nodes > 0
    input_types = [i.type for i in sess.get_inputs()]
    facts = SessionFacts(
        providers=list(sess.get_providers()),
        precision=precision(chosen.provider, chosen.device_type, ep_options, found.op_types, input_types,
                            on_accelerator, settings.quant_label),
        cache=plan.state if plan is not None else "n/a",
        effective_options=_effective_options(options, settings, target, plan),
        notes=_notes(chosen, ep_options, settings, sess, placement, plan) + notes,
    )
    if chosen is not target:
        facts.policy = ort_policy.choice(target, facts.providers, placement)
    return OrtSession(sess, chosen, facts, placement, model_path, settings)


def _effective_options(options: dict[str, str], settings: SessionSettings, target: Target,
                       plan: ort_facts.CachePlan | None) -> dict[str, str]:
    effective = dict(options)
    if settings.strict and target.provider != CPU:
        effective["session.disable_cpu_ep_fallback"] = "1"
    if settings.threads:
        effective["intra_op_num_threads"] = str(settings.threads)
    effective.update({f"free_dim.{k}": str(v) for k, v in settings.dim_overrides.items()})
    if plan is not None:
        effective["ep.context_file_path"] = str(plan.context_path)
    return effective


def _notes(target: Target, options: dict[str, str], settings: SessionSettings, sess: ort.InferenceSession,
           placement: Placement | None, plan: ort_facts.CachePlan | None) -> list[str]:
    notes = [target.reason] if target.emulated and target.reason else []
    soc = options.get(QNN_SOC)
    if target.provider == QNN and target.emulated and soc and soc == target.default_options.get(QNN_SOC):
        notes.append(f"the HTP emulator stands for soc_model {soc} ({target.details.get('qnn_soc', '?')}); "
                     f"set the EP option soc_model for another SoC")
    if settings.strict and target.provider == CPU:
        notes.append("--strict has no effect on the CPU EP")
    notes += ort_facts.placement_notes(target, options, placement)
    notes += ort_facts.dynamic_note(target, ort_facts.dynamic_dims(sess))
    if settings.cache_dir and plan is None:
        notes.append(f"cache_dir is used by the QNN and OpenVINO EPs only; {target.id} compiles every time")
    elif plan is not None and plan.state == "miss" and not plan.context_path.exists():
        notes.append("the EP wrote no context model (nothing compiled for it), so nothing was cached")
    return notes

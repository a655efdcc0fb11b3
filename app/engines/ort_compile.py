"""Compiled (EP-context) models: `aipcprof compile` and what `run` learns from one.

`onnxruntime.ModelCompiler` turns a model into one whose EPContext nodes hold what
an EP compiled (a QNN context binary, an OpenVINO blob), in the model (embed) or in
a file beside it. Loading such a model skips the EP's compile: a cache hit. The
compile command measures the uncompiled and the compiled model's session creation
and stamps both, with the compile time, into the compiled model's metadata
(`aipcprof.compile.*`), so a later run can say what loading compiled saved.
Before a compiled model is loaded, the EP it was compiled for and ONNX Runtime's
compatibility check (`get_model_compatibility_for_ep_devices`) say whether it can
load here, and why not.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from app.common.errors import ModelError, TargetError, UserError
from app.common.targets import Target
from app.engines import ort_compat
from app.engines.base import CompiledModel, SessionSettings
from app.engines.ort_errors import clean
from app.engines.ort_options import CPU

EP_CONTEXT = "EPContext"
META = "aipcprof.compile."
COMPAT_META = "ep_compatibility_info."


@dataclass
class CompileResult:
    """What `aipcprof compile` did and measured (seconds)."""

    model: str
    out: str
    target: str
    eps: list[str]
    embed: bool
    compile_s: float
    uncompiled_load_s: float
    compiled_load_s: float
    files: list[str] = field(default_factory=list)  # the compiled model and any context binaries beside it
    compatibility_info: dict[str, str] = field(default_factory=dict)  # EP -> ORT compatibility string

    @property
    def saved_s(self) -> float:
        return self.uncompiled_load_s - self.compiled_load_s


def read_compiled(path: str) -> CompiledModel | None:
    """The EPContext facts of the model at `path`, or None when it is an ordinary model (or unreadable)."""
    import onnx  # noqa: PLC0415 - heavy

    try:
        model = onnx.load(path, load_external_data=False)
    except Exception:  # noqa: BLE001 - unreadable here: the session reports the real problem
        return None
    nodes = [n for n in model.graph.node if n.op_type == EP_CONTEXT]
    if not nodes:
        return None
    eps: list[str] = []
    embed: bool | None = None
    for node in nodes:
        attrs = {a.name: a for a in node.attribute}
        source = attrs["source"].s.decode("utf-8", "replace") if "source" in attrs else ""
        if source and source not in eps:
            eps.append(source)
        if "embed_mode" in attrs:
            embed = bool(attrs["embed_mode"].i)
    meta = {p.key: p.value for p in model.metadata_props}
    return CompiledModel(eps=eps, embed_mode=embed, compiled_for=meta.get(META + "target", ""),
                         compile_s=_float(meta.get(META + "compile_s")),
                         uncompiled_load_s=_float(meta.get(META + "uncompiled_load_s")),
                         compiled_load_s=_float(meta.get(META + "compiled_load_s")),
                         compiled_utc=meta.get(META + "utc", ""))


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def check_loadable(compiled: CompiledModel, path: str, target: Target, isolated: bool = True) -> list[str]:
    """TargetError when `target` cannot load this compiled model, naming why; else notes (maybe none).

    `isolated`: run ONNX Runtime's compatibility check in a child process (see ort_compat)."""
    eps = ", ".join(compiled.eps) or "an unnamed EP"
    if target.details.get("selection") != "policy" and compiled.eps and target.provider not in compiled.eps:
        raise TargetError(f"{path} is a compiled model for {eps} (EPContext nodes); target {target.id} runs "
                          f"{target.provider}, which cannot load it.",
                          hint=f"Run it on a {eps} target (`aipcprof devices`), or run the uncompiled model.")
    status, why = ort_compat.compatibility(path, compiled.eps, isolated)
    compiled.compatibility = status or f"not checked: {why}"
    if status == "EP_UNSUPPORTED":
        raise TargetError(f"{path} was compiled for other hardware or another {eps} version: ONNX Runtime's "
                          f"compatibility check says EP_UNSUPPORTED for the devices of {target.id}.",
                          hint=f"Recompile it here: aipcprof compile MODEL --target {target.id} --out NEW.onnx")
    if status == "EP_SUPPORTED_PREFER_RECOMPILATION":
        return [f"{eps} can load this compiled model but prefers it recompiled for this device/driver "
                f"(EP_SUPPORTED_PREFER_RECOMPILATION)"]
    if status == "EP_NOT_APPLICABLE":
        return [f"{eps} does not check compiled-model compatibility (EP_NOT_APPLICABLE): a model compiled "
                f"elsewhere fails only when loaded"]
    return [] if status else [f"compiled-model compatibility not checked: {why}"]


def check_compile_target(target: Target, model_path: str) -> None:
    """UserError when `target` cannot compile a model (not ONNX Runtime, the CPU EP, not ready)."""
    if target.engine != "onnxruntime":
        raise TargetError(f"target {target.id} is native {target.engine}; `compile` writes ONNX Runtime "
                          f"EP-context models.", hint="Pick an ort/... target whose EP compiles (QNN, OpenVINO EP, "
                                                      "VitisAI, TensorRT-RTX): see `aipcprof devices`.")
    if target.provider == CPU:
        raise TargetError(f"target {target.id}: the CPU EP compiles nothing, so there is no EP context to write.",
                          hint="Pick a target whose EP compiles (QNN, OpenVINO EP, VitisAI, TensorRT-RTX).")
    if not target.ready:
        raise TargetError(f"target {target.id} is not available here: {target.reason}.", hint=target.fix)
    if read_compiled(model_path) is not None:
        raise ModelError(f"{model_path} is already a compiled (EP-context) model.",
                         hint="Compile the original model instead.")


def run_compiler(ort: Any, so: Any, model_path: str, out: Path, embed: bool, target: Target) -> float:
    """Compile with ModelCompiler into `out`; the seconds it took. One-line UserError on failure."""
    flags = int(ort.OrtCompileApiFlags.ERROR_IF_NO_NODES_COMPILED)
    t0 = time.perf_counter()
    try:
        ort.ModelCompiler(so, model_path, embed_compiled_data_into_model=embed, flags=flags).compile_to_file(str(out))
    except Exception as exc:  # noqa: BLE001 - every ORT failure becomes one line
        message = clean(str(exc))
        if "no nodes" in message.lower() or "compiled" in message.lower():
            raise TargetError(f"{target.id} compiled none of {model_path}'s nodes ({message}).",
                              hint="Its EP supports none of the model's nodes: run it uncompiled instead.") from None
        raise TargetError(f"compiling {model_path} for {target.id} failed: {message}.",
                          hint="Check the EP options and the model's input sizes (--dim).") from None
    return time.perf_counter() - t0


def stamp(out: Path, target: Target, compile_s: float, uncompiled_s: float, compiled_s: float) -> dict[str, str]:
    """Write the compile facts into the compiled model's metadata (atomically); return its ORT compatibility info."""
    import onnx  # noqa: PLC0415

    model = onnx.load(str(out), load_external_data=False)
    facts = {"target": target.id, "compile_s": f"{compile_s:.6f}", "uncompiled_load_s": f"{uncompiled_s:.6f}",
             "compiled_load_s": f"{compiled_s:.6f}",
             "utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    kept = [p for p in model.metadata_props if not p.key.startswith(META)]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for key, value in facts.items():
        model.metadata_props.add(key=META + key, value=value)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    try:
        onnx.save(model, str(tmp))
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return {p.key.removeprefix(COMPAT_META): p.value for p in model.metadata_props if p.key.startswith(COMPAT_META)}


def timed(create: Any) -> float:
    t0 = time.perf_counter()
    create()
    return time.perf_counter() - t0


def context_files(out: Path) -> list[str]:
    """The compiled model and the context binaries the EP wrote beside it (named after it)."""
    return [str(out)] + sorted(str(p) for p in out.parent.glob(f"{out.stem}_*") if p.is_file())


def check_out_path(model_path: str, out: Path) -> None:
    if Path(model_path).resolve() == out.resolve():
        raise UserError(f"--out {out} is the input model.", hint="Write the compiled model to another file.")


def compile_model(model_path: str, target: Target, settings: SessionSettings, out: Path, embed: bool,
                  repeats: int = 1) -> CompileResult:
    """Compile `model_path` for `target` into `out`; measure both models' session creation (best of `repeats`).

    The compile runs first so the EP's one-time start-up (backend libraries) is paid before either load is timed."""
    import onnxruntime as ort  # noqa: PLC0415

    from app.engines.onnxruntime_engine import compile_options  # noqa: PLC0415 - it imports this module

    check_compile_target(target, model_path)
    check_out_path(model_path, out)
    ort_compat.session_opened()  # the compiler and the timed loads below create sessions in this process
    compile_s = run_compiler(ort, compile_options(target, settings), model_path, out, embed, target)

    def load(path: str) -> float:
        return min(timed(lambda: ort.InferenceSession(path, sess_options=compile_options(target, settings)))
                   for _ in range(max(1, repeats)))

    uncompiled_s, compiled_s = load(model_path), load(str(out))
    compat = stamp(out, target, compile_s, uncompiled_s, compiled_s)
    compiled = read_compiled(str(out))
    return CompileResult(model=model_path, out=str(out), target=target.id, eps=compiled.eps if compiled else [],
                         embed=embed, compile_s=compile_s, uncompiled_load_s=uncompiled_s, compiled_load_s=compiled_s,
                         files=context_files(out), compatibility_info=compat)

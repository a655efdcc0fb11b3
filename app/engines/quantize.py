"""`aipcprof quantize`: a quantised copy of a float model, made by ONNX Runtime's quantisation tools.

`quant_pre_process` (shape inference, graph optimisation), then static QDQ
(`quantize_static`, or `get_qnn_qdq_config` + `quantize` for the QNN HTP's 16-bit
activations) calibrated on the user's samples, or dynamic quantisation (no
calibration). The work runs in a child process (app/engines/child.py): the tools load
and execute the model, which may crash or hang on a hostile file. The scheme and the
calibration data are written into the output's metadata (`aipcprof.quant.*`), which the
model card shows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from app.common.errors import ModelError, UserError
from app.engines.child import child_main, progress, run_child
from app.model.calibration import Calibration, open_calibration
from app.model.inputs import IOSpec, model_inputs
from app.model.model_file import load_model

META = "aipcprof.quant."
MODULE = "app.engines.quantize"


class Scheme(str, Enum):
    """Activation/weight types: `u8s8` = uint8 activations, int8 weights (ONNX Runtime's CPU advice)."""

    U8S8 = "u8s8"
    S8S8 = "s8s8"
    U8U8 = "u8u8"
    QNN_U8U8 = "qnn-u8u8"  # get_qnn_qdq_config: the QNN HTP's overrides (8-bit)
    QNN_U16U8 = "qnn-u16u8"  # 16-bit activations, 8-bit weights: the HTP's accurate mode
    DYNAMIC = "dynamic"  # int8 weights, activations quantised per inference; no calibration

    @property
    def static(self) -> bool:
        return self is not Scheme.DYNAMIC

    @property
    def types(self) -> tuple[str, str]:
        """(activation, weight) QuantType names."""
        return {"u8s8": ("QUInt8", "QInt8"), "s8s8": ("QInt8", "QInt8"), "u8u8": ("QUInt8", "QUInt8"),
                "qnn-u8u8": ("QUInt8", "QUInt8"), "qnn-u16u8": ("QUInt16", "QUInt8"),
                "dynamic": ("QUInt8", "QInt8")}[self.value]


@dataclass
class QuantResult:
    model: str
    out: str
    scheme: str
    calibration: str  # "32 samples from DIR", "synthetic: 8 seeded random samples", "none (dynamic)"
    seconds: float
    format: str  # the model card's word: "QDQ", "QOperator"
    quantize_nodes: int
    dequantize_nodes: int
    qoperator_nodes: int


def check_quantizable(model_path: str, out: Path) -> list[IOSpec]:
    """ModelError for an already quantised model; UserError when OUT is the input. The model's inputs."""
    from app.model.model_card import quantization  # noqa: PLC0415

    if Path(model_path).resolve() == out.resolve():
        raise UserError(f"--out {out} is the input model.", hint="Write the quantised model to another file.")
    model = load_model(model_path)
    q = quantization(model)
    if q["format"] != "none":
        raise ModelError(f"{model_path} is already quantised ({q['format']}: weights "
                         f"{', '.join(q['weights']) or '?'}).", hint="Quantise the float model instead.")
    return model_inputs(model)


def quantize(model_path: str, out: Path, scheme: Scheme, calib: Calibration | None, synthetic: int = 0,
             per_channel: bool = False, on_progress=None, stop=None) -> QuantResult:
    """Quantise in a child process; `calib` (checked samples) or `synthetic` seeded samples for static schemes.
    `stop` (a threading.Event) kills the child (ChildStopped); OUT is only written at the very end."""
    request = {"model": str(model_path), "out": str(out), "scheme": scheme.value, "per_channel": per_channel,
               "calib": str(calib.folder) if calib else "", "preprocess": calib.preprocess if calib else None,
               "synthetic": synthetic}
    result = run_child(MODULE, request, f"quantising {model_path}", on_progress, stop=stop)
    return QuantResult(**result)


# --- the child's side -------------------------------------------------------------


class _Reader:
    """ONNX Runtime's CalibrationDataReader over the samples, reporting each one it hands out."""

    def __init__(self, total: int, load) -> None:
        self.total, self.load, self.i = total, load, 0

    def get_next(self) -> dict | None:
        if self.i >= self.total:
            return None
        feeds = self.load(self.i)
        self.i += 1
        progress(self.i, self.total, "calibration samples")
        return feeds

    def rewind(self) -> None:
        self.i = 0


def _reader(request: dict, specs: list[IOSpec]) -> tuple[_Reader, str]:
    if request["calib"]:
        calib = open_calibration(request["calib"], specs, request["preprocess"])
        return _Reader(len(calib), calib.load), calib.describe()
    from app.model.inputs import prepare_inputs  # noqa: PLC0415

    n = int(request["synthetic"])
    return (_Reader(n, lambda i: prepare_inputs(specs, seed=i).feeds),
            f"synthetic: {n} seeded random samples (not real data)")


def _static(src: str, dst: str, scheme: Scheme, reader: _Reader, per_channel: bool) -> None:
    from onnxruntime.quantization import QuantFormat, QuantType, quantize, quantize_static  # noqa: PLC0415

    act, weight = (getattr(QuantType, t) for t in scheme.types)
    if scheme in (Scheme.QNN_U8U8, Scheme.QNN_U16U8):
        from onnxruntime.quantization.execution_providers.qnn import get_qnn_qdq_config  # noqa: PLC0415

        config = get_qnn_qdq_config(src, reader, activation_type=act, weight_type=weight, per_channel=per_channel)
        quantize(src, dst, config)
        return
    quantize_static(src, dst, reader, quant_format=QuantFormat.QDQ, activation_type=act, weight_type=weight,
                    per_channel=per_channel)


def _job(request: dict) -> dict:
    from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic  # noqa: PLC0415

    scheme, t0 = Scheme(request["scheme"]), time.perf_counter()
    specs = check_quantizable(request["model"], Path(request["out"]))
    with tempfile.TemporaryDirectory(prefix="aipcprof-quant-") as tmp:
        pre, dst = os.path.join(tmp, "pre.onnx"), os.path.join(tmp, "quant.onnx")
        progress(0, 1, "pre-processing (shape inference, optimisation)")
        quant_pre_process(request["model"], pre, skip_symbolic_shape=True)
        if scheme.static:
            reader, calibration = _reader(request, specs)
            _static(pre, dst, scheme, reader, bool(request["per_channel"]))
        else:
            calibration = "none (dynamic: activations quantised per inference)"
            quantize_dynamic(pre, dst, weight_type=QuantType.QInt8, per_channel=bool(request["per_channel"]))
        q = _stamp(dst, scheme, calibration, bool(request["per_channel"]))
        shutil.move(dst, request["out"])
    return {"model": request["model"], "out": request["out"], "scheme": scheme.value, "calibration": calibration,
            "seconds": time.perf_counter() - t0, "format": q["format"],
            **{k: q[k] for k in ("quantize_nodes", "dequantize_nodes", "qoperator_nodes")}}


def _stamp(path: str, scheme: Scheme, calibration: str, per_channel: bool) -> dict:
    import onnx  # noqa: PLC0415
    import onnxruntime  # noqa: PLC0415

    from app.model.model_card import quantization  # noqa: PLC0415

    model = onnx.load(path)
    act, weight = scheme.types
    facts = {"scheme": scheme.value, "activations": act, "weights": weight, "calibration": calibration,
             "per_channel": str(per_channel).lower(), "tool": f"onnxruntime {onnxruntime.__version__}"}
    for key, value in facts.items():
        model.metadata_props.add(key=META + key, value=value)
    onnx.save(model, path)
    return quantization(model)


if __name__ == "__main__":
    raise SystemExit(child_main(_job))

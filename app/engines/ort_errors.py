"""Turn ONNX Runtime's multi-line exceptions into one-line UserErrors.

ORT messages look like `[ONNXRuntimeError] : 11 : EP_FAIL : Failed to
finalize QNN graph. Error: QNN_COMMON_ERROR_MEM_ALLOC: ...`; the user needs
the cause and what to try, not the status code.
"""

from __future__ import annotations

import re

from app.common.errors import InputSpecError, ModelError, UserError

_PREFIX = re.compile(r"^\s*\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*[A-Z_]+\s*:\s*")
_CUSTOM_OP = re.compile(r"(?:Fatal error:\s*)?([\w.\-]*):(\w+)\(-?\d+\) is not a registered function/op")
_NO_KERNEL = re.compile(r"Could not find an implementation for (\w+)\((\d+)\) node with name '([^']*)'")
_QNN_ERROR = re.compile(r"\b(QNN_[A-Z0-9_]+)\b")
_BAD_KEY = re.compile(r"(?:Invalid provider_option key|Unknown provider option|Unknown option)[:\s]+'?([\w.\-]+)'?",
                      re.IGNORECASE)

STRICT_REJECTION = "fallback to CPU EP has been explicitly disabled"
# ORT reports an allocation failure as a plain Fail/RuntimeException, not as MemoryError.
_OUT_OF_MEMORY = re.compile(r"Failed to allocate memory|bad_alloc|bad allocation", re.IGNORECASE)


def out_of_memory(error: BaseException) -> MemoryError | None:
    """`error` as the MemoryError it is (ErrorKind.OUT_OF_MEMORY: a runtime failure, exit 1), or None.

    Without this an allocation failure while creating the session became a UserError,
    i.e. "bad input": exit 2 and no record."""
    if isinstance(error, MemoryError):
        return error
    if _OUT_OF_MEMORY.search(str(error)):
        return MemoryError(clean(str(error)))
    return None


FP16_WITHOUT_SOC = "FP16 precision mode is enabled but soc_model is not specified"
_SHAPE_FAILURE = re.compile(r"ShapeInferenceError|Invalid input shape|shape mismatch|must match|"
                            r"[Ii]ncompatible dimensions|Got invalid dimensions|cannot be reshaped|broadcast")


def clean(message: str, limit: int = 240) -> str:
    """The first meaningful line of an ORT message, without the status prefix."""
    text = _PREFIX.sub("", str(message).strip())
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def is_strict_rejection(message: str) -> bool:
    return STRICT_REJECTION in str(message)


def strict_error(provider: str, cpu_nodes: int | None) -> UserError:
    short = provider.removesuffix("ExecutionProvider")
    if cpu_nodes:
        count = f"{cpu_nodes} node{'s' if cpu_nodes > 1 else ''} cannot"
    else:
        count = "some nodes cannot"
    return UserError(f"strict mode: {count} run on {short} and CPU fallback is disabled;",
                     hint="drop --strict to allow fallback.")


def explain_shapes(raw: str, model_path: str, shapes: dict[str, list[int]],
                   guessed: dict[str, list[int]], generic: bool = True) -> InputSpecError | None:
    """An error that follows from the input sizes, named by the input dim to change (None otherwise)."""
    import onnx  # noqa: PLC0415 - error path only

    from app.model.inputs import model_inputs  # noqa: PLC0415
    from app.model.shape_explain import explain  # noqa: PLC0415

    try:
        model = onnx.load(model_path, load_external_data=False)
    except Exception:  # noqa: BLE001 - the explanation is a nicety; the raw error still gets out
        return None
    problem = explain(model, model_inputs(model), shapes, guessed, raw, generic=generic)
    return None if problem is None else InputSpecError(problem.message, hint=problem.hint)


def run_error(error: BaseException, model_path: str, shapes: dict[str, list[int]],
              guessed: dict[str, list[int]]) -> UserError | None:
    """A UserError for an inference that failed because of the input sizes, else None (a real failure)."""
    raw = str(error)
    explained = explain_shapes(raw, model_path, shapes, guessed)
    if explained is None and _SHAPE_FAILURE.search(raw):
        return UserError(f"ONNX Runtime rejected the input sizes: {clean(raw)}",
                         hint="Check the input sizes against what the model expects.")
    return explained


def _qnn_hint(code: str, options: dict[str, str] | None, static: bool | None) -> str:
    """What to try after a QNN compile failure; words shared by the CLI and the app."""
    options = options or {}
    tries = []
    if code == "QNN_COMMON_ERROR_MEM_ALLOC":
        if options.get("enable_htp_fp16_precision") != "1":
            tries.append("run float graphs in fp16 (EP options enable_htp_fp16_precision=1 and soc_model, "
                         "e.g. 60)")
        tries.append("use smaller input sizes")
    if static is False:
        tries.append("give every input dim a fixed size (static shapes)")
    tries += ["use a QDQ-quantised model", "try another target"]
    text = ", ".join(tries[:-1]) + f" or {tries[-1]}"
    return text[0].upper() + text[1:] + "."


def translate(error: BaseException, provider: str, model_path: str, *, options: dict[str, str] | None = None,
              static: bool | None = None, shapes: dict[str, list[int]] | None = None,
              guessed: dict[str, list[int]] | None = None) -> UserError:
    """A one-line UserError (or ModelError) for an exception raised while creating a session.

    `static`: whether every input had a fixed size (None: not known); `shapes`/`guessed`: the run's
    input sizes, to explain a failure that comes from them.
    """
    raw = str(error)
    # A kernel wider than its input breaks compilers in many ways (QNN: "was not selected by that EP"):
    # that check runs for any failure; blaming the sizes for other failures needs a shape-like message.
    if shapes and (explained := explain_shapes(raw, model_path, shapes, guessed or {},
                                               generic=bool(_SHAPE_FAILURE.search(raw)))):
        return explained
    if FP16_WITHOUT_SOC in raw:
        return UserError("QNN: enable_htp_fp16_precision=1 needs a soc_model as well.",
                         hint="Set the EP option soc_model too (60 is Snapdragon X Elite), or "
                              "enable_htp_fp16_precision=0.")
    if match := _CUSTOM_OP.search(raw):
        domain, op = match.group(1) or "ai.onnx", match.group(2)
        return UserError(f"op {op} (domain {domain}) is not implemented by ONNX Runtime here.",
                         hint="Register its custom-op library or export the model with standard ONNX ops.")
    if match := _NO_KERNEL.search(raw):
        return UserError(f"ONNX Runtime has no kernel for {match.group(1)} (opset {match.group(2)}) "
                         f"node '{match.group(3)}' on this target.",
                         hint="Try another target or re-export the model with a supported opset.")
    if "QNN" in raw and ("finalize" in raw.lower() or "compose" in raw.lower() or "QNN_" in raw):
        code = _QNN_ERROR.search(raw)
        return UserError(f"QNN could not compile the graph: {code.group(1) if code else clean(raw)}.",
                         hint=_qnn_hint(code.group(1) if code else "", options, static))
    if match := _BAD_KEY.search(raw):
        return UserError(f"--ep-option {match.group(1)} is not an option of {provider}.",
                         hint="Check the EP's documentation for its provider options.")
    if "NO_SUCHFILE" in raw or "File doesn't exist" in raw:
        return ModelError(f"model file not found: {model_path}.", hint="Check the path.")
    if "INVALID_PROTOBUF" in raw or "Protobuf parsing failed" in raw:
        return ModelError(f"{model_path} is not a readable ONNX model (protobuf parsing failed).",
                          hint="Re-export or re-download the model.")
    return UserError(f"ONNX Runtime could not create the session on {provider}: {clean(raw)}")

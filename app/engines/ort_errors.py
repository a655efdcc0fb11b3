"""Turn ONNX Runtime's multi-line exceptions into one-line UserErrors.

ORT messages look like `[ONNXRuntimeError] : 11 : EP_FAIL : Failed to
finalize QNN graph. Error: QNN_COMMON_ERROR_MEM_ALLOC: ...`; the user needs
the cause and what to try, not the status code.
"""

from __future__ import annotations

import re

from app.common.errors import ModelError, UserError

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


def translate(error: BaseException, provider: str, model_path: str) -> UserError:
    """A one-line UserError (or ModelError) for an exception raised while creating a session."""
    raw = str(error)
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
                         hint="Try --dim for static shapes, a QDQ-quantised model, or another target.")
    if match := _BAD_KEY.search(raw):
        return UserError(f"--ep-option {match.group(1)} is not an option of {provider}.",
                         hint="Check the EP's documentation for its provider options.")
    if "NO_SUCHFILE" in raw or "File doesn't exist" in raw:
        return ModelError(f"model file not found: {model_path}.", hint="Check the path.")
    if "INVALID_PROTOBUF" in raw or "Protobuf parsing failed" in raw:
        return ModelError(f"{model_path} is not a readable ONNX model (protobuf parsing failed).",
                          hint="Re-export or re-download the model.")
    return UserError(f"ONNX Runtime could not create the session on {provider}: {clean(raw)}")

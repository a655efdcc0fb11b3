"""Model files are untrusted input: check, parse and walk them safely.

`load_model` parses the protobuf (never the external weights) and validates
every external-data reference: the location must stay inside the model's
folder (no absolute path, no `..`, no symlink out of it), the file must exist
and be large enough. The context binary an EPContext node names (embed_mode=0)
is held to the same rules, since the runtime opens it relative to the model.
A reference that escapes the folder is refused without ever being opened.
Every problem is a one-line `ModelError`.
"""

from __future__ import annotations

import hashlib
import math
import mmap
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import AttributeProto, TensorProto, helper

from app.common.errors import ModelError

PROTOBUF_LIMIT = 2**31 - 1  # a single protobuf message cannot be larger
STANDARD_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training"})
# ONNX Runtime's own (contrib) domains: known, but only ORT implements them.
ORT_DOMAINS = frozenset({"com.microsoft", "com.microsoft.nchwc", "com.microsoft.experimental",
                         "com.ms.internal.nhwc"})
_EXPORT_HINT = "Pick the .onnx model file (export one with torch.onnx.export, or download the .onnx itself)."

_EXTRACT = "Extract it and pick the .onnx inside."
_NOT_MODELS = {b"\x89PNG\r\n\x1a\n": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
               b"%PDF": "a PDF document", b"\x7fELF": "an ELF executable", b"MZ": "a Windows executable or DLL",
               b"\xcf\xfa\xed\xfe": "a Mach-O executable"}
_ARCHIVES = {b"\x1f\x8b": "gzip", b"7z\xbc\xaf\x27\x1c": "7-Zip", b"\xfd7zXZ\x00": "xz",
             b"\x28\xb5\x2f\xfd": "zstd", b"Rar!": "RAR"}
# (offset, magic bytes, what the file really is, how to get an ONNX model from it)
_MAGIC = (
    *((0, magic, what, _EXPORT_HINT) for magic, what in _NOT_MODELS.items()),
    *((0, magic, f"a {kind} archive", _EXTRACT) for magic, kind in _ARCHIVES.items()),
    (257, b"ustar", "a tar archive", _EXTRACT),
    (0, b"PK\x03\x04", "a zip archive (PyTorch .pt checkpoints and zipped downloads look like this)",
     "Unzip it and pick the .onnx inside, or export the PyTorch model with torch.onnx.export."),
    (0, b"\x89HDF\r\n\x1a\n", "an HDF5 file (a Keras .h5 model?)", "Convert it to ONNX with tf2onnx."),
    (4, b"TFL3", "a TensorFlow Lite model", "Convert it to ONNX with tf2onnx."),
    (4, b"ORTM", "an ONNX Runtime .ort model", "Use the original .onnx file this .ort was converted from."),
    (0, b"GGUF", "a GGUF model (llama.cpp)", "Use an ONNX export of the model instead."),
    (0, b"\x93NUMPY", "a NumPy .npy array", "Pass arrays with --input NAME=FILE.npy; pick the .onnx model here."),
)


def _fail(path: Path, problem: str, hint: str) -> ModelError:
    return ModelError(f"{path}: {problem}.", hint=hint)


def _sniff(head: bytes) -> tuple[str, str] | None:
    """What a file that is not ONNX really is, from its first bytes."""
    for offset, magic, what, hint in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return what, hint
    if len(head) > 8 and head[8:10] == b'{"' and int.from_bytes(head[:8], "little") < 100_000_000:
        return "a safetensors weights file", "Export the model to ONNX (e.g. with optimum-cli export onnx)."
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle (a PyTorch checkpoint?)", "Export the model with torch.onnx.export."
    return _sniff_text(head)


def _sniff_text(head: bytes) -> tuple[str, str] | None:
    text = head.decode("utf-8", errors="ignore")[:-1]  # the head may end inside a character
    if "\ufffd" in head.decode("utf-8", errors="replace")[:-2] or not text.strip() or not all(c.isprintable() or c in "\r\n\t" for c in text):
        return None
    low = text.lstrip().lower()
    if low.startswith("version https://git-lfs"):
        return ("a Git LFS pointer (the model itself was never downloaded)",
                "Run `git lfs pull` in the repository (or download the file directly).")
    if low.startswith(("<!doctype html", "<html")):
        return ("an HTML web page (a download page saved instead of the model?)",
                "Download the raw .onnx file (on Hugging Face: the 'resolve' link, not 'blob').")
    if low.startswith("<?xml") and "<net" in low:
        return "an OpenVINO IR .xml file", "Pick the original .onnx model."
    return f"a text file (starts with {text.strip().splitlines()[0][:40]!r})", _EXPORT_HINT


def check_model_file(path: str | os.PathLike) -> Path:
    """The path of a regular, non-empty file that does not look like something else."""
    p = Path(path)
    if not p.exists():
        raise _fail(p, "no such model file", "Check the path (drag the .onnx onto the window or pass its full path).")
    if p.is_dir():
        raise _fail(p, "is a folder, not a model file", "Pass the .onnx file inside it.")
    if not p.is_file():
        raise _fail(p, "is not a regular file", "Pass a .onnx model file.")
    size = p.stat().st_size
    if size == 0:
        raise _fail(p, "is empty (0 bytes)", "The download or export did not finish; get the model again.")
    if size > PROTOBUF_LIMIT:
        raise _fail(p, f"is {size / 2**30:.1f} GiB, over the 2 GiB protobuf limit",
                    "Re-save it with external data (onnx.save_model(..., save_as_external_data=True)).")
    try:
        with open(p, "rb") as f:
            head = f.read(512)
    except OSError as e:
        raise _fail(p, f"cannot be read ({e.__class__.__name__})", "Check the file's permissions.") from None
    found = _sniff(head)
    if found:
        raise _fail(p, f"is {found[0]}, not an ONNX model", found[1])
    return p


def _parse(p: Path) -> onnx.ModelProto:
    """Parse from a read-only memory map: no second copy of a large file."""
    model = onnx.ModelProto()
    with open(p, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        view = memoryview(mm)
        try:
            model.ParseFromString(view)
        except TypeError:  # a protobuf backend that wants bytes
            model.ParseFromString(bytes(view))
        finally:
            view.release()
    return model


def _varint(buf, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(buf):
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
    return -1, pos  # ran off the end


def _damage(p: Path) -> str:
    """Why a parse failed: 'truncated' / 'corrupted' ModelProto, or 'foreign' (not one at all)."""
    kinds = {f.number: 2 if f.type in (f.TYPE_MESSAGE, f.TYPE_STRING, f.TYPE_BYTES) else 0
             for f in onnx.ModelProto.DESCRIPTOR.fields}
    with open(p, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        pos, n = 0, len(buf)
        while pos < n:  # walk the top-level fields only: a handful, whatever the file size
            tag, pos = _varint(buf, pos)
            if tag < 0 or kinds.get(tag >> 3) != tag & 7:
                return "foreign" if pos <= 16 else "corrupted"
            size, pos = _varint(buf, pos)
            if size < 0 or (tag & 7 == 2 and pos + size > n):
                return "truncated"
            pos += size if tag & 7 == 2 else 0
    return "corrupted"


def load_model(path: str | os.PathLike, *, load_weights: bool = False) -> onnx.ModelProto:
    """Parse a model without its external weights, after checking every external reference."""
    p = check_model_file(path)
    try:
        model = _parse(p)
    except DecodeError:
        damage = _damage(p)
        if damage == "foreign":
            raise _fail(p, "is not an ONNX model (not a protobuf ModelProto)", _EXPORT_HINT) from None
        raise _fail(p, f"is {damage} (the ONNX protobuf does not parse)",
                    "The download or export did not finish or the file was damaged; get the model again.") from None
    if not model.HasField("graph") or model.ir_version <= 0:
        raise _fail(p, "is not an ONNX model (no graph or ir_version)", _EXPORT_HINT)
    if not model.opset_import:
        raise _fail(p, "has no opset_import (the file is probably truncated)",
                    "The download or export did not finish; get the model again.")
    refs = external_refs(model, p)
    check_external_files(refs, p)
    check_ep_context_files(model, p)
    if load_weights and refs:
        onnx.external_data_helper.load_external_data_for_model(model, str(Path(os.path.abspath(p)).parent))
    return model


# --- walking the model ----------------------------------------------------


def iter_graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    """The graph and every subgraph (If/Loop/Scan bodies), depth first."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == AttributeProto.GRAPH:
                yield from iter_graphs(attr.g)
            elif attr.type == AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from iter_graphs(g)


def iter_nodes(model: onnx.ModelProto) -> Iterator[onnx.NodeProto]:
    """Every node: main graph, subgraphs and model-local function bodies."""
    for g in iter_graphs(model.graph):
        yield from g.node
    for fn in model.functions:
        yield from fn.node


def _node_tensors(node: onnx.NodeProto) -> Iterator[TensorProto]:
    for attr in node.attribute:
        if attr.type == AttributeProto.TENSOR:
            yield attr.t
        elif attr.type == AttributeProto.TENSORS:
            yield from attr.tensors
        elif attr.type == AttributeProto.SPARSE_TENSOR:
            yield from (attr.sparse_tensor.values, attr.sparse_tensor.indices)


def iter_tensors(model: onnx.ModelProto) -> Iterator[TensorProto]:
    """Every stored tensor: initializers, sparse initializers, Constant values."""
    for g in iter_graphs(model.graph):
        yield from g.initializer
        for sp in g.sparse_initializer:
            yield from (sp.values, sp.indices)
        for node in g.node:
            yield from _node_tensors(node)
    for fn in model.functions:
        for node in fn.node:
            yield from _node_tensors(node)


_SUB_BYTE_BITS = {"UINT4": 4, "INT4": 4, "FLOAT4E2M1": 4, "UINT2": 2, "INT2": 2}  # packed in raw data


def element_bits(data_type: int) -> int | None:
    """Bits one element takes in storage; None for strings and unknown types."""
    if data_type in (TensorProto.STRING, TensorProto.UNDEFINED):
        return None
    try:
        name = TensorProto.DataType.Name(data_type)
        return _SUB_BYTE_BITS.get(name) or np.dtype(helper.tensor_dtype_to_np_dtype(data_type)).itemsize * 8
    except (ValueError, KeyError, TypeError):
        return None


def tensor_nbytes(t: TensorProto) -> int | None:
    """Bytes the tensor's values take (sub-byte types packed); None for strings."""
    bits = element_bits(t.data_type)
    return None if bits is None else (math.prod(t.dims) * bits + 7) // 8


# --- external data ----------------------------------------------------------


@dataclass(frozen=True)
class ExternalRef:
    """One tensor whose bytes live in another file (checked to stay in the model's folder)."""

    tensor: str
    location: str  # as written in the model
    path: Path  # model folder / location
    offset: int
    length: int | None  # declared byte count; None = up to the end of the file
    nbytes: int | None  # bytes the tensor's shape needs; None for strings


@dataclass
class ExternalFile:
    location: str
    path: Path
    size: int  # bytes on disk
    tensors: int
    sha256: str | None = None


def _refuse(model_path: Path, tensor: str, loc: str, why: str) -> ModelError:
    return _fail(model_path, f"tensor '{tensor}' points its external data {why} ({loc!r}); refused, not opened",
                 "Only use models whose weight files sit in the model's own folder; re-save it with "
                 "onnx.save_model(model, path, save_as_external_data=True).")


def _location_problem(loc: str, folder: Path) -> str | None:
    """Why `loc` (relative to `folder`) could reach outside it, or None; readlink only, nothing opened."""
    if not loc or "\x00" in loc:
        return "to an empty or invalid location"
    win = PureWindowsPath(loc)  # splits on both / and \, sees drives and UNC roots
    if PurePosixPath(loc).is_absolute() or win.is_absolute() or win.drive or win.root:
        return "to an absolute path"
    if ".." in win.parts:
        return "outside the model's folder"
    real, real_folder = os.path.realpath(folder / loc), os.path.realpath(folder)
    if os.path.splitdrive(real)[0] != os.path.splitdrive(real_folder)[0] or \
            os.path.commonpath([real, real_folder]) != real_folder:
        return "through a link that leaves the model's folder"
    return None


def _check_location(loc: str, folder: Path, model_path: Path, tensor: str) -> Path:
    """The path `loc` names, refused (before any access) if it can leave `folder`."""
    problem = _location_problem(loc, folder)
    if problem:
        raise _refuse(model_path, tensor, loc, problem)
    return folder / loc


def _int_entry(entries: dict[str, str], key: str, model_path: Path, tensor: str) -> int | None:
    text = entries.get(key)
    if text is not None and not text.strip().isdigit():
        raise _fail(model_path, f"tensor '{tensor}' has an invalid external-data {key} {text!r}",
                    "The model file is corrupted; export it again.")
    return None if text is None else int(text)


def external_refs(model: onnx.ModelProto, model_path: str | os.PathLike) -> list[ExternalRef]:
    """Every external-data reference, locations checked; touches no weight file."""
    p = Path(model_path)
    folder = Path(os.path.abspath(p)).parent
    refs = []
    for t in iter_tensors(model):
        if t.data_location != TensorProto.EXTERNAL:
            continue
        name = t.name or "(constant)"
        entries = {e.key: e.value for e in t.external_data}
        loc = entries.get("location", "")
        path = _check_location(loc, folder, p, name)
        refs.append(ExternalRef(name, loc, path, _int_entry(entries, "offset", p, name) or 0,
                                _int_entry(entries, "length", p, name), tensor_nbytes(t)))
    return refs


def check_external_files(refs: list[ExternalRef], model_path: str | os.PathLike) -> None:
    """Each referenced file exists, is a regular file and holds the bytes asked of it (stat only)."""
    p = Path(model_path)
    sizes: dict[Path, int] = {}
    for ref in refs:
        if ref.path not in sizes:
            try:
                st = os.stat(ref.path)
            except OSError:
                raise _fail(p, f"external data file {ref.location!r} (tensor '{ref.tensor}') is missing",
                            f"Copy {ref.location} from the same export into {ref.path.parent}.") from None
            if not stat.S_ISREG(st.st_mode):
                raise _refuse(p, ref.tensor, ref.location, "to something that is not a regular file")
            sizes[ref.path] = st.st_size
        _check_extent(ref, sizes[ref.path], p)


def _check_extent(ref: ExternalRef, size: int, model_path: Path) -> None:
    if ref.length is not None and ref.nbytes is not None and ref.length < ref.nbytes:
        raise _fail(model_path, f"tensor '{ref.tensor}' declares {ref.length} bytes of external data "
                    f"but its shape needs {ref.nbytes}", "The model file is corrupted; export it again.")
    need = ref.length if ref.length is not None else (ref.nbytes or 0)
    if ref.offset + need > size:
        raise _fail(model_path, f"external data file {ref.location!r} is {size} bytes but tensor "
                    f"'{ref.tensor}' needs bytes {ref.offset}..{ref.offset + need}",
                    f"The file is truncated or from another export; copy the complete {ref.location} again.")


def external_files(refs: list[ExternalRef], *, with_sha256: bool = False) -> list[ExternalFile]:
    """One entry per referenced file (after check_external_files), in first-use order."""
    files: dict[Path, ExternalFile] = {}
    for ref in refs:
        if ref.path not in files:
            files[ref.path] = ExternalFile(ref.location, ref.path, os.stat(ref.path).st_size, 0)
        files[ref.path].tensors += 1
    if with_sha256:
        for f in files.values():
            f.sha256 = sha256_file(f.path)
    return list(files.values())


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


# --- EP context binaries -------------------------------------------------------

EP_CONTEXT_OP = "EPContext"  # ONNX Runtime's precompiled-graph node (com.microsoft)


def _attr(node: onnx.NodeProto, name: str):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return None


def ep_context_paths(model: onnx.ModelProto) -> list[tuple[str, str]]:
    """(node name, ep_cache_context) of every EPContext node whose binary is a file beside the model."""
    out = []
    for node in iter_nodes(model):
        if node.op_type != EP_CONTEXT_OP or node.domain not in ORT_DOMAINS:
            continue
        embed = _attr(node, "embed_mode")
        if embed is None or int(embed) != 0:  # default 1: the binary is inside the node, no file
            continue
        loc = _attr(node, "ep_cache_context")
        loc = loc.decode("utf-8", errors="replace") if isinstance(loc, bytes) else str(loc or "")
        out.append((node.name or "(unnamed)", loc))
    return out


def check_ep_context_files(model: onnx.ModelProto, model_path: str | os.PathLike) -> None:
    """Each EPContext binary stays in the model's folder (like external data) and is a regular file."""
    p = Path(model_path)
    folder = Path(os.path.abspath(p)).parent
    for node, loc in ep_context_paths(model):
        problem = _location_problem(loc, folder)
        if problem:
            raise _fail(p, f"EPContext node '{node}' points its context binary (ep_cache_context) {problem} "
                           f"({loc!r}); refused, not opened",
                        "Only use EP context models whose .bin file sits in the model's own folder; "
                        "compile the context model again (ep.context_embed_mode) or embed the binary.")
        try:
            st = os.stat(folder / loc)
        except OSError:
            raise _fail(p, f"EPContext node '{node}' names the context binary {loc!r}, which is missing",
                        f"Copy {loc} from the same compile into {folder}.") from None
        if not stat.S_ISREG(st.st_mode):
            raise _fail(p, f"EPContext node '{node}' points its context binary (ep_cache_context) to "
                           f"something that is not a regular file ({loc!r}); refused, not opened",
                        "Compile the context model again.")


# --- operators no standard runtime implements ---------------------------------


def _ops_by_domain(model: onnx.ModelProto, wanted) -> list[tuple[str, str]]:
    local = {(fn.domain, fn.name) for fn in model.functions}  # defined in the model itself
    found = {(n.domain, n.op_type) for n in iter_nodes(model)
             if n.domain not in STANDARD_DOMAINS and (n.domain, n.op_type) not in local and wanted(n.domain)}
    return sorted(found)


def custom_domain_ops(model: onnx.ModelProto) -> list[tuple[str, str]]:
    """(domain, op_type) of ops from domains neither ONNX nor ONNX Runtime defines."""
    return _ops_by_domain(model, lambda d: d not in ORT_DOMAINS)


def ort_only_ops(model: onnx.ModelProto) -> list[tuple[str, str]]:
    """(domain, op_type) of ONNX Runtime contrib ops (com.microsoft): known, but ORT-only."""
    return _ops_by_domain(model, lambda d: d in ORT_DOMAINS)


def custom_op_error(model_path: str | os.PathLike, ops: list[tuple[str, str]]) -> ModelError:
    """The error a runner raises when the model needs ops no runtime here implements."""
    domain, op = ops[0]
    more = f" (and {len(ops) - 1} more)" if len(ops) > 1 else ""
    hint = "Register its custom-op library or re-export the model without it."
    if domain == "ai.onnx.contrib":
        hint = "Install onnxruntime-extensions and register its library, or re-export the model without it."
    return ModelError(f"{model_path}: op {op} from domain {domain}{more}: no runtime here implements it.",
                      hint=hint)

"""A generative model folder (onnxruntime-genai): find it, check it, and read its model card.

Such a folder holds genai_config.json, the decoder's .onnx file(s) it names and the tokenizer files.
The decoder is one file (`model.decoder.filename`) or a pipeline of stages (`model.decoder.pipeline`, as
Snapdragon/QNN and other split models have: embeddings, transformer blocks or EP-context binaries, the LM
head), each with its own file. The folder, its genai_config.json or any .onnx inside it opens as a
generative model. The config is untrusted input: every problem is one `ModelError` line naming the file
and the key, and a file name in it that would leave the folder is refused without being opened.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from app.common.errors import ModelError, TargetError

CONFIG = "genai_config.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
MAX_CONFIG_BYTES = 4 << 20
BUILDER_HINT = ("A generative model folder has genai_config.json beside its .onnx files "
                "(onnxruntime-genai's model builder writes one: python -m onnxruntime_genai.models.builder).")
# session_options.provider_options entry -> the provider name onnxruntime-genai uses
PROVIDER_NAMES = {"cuda": "cuda", "dml": "dml", "qnn": "qnn", "openvino": "OpenVINO", "webgpu": "WebGPU",
                  "nvtensorrtrtx": "NvTensorRtRtx", "vitisai": "VitisAI", "rocm": "rocm"}
PIPELINE_TYPE = "decoder-pipeline"  # onnxruntime-genai's model type for a decoder split into stages
STAGE_HINT = ('model.decoder.pipeline is a list of objects (or one object) mapping each stage name to '
              '{"filename": ..., "inputs": [...], "outputs": [...]}, as onnxruntime-genai reads it.')
EP_CONTEXT_SOURCES = {"qnn": "QNN", "qnnexecutionprovider": "QNN", "openvinoexecutionprovider": "OpenVINO",
                      "vitisaiexecutionprovider": "VitisAI", "nvtensorrtrtxexecutionprovider": "NvTensorRtRtx",
                      "tensorrtexecutionprovider": "TensorRT"}


def genai_folder_of(path: str | os.PathLike) -> Path | None:
    """The generative model folder `path` names (the folder, its config, or a .onnx beside one), else None."""
    p = Path(path)
    if p.is_dir():
        return p if (p / CONFIG).is_file() else None
    if p.name == CONFIG or (p.suffix.lower() == ".onnx" and (p.parent / CONFIG).is_file()):
        return p.parent
    return None


def is_genai_path(path: str | os.PathLike) -> bool:
    """True for a folder (with or without its config: a folder is never an ONNX file), a genai_config.json,
    or a .onnx inside a folder that has one."""
    p = Path(path)
    return p.is_dir() or p.name == CONFIG or genai_folder_of(p) is not None


@dataclass
class GenAIStage:
    """One stage of a decoder pipeline (the record's GenAIStage has the same fields)."""

    name: str  # the stage's key in model.decoder.pipeline ("embeddings", "transformer", "lm_head", ...)
    filename: str
    precision: str = ""
    parameters: int | None = None
    provider_requested: str = ""  # its own session_options' provider, else the decoder's
    own_session_options: bool = False  # then a target does not replace its provider (onnxruntime-genai's
    # Config.clear_providers() / append_provider() reach only the decoder's session options)
    run_on_prompt: bool = True
    run_on_token_gen: bool = True
    is_lm_head: bool = False


@dataclass
class GenAICard:
    """The model card's facts (the record's GenAIModel section has the same fields).

    A pipeline's `decoder_file` is its stages' files joined with " + " and `stages` lists them; the
    precision and weight count are over all the stages together."""

    folder: str
    config_file: str
    model_type: str = ""
    decoder_file: str = ""
    layers: int | None = None
    attention_heads: int | None = None
    kv_heads: int | None = None
    head_size: int | None = None
    hidden_size: int | None = None
    context_length: int | None = None
    vocab_size: int | None = None
    precision: str = ""
    parameters: int | None = None
    provider_requested: str = ""
    tokenizer: str = ""
    stages: list[GenAIStage] = field(default_factory=list)  # empty for a single decoder file


@dataclass
class GenAIFolder:
    folder: Path
    config: dict
    card: GenAICard
    files: list[Path] = field(default_factory=list)  # the .onnx files the config names

    @property
    def decoder_path(self) -> Path:
        """The decoder file; for a pipeline, its largest stage (the transformer blocks, as a rule)."""
        return max(self.files, key=lambda f: f.stat().st_size) if len(self.files) > 1 else self.files[0]


def open_genai_folder(path: str | os.PathLike) -> GenAIFolder:
    """Check the folder and read its card; ModelError (one line) for anything missing or malformed."""
    p = Path(path)
    if not p.exists():
        raise ModelError(f"{p}: no such file or folder.", hint="Pass a generative model folder (with " + CONFIG + ").")
    folder = genai_folder_of(p)
    if folder is None:
        where = p if p.is_dir() else p.parent
        raise ModelError(f"{where}: no {CONFIG} in this folder, so it is not a generative model folder.",
                         hint=BUILDER_HINT)
    config_path = folder / CONFIG
    config = read_config(config_path)
    decoder = _section(config, config_path, "model", "decoder")
    weights = _Weights()
    if is_pipeline(config):
        stages = _pipeline(folder, config_path, decoder, weights)
        files = [folder / s.filename for s in stages]
    else:
        filename = decoder.get("filename")
        if not isinstance(filename, str) or not filename:
            raise ModelError(f"{config_path}: model.decoder.filename is missing.", hint=BUILDER_HINT)
        stages, files = [], [_inside(folder, config_path, "model.decoder.filename", filename)]
        weights = _scan(files[0])
    tokenizer = [name for name in TOKENIZER_FILES if (folder / name).is_file()]
    if "tokenizer.json" not in tokenizer:
        raise ModelError(f"{folder}: no tokenizer.json beside {CONFIG}.",
                         hint="Copy the model's tokenizer files (tokenizer.json, tokenizer_config.json) into it.")
    card = _card(folder, config_path, config, weights.label)
    card.tokenizer = ", ".join(tokenizer)
    if stages:
        card.stages, card.decoder_file = stages, " + ".join(s.filename for s in stages)
        card.provider_requested = " + ".join(dict.fromkeys(s.provider_requested for s in stages))
    return GenAIFolder(folder=folder, config=config, card=card, files=files)


def is_pipeline(config: dict) -> bool:
    """The decoder is a pipeline of stages: model.type "decoder-pipeline", or a pipeline and no filename
    (onnxruntime-genai's vision-language types); otherwise model.decoder.filename is the decoder."""
    decoder = _dig(config, ("model", "decoder"))
    if not isinstance(decoder, dict):
        return False
    return _dig(config, ("model", "type")) == PIPELINE_TYPE or ("pipeline" in decoder and "filename" not in decoder)


def _pipeline(folder: Path, config_path: Path, decoder: dict, weights: _Weights) -> list[GenAIStage]:
    """Every stage of model.decoder.pipeline (list-style or object-style), its file checked and its card read;
    the stages' weights are added to `weights`."""
    pipeline = decoder.get("pipeline")
    if isinstance(pipeline, dict):  # object-style: {"embeddings": {...}, "transformer": {...}, ...}
        entries = [("model.decoder.pipeline", pipeline)]
    elif isinstance(pipeline, list):
        entries = [(f"model.decoder.pipeline[{i}]", entry) for i, entry in enumerate(pipeline)]
    else:
        what = (f"is missing (model.type is {PIPELINE_TYPE})" if pipeline is None  # only that type gets here
                else f"is a {type(pipeline).__name__}, not a list of stages")
        raise ModelError(f"{config_path}: model.decoder.pipeline {what}.", hint=STAGE_HINT)
    default_provider = requested_provider(decoder)
    stages = []
    for key, entry in entries:
        if not isinstance(entry, dict):
            raise ModelError(f"{config_path}: {key} is a {type(entry).__name__}, not an object of stages.",
                             hint=STAGE_HINT)
        for name, spec in entry.items():
            stages.append(_stage(folder, config_path, f"{key}.{name}", str(name), spec, default_provider, weights))
    if not stages:
        raise ModelError(f"{config_path}: model.decoder.pipeline has no stages.", hint=STAGE_HINT)
    return stages


def _stage(folder: Path, config_path: Path, key: str, name: str, spec, default_provider: str,
           weights: _Weights) -> GenAIStage:
    if not isinstance(spec, dict):
        raise ModelError(f"{config_path}: {key} is a {type(spec).__name__}, not an object with a filename.",
                         hint=STAGE_HINT)
    filename = spec.get("filename")
    if not isinstance(filename, str) or not filename:
        raise ModelError(f"{config_path}: {key}.filename is missing.", hint=STAGE_HINT)
    path = _inside(folder, config_path, f"{key}.filename", filename)
    scan = _scan(path)
    weights.add(scan)
    precision, parameters = scan.label
    provider = requested_provider(spec) if isinstance(spec.get("session_options"), dict) else default_provider
    flags = {k: spec[k] for k in ("run_on_prompt", "run_on_token_gen", "is_lm_head") if isinstance(spec.get(k), bool)}
    return GenAIStage(name=name, filename=filename, precision=precision, parameters=parameters,
                      provider_requested=provider, own_session_options=isinstance(spec.get("session_options"), dict),
                      **flags)


def check_stage_providers(card: GenAICard, target_id: str, provider: str) -> None:
    """TargetError where a pipeline stage's own session options ask for an EP that is neither the target's
    nor the CPU: onnxruntime-genai keeps a stage's own providers whatever the target, so that stage would
    not run where the target says (or fail on an EP this build lacks)."""
    for st in card.stages:
        asked = st.provider_requested
        if st.own_session_options and asked.lower() not in (provider.lower(), "cpu"):
            raise TargetError(
                f"--target {target_id}: pipeline stage '{st.name}' asks for {asked} in its own session_options "
                f"({card.config_file}), which a target does not replace.",
                hint=f"Run it on the genai/ target for {asked}, or edit that stage's provider_options.")


def read_config(path: Path, kind: str = CONFIG, hint: str = BUILDER_HINT, json_hint: str | None = None) -> dict:
    """A model folder's JSON config (untrusted): a dict, or one ModelError line naming the file. `kind` names
    what the file should be; `json_hint` is the advice for a file that is not JSON (default `hint`)."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ModelError(f"{path}: larger than {MAX_CONFIG_BYTES >> 20} MiB; not a {kind}.")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ModelError(f"{path}: cannot be read ({e.__class__.__name__}: {e}).") from None
    except json.JSONDecodeError as e:
        raise ModelError(f"{path}: not valid JSON (line {e.lineno}: {e.msg}).", hint=json_hint or hint) from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object.", hint=hint)
    return data


def _section(config: dict, path: Path, *keys: str) -> dict:
    node = config
    for i, key in enumerate(keys):
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise ModelError(f"{path}: {'.'.join(keys[: i + 1])} is missing.", hint=BUILDER_HINT)
    return node


def _inside(folder: Path, config_path: Path, key: str, name: str) -> Path:
    """`name` from the config as a file inside `folder`; refused when it would leave it or is absent."""
    if os.path.isabs(name) or ".." in Path(name.replace("\\", "/")).parts:
        raise ModelError(f"{config_path}: {key} '{name}' points outside the model folder; refused.",
                         hint="A genai_config.json names files inside its own folder.")
    target = folder / name
    try:
        inside = target.resolve().is_relative_to(folder.resolve())
    except OSError:
        inside = False
    if not inside:
        raise ModelError(f"{config_path}: {key} '{name}' leads outside the model folder (a link?); refused.")
    if not target.is_file():
        raise ModelError(f"{config_path}: {key} names '{name}', which is not in {folder}.",
                         hint="Copy the missing file into the folder, or fix the name in " + CONFIG + ".")
    return target


def _int(node: dict, key: str) -> int | None:
    value = node.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _card(folder: Path, config_path: Path, config: dict, precision: tuple[str, int | None]) -> GenAICard:
    model, decoder = config["model"], config["model"]["decoder"]
    heads = _int(decoder, "num_attention_heads")
    head_size = _int(decoder, "head_size")
    hidden = _int(decoder, "hidden_size") or (heads * head_size if heads and head_size else None)
    precision, parameters = precision
    model_type = model.get("type")
    return GenAICard(
        folder=str(folder), config_file=str(config_path), model_type=model_type if isinstance(model_type, str) else "",
        decoder_file=str(decoder.get("filename") or ""), layers=_int(decoder, "num_hidden_layers"),
        attention_heads=heads, kv_heads=_int(decoder, "num_key_value_heads"), head_size=head_size, hidden_size=hidden,
        context_length=_int(model, "context_length"), vocab_size=_int(model, "vocab_size"),
        precision=precision, parameters=parameters, provider_requested=requested_provider(decoder))


def requested_provider(decoder: dict) -> str:
    """The provider a decoder's (or a pipeline stage's) session options ask for first ("cpu" when they name
    none)."""
    entries = _dig(decoder, ("session_options", "provider_options"))
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            for name in entry:
                return PROVIDER_NAMES.get(str(name).lower(), str(name))
    return "cpu"


def _dig(node, keys: tuple[str, ...]):
    """config[k0][k1]... or None where a level is missing or not an object (the config is untrusted)."""
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


@dataclass
class _Weights:
    """What a decoder file's weights are: elements per type, MatMulNBits bit widths, EPContext sources."""

    counts: Counter[str] = field(default_factory=Counter)
    nbits: set[int] = field(default_factory=set)
    contexts: dict[str, None] = field(default_factory=dict)  # ordered set

    def add(self, other: _Weights) -> _Weights:
        self.counts.update(other.counts)
        self.nbits |= other.nbits
        self.contexts.update(other.contexts)
        return self

    @property
    def label(self) -> tuple[str, int | None]:
        return _precision_label(self.counts, self.nbits, list(self.contexts))


def weights_precision(*paths: Path) -> tuple[str, int | None]:
    """("int4 (MatMulNBits) + fp16", parameters) from the initializers, quantised MatMuls and EP-context
    nodes of the decoder file(s) together (a pipeline's stages). Weights inside a compiled context binary
    (EPContext, e.g. QNN's) are not ONNX initializers: the label says so and the count is None."""
    total = _Weights()
    for path in paths:
        total.add(_scan(path))
    return total.label


def _scan(path: Path) -> _Weights:
    from onnx import TensorProto

    from app.model.model_file import iter_nodes, load_model

    names = {TensorProto.FLOAT: "fp32", TensorProto.FLOAT16: "fp16", TensorProto.BFLOAT16: "bf16",
             TensorProto.INT8: "int8", TensorProto.UINT8: "uint8", TensorProto.INT4: "int4", TensorProto.UINT4: "int4"}
    w = _Weights()
    model = load_model(path)  # its EPContext binaries checked too: inside the folder, present
    for t in model.graph.initializer:
        n = 1
        for d in t.dims:
            n *= d
        if n > 1:  # scalars and single values are constants, not weights
            w.counts[names.get(t.data_type, TensorProto.DataType.Name(t.data_type).lower())] += n
    for node in iter_nodes(model):
        if node.op_type == "MatMulNBits":
            w.nbits.add(_attr(node, "bits", 4))
        elif node.op_type == "EPContext":
            w.contexts[_context_source(node)] = None
    return w


def _precision_label(counts: Counter[str], nbits: set[int], contexts: list[str]) -> tuple[str, int | None]:
    float_kind = next((k for k, _ in counts.most_common() if k in ("fp32", "fp16", "bf16")), "")
    parts = []
    if nbits:
        parts.append(" / ".join(f"int{b}" for b in sorted(nbits)) + " (MatMulNBits)")
        parts += [float_kind] if float_kind else []
    elif counts:
        parts.append(counts.most_common(1)[0][0])
    parts += [f"{' / '.join(contexts)} context binary (EPContext)"] if contexts else []
    if not parts:
        return "unknown (no weights in the decoder)", None
    # packed int4 weights, or weights compiled into a context binary: their element count is unknown
    return " + ".join(parts), None if nbits or contexts else sum(counts.values())


def _attr(node, name: str, default):
    from onnx import helper

    return next((helper.get_attribute_value(a) for a in node.attribute if a.name == name), default)


def _context_source(node) -> str:
    """The EP an EPContext node was compiled for (its `source` attribute), as a short plain name."""
    source = _attr(node, "source", b"")
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else str(source)
    text = re.sub(r"[^A-Za-z0-9_.-]", "", text)[:40]
    return EP_CONTEXT_SOURCES.get(text.lower(), text or "EP")


def card_dict(path: str | os.PathLike) -> dict:
    """The desktop app's model card of a generative model folder: the keys every card has (no inputs: the
    prompt is token ids the run builds) and `genai`, the typed GenAICard (the views read its attributes;
    nothing writes the card to JSON: the record's `genai.model` is what is saved)."""
    f = open_genai_folder(path)
    size = sum(p.stat().st_size for p in f.folder.iterdir() if p.is_file())
    return {"path": str(f.folder), "file_bytes": size, "inputs": [], "outputs": [], "notes": [], "genai": f.card}

"""An OpenVINO IR LLM folder (openvino-genai): find it, check it, and read its model card.

Such a folder (what optimum-intel's `optimum-cli export openvino` writes) holds the stateful model
openvino_model.xml/.bin, the tokenizer and detokenizer IRs openvino_tokenizer.xml / openvino_detokenizer.xml
(openvino_tokenizers) and usually the Hugging Face config.json. The folder or any .xml inside it opens as a
generative model on `ov-genai/<device>` targets. The card has the same fields as an onnxruntime-genai
folder's (app.model.genai_folder.GenAICard): the architecture from config.json, and what the IR itself says
where config.json is absent or silent (layers and KV heads from the cache variables, vocabulary from the
logits), the precision from the IR weights' element types. Problems are one `ModelError` line.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from app.common.errors import ModelError
from app.model.genai_folder import GenAICard, read_config

MODEL_XML = "openvino_model.xml"
TOKENIZER_XML = "openvino_tokenizer.xml"
DETOKENIZER_XML = "openvino_detokenizer.xml"
HF_CONFIG = "config.json"
CONTEXT_SOURCE = "max_position_embeddings in config.json"  # where the context length was read (errors)
RUNTIME = "openvino-genai"
TARGET_PREFIX = "ov-genai/"  # its targets (app.engines.ov_genai_engine)
DEFAULT_TARGET = "ov-genai/cpu"
EXPORT_HINT = ("An OpenVINO IR LLM folder has openvino_model.xml/.bin with openvino_tokenizer.xml and "
               "openvino_detokenizer.xml (optimum-cli export openvino --model ... writes one).")
# config.json keys (Hugging Face names, with the aliases some architectures use)
_KEYS = {"layers": ("num_hidden_layers", "n_layer", "num_layers"),
         "heads": ("num_attention_heads", "n_head"), "kv_heads": ("num_key_value_heads", "multi_query_group_num"),
         "head_size": ("head_dim",), "hidden": ("hidden_size", "n_embd", "d_model"),
         "context": ("max_position_embeddings", "n_positions", "seq_length"), "vocab": ("vocab_size",)}
# IR element types of weights -> the names the cards use (shape constants, i32/i64, are not weights)
_WEIGHT_TYPES = {"f32": "fp32", "f16": "fp16", "bf16": "bf16", "i8": "int8", "u8": "int8", "i4": "int4",
                 "u4": "int4", "nf4": "nf4", "f8e4m3": "fp8", "f8e5m2": "fp8"}
_FLOATS = ("fp32", "fp16", "bf16")


def ov_genai_folder_of(path: str | os.PathLike) -> Path | None:
    """The OpenVINO IR LLM folder `path` names (the folder, or an .xml inside one), else None."""
    p = Path(path)
    if p.is_dir():
        return p if (p / MODEL_XML).is_file() else None
    if p.suffix.lower() == ".xml" and (p.parent / MODEL_XML).is_file():
        return p.parent
    return None


def is_ov_genai_path(path: str | os.PathLike, target_id: str | None = None) -> bool:
    """True when `path` opens as an OpenVINO IR LLM folder: it names one, and either it has no genai_config.json
    (onnxruntime-genai's) or the target asked for is an ov-genai/ one."""
    from app.model.genai_folder import CONFIG

    folder = ov_genai_folder_of(path)
    if folder is None:
        return False
    return not (folder / CONFIG).is_file() or (target_id or "").strip().lower().startswith(TARGET_PREFIX)


@dataclass
class OVGenAIFolder:
    folder: Path
    card: GenAICard

    @property
    def model_xml(self) -> Path:
        return self.folder / MODEL_XML


def open_ov_genai_folder(path: str | os.PathLike) -> OVGenAIFolder:
    """Check the folder and read its card; ModelError (one line) for anything missing or malformed."""
    p = Path(path)
    if not p.exists():
        raise ModelError(f"{p}: no such file or folder.", hint="Pass an OpenVINO IR LLM folder.")
    folder = ov_genai_folder_of(p)
    if folder is None:
        where = p if p.is_dir() else p.parent
        raise ModelError(f"{where}: no {MODEL_XML} in this folder, so it is not an OpenVINO IR LLM folder.",
                         hint=EXPORT_HINT)
    for name in (MODEL_XML, TOKENIZER_XML, DETOKENIZER_XML):
        if not (folder / name).is_file():
            raise ModelError(f"{folder}: no {name} in this OpenVINO IR LLM folder.", hint=EXPORT_HINT)
        if not (folder / name).with_suffix(".bin").is_file():
            raise ModelError(f"{folder}: {name} is there but {Path(name).stem}.bin is not.",
                             hint="Copy the .bin file beside its .xml (the IR's weights).")
    config = _read_config(folder / HF_CONFIG)
    card = _card(folder, config)
    return OVGenAIFolder(folder=folder, card=card)


def _read_config(path: Path) -> dict | None:
    """config.json, or None when the folder has none (the IR alone then gives the card)."""
    if not path.is_file():
        return None
    return read_config(path, "model config.json", "Export the model again.",
                       json_hint="Export the model again, or remove the broken config.json.")


def _get(config: dict | None, fact: str) -> int | None:
    node = config or {}
    node = node.get("text_config", node) if isinstance(node.get("text_config"), dict) else node
    for key in _KEYS[fact]:
        value = node.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


@dataclass
class IRFacts:
    """What the IR itself says about the model."""

    layers: int | None = None  # cache variables / 2 (a key and a value per layer)
    kv_heads: int | None = None
    head_size: int | None = None
    vocab: int | None = None  # the logits' last dimension
    precision: str = ""
    parameters: int | None = None
    stateful: bool = False


def ir_facts(model_xml: Path) -> IRFacts:
    """Read the IR (weights memory-mapped, nothing compiled): cache variables, logits, weight element types."""
    import openvino as ov

    try:
        model = ov.Core().read_model(str(model_xml))
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise ModelError(f"{model_xml}: OpenVINO cannot read it ({first}).", hint=EXPORT_HINT) from None
    facts = IRFacts()
    reads = [op for op in model.get_ops() if op.get_type_name() == "ReadValue"]
    facts.stateful = bool(reads)
    if reads and len(reads) % 2 == 0:
        facts.layers = len(reads) // 2
        shape = reads[0].get_output_partial_shape(0)
        if shape.rank.is_static and shape.rank.get_length() == 4:  # [batch, kv heads, tokens, head size]
            facts.kv_heads = _static(shape[1])
            facts.head_size = _static(shape[3])
    logits = next((o for o in model.outputs if "logits" in o.get_names()), None)
    if logits is not None and logits.get_partial_shape().rank.is_static:
        facts.vocab = _static(logits.get_partial_shape()[-1])
    facts.precision, facts.parameters = _weights(model)
    return facts


def _static(dim) -> int | None:
    return dim.get_length() if dim.is_static else None


def _weights(model) -> tuple[str, int | None]:
    """("fp32" | "int4 (compressed) + fp16" ..., weight elements) from the Constants of weight types."""
    counts: Counter[str] = Counter()
    for op in model.get_ops():
        if op.get_type_name() != "Constant":
            continue
        kind = _WEIGHT_TYPES.get(op.get_output_element_type(0).get_type_name())
        shape = op.get_output_partial_shape(0)
        if kind is None or not shape.is_static:
            continue
        n = 1
        for d in shape.to_shape():
            n *= d
        if n > 1:  # scalars are constants, not weights
            counts[kind] += n
    if not counts:
        return "unknown (no weights in the IR)", None
    quantised = sorted(k for k in counts if k not in _FLOATS)
    float_kind = next((k for k, _ in counts.most_common() if k in _FLOATS), "")
    if quantised:
        label = " / ".join(quantised) + " (compressed weights)"
        return (f"{label} + {float_kind}" if float_kind else label), sum(counts.values())
    return counts.most_common(1)[0][0], sum(counts.values())


def _card(folder: Path, config: dict | None) -> GenAICard:
    ir = ir_facts(folder / MODEL_XML)
    if not ir.stateful:
        raise ModelError(f"{folder / MODEL_XML}: not a stateful LLM (no KV-cache variables), which "
                         f"openvino-genai's LLMPipeline needs.",
                         hint="Export it with optimum-cli export openvino (stateful is the default).")
    heads = _get(config, "heads")
    head_size = _get(config, "head_size") or ir.head_size
    hidden = _get(config, "hidden") or (heads * head_size if heads and head_size else None)
    model_type = (config or {}).get("model_type")
    return GenAICard(
        folder=str(folder), config_file=str(folder / HF_CONFIG) if config is not None else "",
        model_type=model_type if isinstance(model_type, str) else "", decoder_file=MODEL_XML,
        layers=_get(config, "layers") or ir.layers, attention_heads=heads,
        kv_heads=_get(config, "kv_heads") or ir.kv_heads or heads, head_size=head_size, hidden_size=hidden,
        context_length=_get(config, "context"), vocab_size=_get(config, "vocab") or ir.vocab,
        precision=ir.precision, parameters=ir.parameters, provider_requested="",
        tokenizer=f"{TOKENIZER_XML}, {DETOKENIZER_XML}")


def card_dict(path: str | os.PathLike) -> dict:
    """The desktop app's card of an OpenVINO IR LLM folder: what app.model.genai_folder.card_dict gives, with
    `genai_runtime` saying which runtime runs it."""
    f = open_ov_genai_folder(path)
    size = sum(p.stat().st_size for p in f.folder.iterdir() if p.is_file())
    return {"path": str(f.folder), "file_bytes": size, "inputs": [], "outputs": [], "notes": [],
            "genai": f.card, "genai_runtime": RUNTIME, "genai_context_source": CONTEXT_SOURCE}

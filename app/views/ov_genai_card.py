"""The model panel's facts and note for an OpenVINO IR LLM folder (openvino-genai; docs/genai.md).

The same rows as an onnxruntime-genai folder's (app.views.genai_live.card_rows), with where each fact comes
from in this kind of folder: config.json, or the IR itself where config.json is absent or silent.
"""

from __future__ import annotations


def is_ov_card(card: dict) -> bool:
    from app.model.ov_genai_folder import RUNTIME

    return card.get("genai_runtime") == RUNTIME


def ov_card_rows(card: dict) -> list[tuple[str, str, str]]:
    """(label, value, tooltip) rows from the card's `genai` (app.model.ov_genai_folder.card_dict)."""
    from app.common.fmt import fmt_si
    from app.views.genai_live import shape_rows

    g = card["genai"]  # app.model.genai_folder.GenAICard
    return shape_rows(g, ("model_type in config.json.",
                          "num_hidden_layers in config.json, else the IR's KV-cache variables / 2.",
                          "config.json; KV heads and head size from the IR's cache variables where it is silent.",
                          "hidden_size in config.json.", "max_position_embeddings in config.json.",
                          "vocab_size in config.json, else the IR's logits.",
                          "From the IR's weight constants (their element types).")) + [
        ("Weights", fmt_si(g.parameters) if g.parameters else "unknown", "Elements of the IR's weight constants."),
        ("Runtime", "openvino-genai (LLMPipeline)", "Runs on ov-genai/ targets: the OpenVINO devices here."),
        ("Model", g.decoder_file or "?", g.config_file or "no config.json: the card comes from the IR"),
        ("Tokenizer", g.tokenizer or "?", "Prompts are built with it, so their lengths in tokens are exact."),
    ]


"""Record sections for how the EP was reached: a device policy's choice, a compiled (EP-context) model.

Both live under `session` (`session.policy`, `session.compiled`); docs/run-record.md
describes them. The sentences here are what the CLI summary and the results panel show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.common.fmt import fmt_ms
from app.record.typed import Section


@dataclass
class PolicyChoiceInfo(Section):
    """What an ort/auto/<policy> target's policy picked, read back from the session."""

    policy: str = ""
    ep: str = ""
    device_type: str = ""  # "" when the EP offers several devices here and ONNX Runtime does not say which
    device_target: str = ""
    device_name: str = ""
    candidates: list[str] = field(default_factory=list)
    fallback: list[str] = field(default_factory=list)
    nodes_on_ep: int | None = None
    total_nodes: int | None = None
    note: str = ""

    ALWAYS = ("nodes_on_ep", "total_nodes")

    @property
    def sentence(self) -> str:
        """'PREFER_NPU chose QNNExecutionProvider on the CPU (Hexagon HTP emulator ...); 11 of 11 nodes there'."""
        if self.device_type and self.device_name:
            where = f" on the {self.device_type} ({self.device_name})"
        elif self.device_type:
            where = f" on the {self.device_type}"
        elif self.candidates:
            where = f" on one of its devices here ({', '.join(self.candidates)}; ONNX Runtime does not say which)"
        else:
            where = ""
        text = f"{self.policy} chose {self.ep or 'no EP'}{where}"
        if self.nodes_on_ep is not None and self.total_nodes:
            text += f"; {self.nodes_on_ep} of {self.total_nodes} nodes there"
        else:
            text += "; node placement not reported"
        return text + (f" ({self.note})" if self.note else "")


@dataclass
class CompiledModelInfo(Section):
    """The model is an EP context compiled ahead: no compile at load (a cache hit), and what that saved."""

    eps: list[str] = field(default_factory=list)
    embed_mode: bool | None = None
    compatibility: str = ""  # ONNX Runtime's OrtCompiledModelCompatibility here, or "not checked: <why>"
    load_s: float | None = None  # this run's session creation (the first in its process)
    # Both models' session creation as `aipcprof compile` timed them, in one process after the compile.
    uncompiled_load_s: float | None = None
    compiled_load_s: float | None = None
    compiled_for: str = ""
    compile_s: float | None = None
    compiled_utc: str = ""

    ALWAYS = ("load_s", "uncompiled_load_s", "compiled_load_s")

    @property
    def saved_s(self) -> float | None:
        """Session creation saved by compiling ahead, from the two loads `aipcprof compile` timed alike."""
        if self.compiled_load_s is None or self.uncompiled_load_s is None:
            return None
        return self.uncompiled_load_s - self.compiled_load_s

    @property
    def sentence(self) -> str:
        """'compiled model (QNNExecutionProvider context, cache hit): this run loaded it in 107 ms; ...'."""
        text = f"compiled model ({', '.join(self.eps) or '?'} context, cache hit)"
        if self.load_s is not None:
            text += f": this run loaded it in {fmt_ms(self.load_s, compact=True)}"
        saved = self.saved_s
        if saved is None or self.uncompiled_load_s is None or self.compiled_load_s is None:
            return text + ("; load time saved: unavailable (the model carries no load times: "
                           "compile it with `aipcprof compile`)")
        when = f" on {self.compiled_utc}" if self.compiled_utc else ""
        return (text + f"; aipcprof compile{when} timed {fmt_ms(self.uncompiled_load_s, compact=True)} "
                f"uncompiled vs {fmt_ms(self.compiled_load_s, compact=True)} compiled: "
                + (f"{fmt_ms(saved, compact=True)} saved" if saved >= 0 else f"{fmt_ms(-saved, compact=True)} lost"))

"""What an ONNX Runtime session tells us once it exists: placement, precision, notes.

Placement comes from `get_provider_graph_assignment_info()` (needs the session
config entry `session.record_ep_graph_assignment_info=1`). A run on "the NPU"
that put 0 of N nodes there must say so loudly, hence the notes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.common.targets import Target
from app.engines import hostinfo
from app.engines.base import Placement, SessionSettings
from app.engines.ort_options import CPU, OPENVINO, QNN

PLACEMENT_SOURCE = "ort graph assignment info"
CACHED_SOURCE = "ort graph assignment info (recorded when the EP context was compiled)"
# EPs whose compilers want static shapes (dynamic dims push nodes back to the CPU).
STATIC_SHAPE_EPS = (QNN, OPENVINO, "VitisAIExecutionProvider")
CACHE_EPS = (QNN, OPENVINO)


@dataclass
class Assignment:
    """Nodes per provider and the op types seen, from one session."""

    placement: Placement | None
    op_types: set[str] = field(default_factory=set)


def assignment(sess: Any, accelerator: str) -> Assignment:
    if not hasattr(sess, "get_provider_graph_assignment_info"):
        return Assignment(None)
    counts: Counter[str] = Counter()
    op_types: set[str] = set()
    subgraphs = 0
    for subgraph in sess.get_provider_graph_assignment_info():
        nodes = subgraph.get_nodes()
        counts[subgraph.ep_name] += len(nodes)
        op_types.update(node.op_type for node in nodes)
        subgraphs += subgraph.ep_name == accelerator
    placement = Placement(total_nodes=sum(counts.values()), nodes_by_provider=dict(counts),
                          accelerator=accelerator, source=PLACEMENT_SOURCE, subgraphs=subgraphs)
    return Assignment(placement, op_types)


def placement_notes(target: Target, options: dict[str, str], placement: Placement | None) -> list[str]:
    if placement is None:
        return ["this onnxruntime cannot report node placement (needs >= 1.23)"]
    if target.provider == CPU or placement.total_nodes == 0:
        return []
    short = target.provider.removesuffix("ExecutionProvider")
    on_acc, total = placement.accelerator_nodes, placement.total_nodes
    if on_acc == 0:
        notes = [f"0 of {total} nodes ran on {short}: the whole graph fell back to the CPU EP"]
        backend = options.get("backend_type", "htp")
        if target.provider == QNN and backend != "htp" and hostinfo.machine() == "x86_64":
            notes.append(f"QNN backend_type={backend} is not available on x86_64; ORT fell back to the CPU EP")
        return notes
    if on_acc < total:
        return [f"{total - on_acc} of {total} nodes fell back to the CPU EP ({on_acc} on {short})"]
    return []


def dynamic_dims(sess: Any) -> list[str]:
    """Input dims still symbolic after the free-dimension overrides."""
    names: list[str] = []
    for node_arg in sess.get_inputs():
        for dim in node_arg.shape:
            if not isinstance(dim, int):
                label = str(dim) if dim else f"{node_arg.name}[?]"
                if label not in names:
                    names.append(label)
    return names


def dynamic_note(target: Target, dims: list[str]) -> list[str]:
    if not dims or target.provider not in STATIC_SHAPE_EPS:
        return []
    short = target.provider.removesuffix("ExecutionProvider")
    return [f"inputs keep dynamic dims ({', '.join(dims)}); {short} compiles static shapes only, "
            f"so those nodes may run on the CPU: pass --dim {dims[0]}=VALUE"]


@dataclass
class CachePlan:
    """Where this (model, target, options) pair's EP context model lives."""

    context_path: Path
    sidecar: Path
    state: str  # "hit" when the context model existed before the session, else "miss"

    @property
    def stem(self) -> str:
        return self.context_path.name.removesuffix("_ctx.onnx")

    def forget(self) -> None:
        """Delete this plan's files (a stale or broken context)."""
        for path in self.context_path.parent.glob(f"{self.stem}*"):
            path.unlink(missing_ok=True)
        self.state = "miss"

    def save_placement(self, placement: Placement | None) -> None:
        if placement is not None and self.context_path.exists():
            data = {k: v for k, v in placement.to_dict().items() if k in Placement.__dataclass_fields__}
            self.sidecar.write_text(json.dumps(data))

    def load_placement(self) -> Placement | None:
        try:
            data = json.loads(self.sidecar.read_text())
        except (OSError, ValueError):
            return None
        data["source"] = CACHED_SOURCE
        return Placement(**data)


def plan_cache(model_path: str, target: Target, options: dict[str, str], settings: SessionSettings) -> CachePlan | None:
    if not settings.cache_dir or target.provider not in CACHE_EPS:
        return None
    folder = Path(settings.cache_dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    model = Path(model_path).resolve()
    stat = model.stat()
    key_data = {"model": str(model), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "target": target.id,
                "options": options, "dims": settings.dim_overrides, "strict": settings.strict,
                "shapes": settings.input_shapes}  # unnamed dims are compiled at these sizes
    key = hashlib.sha256(json.dumps(key_data, sort_keys=True).encode()).hexdigest()[:16]
    # The context path goes to ORT as UTF-8 text: a model named in another encoding gets "_" there.
    name = model.stem.encode("utf-8", "replace").decode("utf-8").replace("?", "_")
    stem = f"{name}-{target.id.replace('/', '-')}-{key}"
    context = folder / f"{stem}_ctx.onnx"
    return CachePlan(context, folder / f"{stem}.placement.json", "hit" if context.exists() else "miss")

"""The model's own (ONNX) nodes behind OpenVINO's runtime nodes, for cross-engine comparison.

OpenVINO names its runtime nodes and types its own way (`stage0/conv/WithoutBiases`,
Convolution) and lists, per runtime node, the layers it was made from
(`originalLayersNames`: `stage0/conv/WithoutBiases,stage0/relu`). Those names
are OpenVINO's too: a model node's name (`stage0/relu`), that name with a suffix
OpenVINO added (`stage0/conv` + `/WithoutBiases`), or the name of the node's
output tensor (`logits` for the Gemm `head/fc`). Each is resolved to the model
node in that order; a name that resolves to none is left out, never guessed.
"""

from __future__ import annotations

from app.record.schema import OpNodeTime


def model_nodes(model_path: str) -> tuple[dict[str, str], dict[str, str]]:
    """(node name -> op type, output tensor name -> node name) of the model's main graph."""
    import onnx

    graph = onnx.load(model_path, load_external_data=False).graph
    by_name = {n.name: n.op_type for n in graph.node if n.name}
    by_output = {out: n.name for n in graph.node if n.name for out in n.output}
    return by_name, by_output


def resolve(name: str, by_name: dict[str, str], by_output: dict[str, str]) -> str | None:
    """The model node an OpenVINO layer name stands for, or None."""
    if name in by_name:
        return name
    head = name
    while "/" in head:
        head = head.rsplit("/", 1)[0]
        if head in by_name:
            return head
    return by_output.get(name)


def attach(nodes: list[OpNodeTime], originals: dict[str, list[str]], model_path: str) -> None:
    """Set `members` (the model nodes) and `model_op_type` (the first member's type) of each runtime node."""
    by_name, by_output = model_nodes(model_path)
    for node in nodes:
        members: list[str] = []
        for layer in originals.get(node.name, []):
            found = resolve(layer, by_name, by_output)
            if found is not None and found not in members:
                members.append(found)
        node.members = members
        if members and by_name[members[0]] != node.op_type:
            node.model_op_type = by_name[members[0]]

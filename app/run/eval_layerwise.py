"""`aipcprof eval --layerwise`: the first diverging tensor, on one sample of the eval's data set.

The sample (the data set's first in name order, or `--layerwise-sample FILE`)
is read as the eval reads it (app.model.dataset: arrays, or images through the
`--preprocess` recipe), written to .npy files and handed to the layer-wise
check of `aipcprof layerwise` (app.run.layerwise: every intermediate tensor of
the model on the target against the reference model on the reference target,
in a child process). The result becomes the `accuracy.layerwise` section.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np

from app.common.errors import UserError
from app.model.dataset import Dataset, SampleRef, load_sample, open_dataset
from app.model.preprocess import BadSample, parse_recipe
from app.record.accuracy_schema import Layerwise, TensorDivergence
from app.run.eval_loop import input_slots
from app.run.eval_spec import EvalSpec
from app.run.layerwise import LayerRow, LayerwiseResult, compare


def _relative(folder: Path, text: str) -> str:
    """FILE as a path relative to the data folder: given relative to it, or as a path inside it."""
    p = Path(text)
    for candidate in (p, Path.cwd() / p):
        try:
            return candidate.resolve().relative_to(folder.resolve()).as_posix()
        except (ValueError, OSError):
            continue
    return text.replace("\\", "/")


def pick_sample(ev: EvalSpec, sample: str | None) -> tuple[Dataset, SampleRef]:
    """The sample to check: `sample` (a file of the data folder) or the first one; UserError when it is not one."""
    ds = open_dataset(ev.data, recipe=parse_recipe(ev.preprocess) if ev.preprocess else None, labelled=False)
    if sample is None:
        return ds, ds.samples[0]
    rel = _relative(ds.folder, sample)
    ref = next((r for r in ds.samples if r.file == rel), None)
    if ref is None:
        raise UserError(f"--layerwise-sample {sample}: not a sample of --data {ev.data}.",
                        hint="Name one of the folder's sample files (relative to the folder, or its path).")
    return ds, ref


def _divergence(r: LayerRow | None) -> TensorDivergence | None:
    if r is None:
        return None
    return TensorDivergence(r.tensor, r.node, r.op, r.sqnr_db if math.isfinite(r.sqnr_db) else None,
                            r.sqnr_db == math.inf, None if math.isnan(r.cosine) else r.cosine)


def layerwise_section(result: LayerwiseResult, sample: str) -> Layerwise:
    rows = result.rows
    first = rows[result.first_bad] if result.first_bad is not None else None
    lowest = min(rows, key=lambda r: r.sqnr_db) if rows else None
    same = result.reference_model == result.model
    return Layerwise(sample, result.reference, "" if same else result.reference_model, result.threshold_db,
                     len(rows), result.unmatched, _divergence(first), _divergence(lowest))


def run_layerwise(model: str, target: str, ev: EvalSpec, sample: str | None, reference: str,
                  reference_model: str = "", threshold_db: float = 20.0) -> tuple[LayerwiseResult, Layerwise]:
    """Check one sample tensor by tensor (ChildFailed when the child dies); UserError for a bad sample."""
    ds, ref = pick_sample(ev, sample)
    try:
        feeds, _ = load_sample(ds, ref, input_slots(model))
    except BadSample as e:
        raise UserError(f"--layerwise sample {ref.file}: {e}.", hint="Pick another with --layerwise-sample.") from None
    with tempfile.TemporaryDirectory(prefix="aipcprof-layerwise-sample-") as tmp:
        inputs = {}
        for i, (name, array) in enumerate(feeds.items()):
            path = os.path.join(tmp, f"input{i}.npy")
            np.save(path, array)
            inputs[name] = path
        result = compare(model, target, reference, reference_model, inputs, threshold_db)
    result.input_sources = {name: f"{ref.file} (data set)" for name in feeds}
    return result, layerwise_section(result, ref.file)

"""A labelled data set on disk: the samples of a `--data` folder and their labels (docs/accuracy.md).

Samples are `.npy` files (one array: the model's only input), `.npz` files
(one array per input, the input names as keys; a single array feeds a
single-input model whatever its key), or images decoded with the
`--preprocess` recipe (app.model.preprocess). Labels come from a CSV
(`file,label`), an ImageNet-style tree (one folder per class, classes in
sorted order, or by number when every folder name is one), or COCO JSON
(detection). `open_dataset` lists and labels the samples without reading
them (the parent does this before the worker starts: a wrong folder fails in
a second); `load_sample` reads one (the worker does this), raising
BadSample with the reason. A bad sample is never used silently: the caller
skips it, naming the file, or fails the run (`--on-bad-sample`).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.common.errors import UserError
from app.model.input_files import inspect_input_file
from app.model.preprocess import IMAGE_SUFFIXES, BadSample, Geometry, Recipe, load_image

ARRAY_SUFFIXES = (".npy", ".npz")
Label = int | list[int] | tuple  # class index | label indices (multilabel) | (boxes [G, 4] x1y1x2y2, classes [G])


@dataclass
class SampleRef:
    file: str  # relative to the data folder, with '/'
    label: Label | None = None


@dataclass
class Dataset:
    folder: Path
    kind: str  # "arrays" | "images"
    samples: list[SampleRef]
    found: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason) found while listing
    label_format: str = "none"  # "csv" | "folders" | "coco" | "none"
    labels_path: str | None = None
    class_names: list[str] = field(default_factory=list)
    recipe: Recipe | None = None


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def _rel(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def open_dataset(folder: str, *, labels: str | None = None, recipe: Recipe | None = None,
                 labelled: bool = True, detection: bool = False, option: str = "--data") -> Dataset:
    """The samples of `folder` with their labels; UserError for an unusable folder or labels file. `option`
    names the folder in messages (`--data` for eval, `--calib` for quantize)."""
    root = Path(folder)
    if not root.is_dir():
        raise UserError(f"{option} {folder}: not a folder.", hint="Pass a folder of .npy/.npz files or images.")
    files = _files(root)
    arrays = [p for p in files if p.suffix.lower() in ARRAY_SUFFIXES]
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    if not arrays and not images:
        raise UserError(f"{option} {folder}: no samples (.npy, .npz or images) in this folder.",
                        hint="Put one sample per file in it.")
    if arrays and images:
        raise UserError(f"{option} {folder}: holds both arrays ({len(arrays)}) and images ({len(images)}).",
                        hint="Keep one kind of sample per folder.")
    kind = "arrays" if arrays else "images"
    if kind == "images" and recipe is None:
        raise UserError(f"{option} {folder}: images need a --preprocess recipe.",
                        hint="E.g. --preprocess resize=224,crop=224,scale=1/255,layout=NCHW.")
    found = arrays or images
    ds = Dataset(root, kind, [SampleRef(_rel(root, p)) for p in found], len(found), recipe=recipe)
    if not labelled:
        return ds
    if labels is None and not detection and any(p.parent != root for p in found):
        return _folder_labels(ds)
    if labels is None:
        raise UserError("--labels: this task needs labels.",
                        hint="Pass a CSV of file,label (or COCO JSON for detection), or put samples in "
                             "one folder per class.")
    if detection or labels.lower().endswith(".json"):
        return _coco_labels(ds, Path(labels))
    return _csv_labels(ds, Path(labels))


def _folder_labels(ds: Dataset) -> Dataset:
    """ImageNet style: the first folder under the data folder is the class."""
    names = sorted({s.file.split("/", 1)[0] for s in ds.samples if "/" in s.file})
    numeric = all(n.isdigit() for n in names)
    index = {n: int(n) if numeric else i for i, n in enumerate(names)}
    ds.label_format, ds.labels_path = "folders", str(ds.folder)
    ds.class_names = [] if numeric else names
    kept = []
    for s in ds.samples:
        if "/" not in s.file:
            ds.skipped.append((s.file, "not inside a class folder"))
            continue
        s.label = index[s.file.split("/", 1)[0]]
        kept.append(s)
    ds.samples = kept
    return ds


def _label_value(text: str, where: str) -> int | list[int]:
    parts = [p for p in text.replace(";", " ").split() if p]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise UserError(f"{where}: label {text!r} is not a class number.",
                        hint="Labels are class indices (0, 1, ...); several labels as '1;4'.") from None
    if not values or min(values) < 0:
        raise UserError(f"{where}: label {text!r} is not a class number (0 or more).")
    return values[0] if len(values) == 1 and ";" not in text else values


def _csv_labels(ds: Dataset, path: Path) -> Dataset:
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"--labels {path}: cannot read it ({e.__class__.__name__}).") from None
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if rows and [c.strip().lower() for c in rows[0][:2]] == ["file", "label"]:
        rows = rows[1:]
    if not rows:
        raise UserError(f"--labels {path}: no rows.", hint="Write one 'file,label' row per sample.")
    by_file: dict[str, int | list[int]] = {}
    for n, row in enumerate(rows, 1):
        if len(row) < 2:
            raise UserError(f"--labels {path}: row {n} has no label.", hint="Write 'file,label' rows.")
        by_file[row[0].strip().replace("\\", "/")] = _label_value(row[1].strip(), f"--labels {path} row {n}")
    known = {s.file for s in ds.samples}
    missing = [f for f in by_file if f not in known]
    if missing:
        raise UserError(f"--labels {path}: names {len(missing)} file(s) not in {ds.folder}, e.g. {missing[0]}.",
                        hint="File names are relative to the --data folder.")
    return _attach(ds, by_file, "csv", path)


def _attach(ds: Dataset, by_file: dict, fmt: str, path: Path) -> Dataset:
    ds.label_format, ds.labels_path = fmt, str(path)
    kept = []
    for s in ds.samples:
        if s.file not in by_file:
            ds.skipped.append((s.file, f"no label in {path.name}"))
            continue
        s.label = by_file[s.file]
        kept.append(s)
    ds.samples = kept
    return ds


def _coco_labels(ds: Dataset, path: Path) -> Dataset:
    """COCO JSON: images (id, file_name), annotations (image_id, bbox x y w h, category_id), categories."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        images = {int(i["id"]): str(i["file_name"]).replace("\\", "/") for i in data["images"]}
        cats = sorted(data["categories"], key=lambda c: int(c["id"]))
        anns = [(int(a["image_id"]), [float(v) for v in a["bbox"]], int(a["category_id"])) for a in data["annotations"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        raise UserError(f"--labels {path}: not COCO JSON ({e.__class__.__name__}: {e}).",
                        hint="It needs 'images', 'annotations' and 'categories' lists.") from None
    index = {int(c["id"]): i for i, c in enumerate(cats)}  # category ids -> contiguous class indices
    per_image: dict[int, list] = {i: [] for i in images}
    for image_id, (x, y, w, h), cat in anns:
        if image_id not in images or cat not in index:
            raise UserError(f"--labels {path}: an annotation names image {image_id} / category {cat}, not listed.")
        per_image[image_id].append(([x, y, x + w, y + h], index[cat]))
    by_file = {}
    for image_id, file in images.items():
        boxes = per_image[image_id]
        by_file[file] = (np.asarray([b for b, _ in boxes], np.float64).reshape(-1, 4),
                         np.asarray([c for _, c in boxes], np.int64))
    known = {s.file for s in ds.samples}
    missing = [f for f in by_file if f not in known]
    if missing:
        raise UserError(f"--labels {path}: names {len(missing)} image(s) not in {ds.folder}, e.g. {missing[0]}.",
                        hint="COCO file_name values are relative to the --data folder.")
    ds.class_names = [str(c.get("name", c["id"])) for c in cats]
    return _attach(ds, by_file, "coco", path)


@dataclass
class InputSlot:
    """What a sample must fit: one model input (name, numpy dtype, shape with None for open dims)."""

    name: str
    dtype: np.dtype
    shape: list[int | None]


def slots_of(specs: list) -> list[InputSlot]:
    """The model's inputs (app.model.inputs IOSpecs) as what a sample must fit; an open or symbolic dim is None."""
    return [InputSlot(s.name, np.dtype(s.dtype) if s.dtype is not None else np.dtype(np.float32),
                      [d if isinstance(d, int) and d > 0 else None for d in (s.shape or [])]) for s in specs]


def _problem(shape: tuple[int, ...], dtype: np.dtype, slot: InputSlot) -> str | None:
    """Why an array of this shape and dtype cannot feed `slot` (one missing batch axis is added); None: it can."""
    if len(shape) == len(slot.shape) - 1:
        shape = (1, *shape)
    if len(shape) != len(slot.shape) or any(d is not None and d != a for d, a in zip(slot.shape, shape)):
        want = "x".join("?" if d is None else str(d) for d in slot.shape)
        return f"{slot.name}: shape {'x'.join(map(str, shape))} does not fit the model's {want}"
    if dtype != slot.dtype and (dtype.kind != slot.dtype.kind or dtype.kind not in "fc"):
        return f"{slot.name}: dtype {dtype} where the model wants {slot.dtype}"
    return None


def _fit(array: np.ndarray, slot: InputSlot) -> np.ndarray:
    problem = _problem(array.shape, array.dtype, slot)
    if problem:
        raise BadSample(problem)
    if array.ndim == len(slot.shape) - 1:
        array = array[None]  # one sample without its batch axis
    # float64 -> float32 (numpy's default float): the same kind, cast
    return np.ascontiguousarray(array, dtype=slot.dtype)


def _read_arrays(path: Path, slots: list[InputSlot]) -> dict[str, np.ndarray]:
    try:
        if path.suffix.lower() == ".npy":
            if len(slots) != 1:
                raise BadSample(f"a .npy file holds one array; the model has {len(slots)} inputs: use .npz")
            return {slots[0].name: np.load(path, allow_pickle=False)}
        with np.load(path, allow_pickle=False) as z:
            keys = _npz_keys(z.files, slots)
            return {s.name: z[k] for s, k in zip(slots, keys, strict=True)}
    except BadSample:
        raise
    except (OSError, ValueError, EOFError) as e:
        raise BadSample(f"not a readable numpy file ({e.__class__.__name__})") from None


def load_sample(ds: Dataset, ref: SampleRef, slots: list[InputSlot]) -> tuple[dict[str, np.ndarray], Geometry | None]:
    """One sample's feeds, checked against the inputs; BadSample says what is wrong."""
    path = ds.folder / ref.file
    if ds.kind == "images":
        if len(slots) != 1:
            raise BadSample(f"an image feeds one input; the model has {len(slots)}")
        array, geo = load_image(path, ds.recipe)  # type: ignore[arg-type]
        return {slots[0].name: _fit(array, slots[0])}, geo
    return {s.name: _fit(a, s) for s, a in zip(slots, _read_arrays(path, slots).values())}, None


def check_sample(ds: Dataset, ref: SampleRef, slots: list[InputSlot]) -> None:
    """A quick look at one sample before the run (headers only, no decoding); BadSample says what is wrong."""
    path = ds.folder / ref.file
    if ds.kind == "images":
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as img:
                img.size  # noqa: B018 - the header is parsed by open(); a non-image raises there
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
            raise BadSample(f"not a readable image ({e.__class__.__name__})") from None
        return
    if path.suffix.lower() == ".npy" and len(slots) != 1:
        raise BadSample(f"a .npy file holds one array; the model has {len(slots)} inputs: use .npz")
    if path.suffix.lower() == ".npz":
        _npz_names(path, slots)
    for slot in slots:
        try:  # the header (shape, dtype, declared vs stored bytes); the data stays on disk
            header = inspect_input_file(path, slot.name, "@")
        except UserError as e:
            raise BadSample(e.message.removeprefix("@: ").rstrip(".")) from None
        problem = _problem(header.shape, header.dtype, slot)
        if problem:
            raise BadSample(problem)


def _npz_names(path: Path, slots: list[InputSlot]) -> None:
    try:
        with np.load(path, allow_pickle=False) as z:
            names = z.files
    except (OSError, ValueError, EOFError) as e:
        raise BadSample(f"not a readable numpy file ({e.__class__.__name__})") from None
    _npz_keys(names, slots)


def _npz_keys(names: list[str], slots: list[InputSlot]) -> list[str]:
    """The .npz member each input reads: its own name, or the only array for a single-input model."""
    if len(slots) == 1 and len(names) == 1:
        return names
    missing = [s.name for s in slots if s.name not in names]
    if missing:
        raise BadSample(f"no array named {missing[0]!r} (it holds {', '.join(names) or 'nothing'})")
    return [s.name for s in slots]

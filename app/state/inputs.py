"""InputSetupState: what a run feeds the model's inputs: sizes of open dims, whole shapes, values, files.

The model card lists each input's shape. A dim is fixed (an int > 0), named
(a symbolic name: every input that has it shares one size), or dynamic with no
name: None or '?' in the card, or a literal -1 / 0 in the file. Each dynamic
dim gets its own slot, labelled with its input and axis (`x[2] (height)`), so
the two open dims of `x[?, 3, ?, ?]` can differ; an input with no shape at all
gets a whole-shape field; a scalar input takes a value; any input can take a
.npy/.npz file instead of synthetic data.

A slot starts from, first to last: what was set for this model before (by
its sha256, app.state.input_memory), the card's own value for it (a dim the
model card resolved or guessed), and a default for its role (batch 1, channels
3, height and width 224, sequence 128). `options()` is what RunOptions takes:
shapes, dims and inputs, the CLI's --shape / --dim / --input.

Card fields read here (app.model.model_card): `input_dims` (per input, per axis:
value and source — model / bound / hint / default / guessed / needed; a guessed
size is shown as guessed) and `value_needs` (a scalar such as a sample rate that
synthetic data cannot stand in for: the run needs a value, e.g. 16000, unless the
model itself justifies a default).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.state.events import Event
from app.state.input_memory import InputMemory


class Role(str, enum.Enum):
    """What an open dim most likely sizes: it picks the default and the label."""

    BATCH = "batch"
    CHANNELS = "channels"
    HEIGHT = "height"
    WIDTH = "width"
    SEQUENCE = "sequence"
    OTHER = ""


DEFAULTS = {Role.BATCH: 1, Role.CHANNELS: 3, Role.HEIGHT: 224, Role.WIDTH: 224, Role.SEQUENCE: 128, Role.OTHER: 1}
IMAGE_PRESETS = (224, 320, 640)  # square sizes the editor offers for image inputs
MAX_DIM = 1_000_000

_BATCH = re.compile(r"(?i)^(n|b|bs|nbatch|batch|batch_?size|.*batch.*)$")
_SEQ = re.compile(r"(?i)seq|len|token|sentence|past|total|position|time|frames|samples")
_HEIGHT = re.compile(r"(?i)^(h|height|img_?h|image_?h|.*_h|.*height.*)$")
_WIDTH = re.compile(r"(?i)^(w|width|img_?w|image_?w|.*_w|.*width.*)$")
_CHANNELS = re.compile(r"(?i)^(c|ch|channels?|num_channels)$")
_SQUARE = re.compile(r"(?i)^(size|img|image|image_?size|resolution)$")
_FLOATS = ("float32", "float16", "bfloat16", "float64")
_IMAGE_CHANNELS = (1, 3, 4)


def is_dynamic(d: object) -> bool:
    """A dim the model leaves open without a name: None, '?', or a literal -1 / 0 in the file."""
    if d is None or d == "?":
        return True
    return isinstance(d, int) and not isinstance(d, bool) and d <= 0


def is_named(d: object) -> bool:
    return isinstance(d, str) and d != "?" and d != ""


def role_of_name(name: str) -> Role:
    if _BATCH.match(name):
        return Role.BATCH
    if _HEIGHT.match(name):
        return Role.HEIGHT
    if _WIDTH.match(name):
        return Role.WIDTH
    if _CHANNELS.match(name):
        return Role.CHANNELS
    if _SQUARE.match(name):
        return Role.HEIGHT  # one name for both sides of a square image
    if _SEQ.search(name):
        return Role.SEQUENCE
    return Role.OTHER


def roles_by_axis(shape: list, dtype: str) -> list[Role]:
    """A role per axis from the layout alone: NCHW / NHWC images, [batch, sequence] token ids, ..."""
    rank = len(shape)
    roles = [Role.OTHER] * rank
    if rank >= 2:
        roles[0] = Role.BATCH
    if rank == 4 and dtype in _FLOATS:
        last_is_channels = shape[3] in _IMAGE_CHANNELS and shape[1] not in _IMAGE_CHANNELS
        roles[1:] = ([Role.HEIGHT, Role.WIDTH, Role.CHANNELS] if last_is_channels
                     else [Role.CHANNELS, Role.HEIGHT, Role.WIDTH])
    elif rank in (2, 3) and dtype.startswith(("int", "uint")):
        roles[1] = Role.SEQUENCE
    elif rank == 3:
        roles[1] = Role.SEQUENCE  # [batch, time/sequence, features] is the common 3-D input
    return roles


@dataclass(frozen=True)
class DimSlot:
    """One open size the user sets: a named dim (shared) or one unnamed axis of one input."""

    key: str  # the dim's name, or "input[axis]" for an unnamed one
    symbol: str | None  # the named dim; None for an unnamed axis
    uses: tuple[tuple[str, int], ...]  # (input, axis) pairs it sizes
    role: Role
    default: int
    guessed: bool = False  # the card's size is a guess from model hints
    # The model layer sized it (model, hint, default, guess): left alone, the run resolves it the same way
    # and records where it came from (a guess is then said loudly). False for a card without dim sources.
    from_card: bool = False
    needed: bool = False  # the model layer has no size for it: the user must give one

    @property
    def label(self) -> str:
        """`x[2] (height)`; a named dim: `seq: input_ids[1], attention_mask[1]`."""
        where = ", ".join(f"{name}[{axis}]" for name, axis in self.uses)
        if self.symbol is None:
            return f"{where} ({self.role.value})" if self.role is not Role.OTHER else where
        return f"{self.symbol}: {where}"


@dataclass(frozen=True)
class InputSlots:
    """One model input as the editor shows it."""

    name: str
    dtype: str
    shape: list | None  # as in the card; None: the model gives no rank
    slots: tuple[str, ...] = ()  # keys of the slots it owns (a shared named dim: under its first input)
    scalar: bool = False
    needs_value: bool = False
    value_hint: str = ""

    @property
    def whole_shape(self) -> bool:
        """No rank in the model: the user types the whole shape."""
        return self.shape is None


@dataclass
class Entered:
    """What the user set for one model (what InputMemory keeps)."""

    dims: dict[str, int] = field(default_factory=dict)  # slot key -> size
    shapes: dict[str, str] = field(default_factory=dict)  # input -> whole shape as typed
    values: dict[str, str] = field(default_factory=dict)  # scalar input -> value as typed
    files: dict[str, str] = field(default_factory=dict)  # input -> .npy/.npz path

    def to_json(self) -> dict:
        return {"dims": dict(self.dims), "shapes": dict(self.shapes), "values": dict(self.values),
                "files": dict(self.files)}

    @classmethod
    def from_json(cls, data: object) -> Entered:
        """Tolerant: a hand-edited or older entry keeps what is usable."""
        d = data if isinstance(data, Mapping) else {}

        def strings(key: str) -> dict[str, str]:
            v = d.get(key)
            return {str(k): str(x) for k, x in v.items() if isinstance(x, str)} if isinstance(v, Mapping) else {}

        raw = d.get("dims")
        dims = {str(k): int(v) for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)
                and 1 <= v <= MAX_DIM} if isinstance(raw, Mapping) else {}
        return cls(dims, strings("shapes"), strings("values"), strings("files"))


def parse_shape_text(text: str) -> list[int] | None:
    """'1,3,224,224' or '1x3x224x224' or '[1, 3, 224, 224]' -> ints; '[]' a scalar; None when not a shape."""
    body = text.strip().strip("[]() ")
    if not body:
        return [] if text.strip() in ("[]", "()") else None
    parts = [p.strip() for p in re.split(r"[,x×\s]+", body) if p.strip()]
    if not parts or not all(p.isdigit() and 1 <= int(p) <= MAX_DIM for p in parts):
        return None
    return [int(p) for p in parts]


class InputSetupState:
    def __init__(self, memory: InputMemory | None = None) -> None:
        self.memory = memory  # None: nothing is remembered across sessions
        self.path: str | None = None
        self.sha256: str | None = None
        self.inputs: list[InputSlots] = []
        self.slots: dict[str, DimSlot] = {}
        self.entered = Entered()
        self.missing_files: list[str] = []  # remembered files that are gone (not restored)
        self.layout_changed: Event[[]] = Event("inputs.layout_changed")  # another model: rebuild the editors
        self.changed: Event[[]] = Event("inputs.changed")  # a size, shape, value or file changed

    # -- the model ---------------------------------------------------------
    def set_card(self, card: Mapping) -> None:
        """A new model's card (a re-inspection of the same model keeps what was entered)."""
        path, sha = str(card.get("path") or ""), card.get("sha256") or None
        if path == self.path and sha == self.sha256 and self.inputs:
            return
        self.path, self.sha256 = path, sha
        self.inputs, self.slots = _layout(card)
        self.entered = Entered()
        self.missing_files = []
        remembered = self.memory.recall(sha) if (self.memory is not None and sha) else None
        if remembered is not None:
            self._restore(Entered.from_json(remembered))
        self.layout_changed.emit()

    def clear(self) -> None:
        self.path = self.sha256 = None
        self.inputs, self.slots, self.entered, self.missing_files = [], {}, Entered(), []
        self.layout_changed.emit()

    def _restore(self, old: Entered) -> None:
        from pathlib import Path

        by_name = {i.name: i for i in self.inputs}
        self.entered.dims = {k: v for k, v in old.dims.items() if k in self.slots}
        self.entered.shapes = {k: v for k, v in old.shapes.items() if k in by_name and by_name[k].whole_shape}
        self.entered.values = {k: v for k, v in old.values.items() if k in by_name and by_name[k].scalar}
        for name, path in old.files.items():
            if name not in by_name:
                continue
            if Path(path).is_file():
                self.entered.files[name] = path
            else:
                self.missing_files.append(path)

    # -- reading -----------------------------------------------------------
    def size(self, key: str) -> int:
        """The size a slot has now: entered, else its default."""
        return self.entered.dims.get(key, self.slots[key].default)

    def slot_of(self, name: str, axis: int) -> str | None:
        """The key of the slot that sizes `name`'s `axis` (None: a fixed dim)."""
        return next((k for k, s in self.slots.items() if (name, axis) in s.uses), None)

    def is_image(self, name: str) -> bool:
        """The input has a height and a width to set: the size presets apply."""
        roles = {self.slots[k].role for k in self._slots_of(name)}
        return Role.HEIGHT in roles and (Role.WIDTH in roles or self._square(name))

    def _square(self, name: str) -> bool:
        """One named dim sizes both sides (`x[?, 3, size, size]`)."""
        keys = [self.slot_of(name, a) for a in range(len(self._spec(name).shape or []))]
        return any(k is not None and keys.count(k) > 1 and self.slots[k].role is Role.HEIGHT for k in keys)

    def _spec(self, name: str) -> InputSlots:
        return next(i for i in self.inputs if i.name == name)

    def _slots_of(self, name: str) -> list[str]:
        spec = self._spec(name)
        keys = [self.slot_of(name, a) for a in range(len(spec.shape or []))]
        return list(dict.fromkeys(k for k in keys if k is not None))

    def editable(self) -> bool:
        """Anything to set: open dims, an unknown shape or a scalar."""
        return bool(self.slots) or any(i.whole_shape or i.scalar for i in self.inputs)

    def _left_to_the_model(self, key: str) -> bool:
        """The user has not set this slot and the model layer sizes it: the run resolves it itself, so the
        record says where its size came from (and says so loudly when it was guessed)."""
        return self.slots[key].from_card and key not in self.entered.dims

    def dims(self, *, shown: bool = False) -> dict[str, int]:
        """Named dims -> size (RunOptions.dims, --dim). `shown`: every size the editor shows, also those left to
        the model (to inspect the model at them: MACs at the sizes the run will use)."""
        return {s.symbol: self.size(k) for k, s in self.slots.items()
                if s.symbol is not None and (shown or not self._left_to_the_model(k))}

    def shapes(self, *, shown: bool = False) -> dict[str, list[int]]:
        """Whole shapes of the inputs that have an unnamed open dim or no shape (RunOptions.shapes, --shape).
        An input with a file attached is left out: the array fixes its own shape."""
        out: dict[str, list[int]] = {}
        for spec in self.inputs:
            if spec.name in self.entered.files:
                continue
            if spec.whole_shape:
                parsed = parse_shape_text(self.entered.shapes.get(spec.name, ""))
                if parsed is not None:
                    out[spec.name] = parsed
                continue
            if not any(is_dynamic(d) for d in spec.shape):
                continue
            keys = self._slots_of(spec.name)
            if keys and not shown and all(self._left_to_the_model(k) for k in keys):
                continue
            out[spec.name] = [d if isinstance(d, int) and d > 0 else self.size(self.slot_of(spec.name, a))
                              for a, d in enumerate(spec.shape)]
        return out

    def inputs_data(self) -> dict[str, str]:
        """Input -> value or file (RunOptions.inputs, --input); a file wins over a value."""
        out = {k: v.strip() for k, v in self.entered.values.items() if v.strip()}
        out.update(self.entered.files)
        return out

    def options(self) -> dict[str, dict]:
        """RunOptions.copy(**options()): shapes, dims and inputs."""
        return {"shapes": self.shapes(), "dims": self.dims(), "inputs": self.inputs_data()}

    def problems(self) -> list[tuple[str, str]]:
        """(message, hint) for what a run cannot do without: a value, a shape."""
        out = []
        for spec in self.inputs:
            if spec.name in self.entered.files:
                continue
            if spec.needs_value and not self.entered.values.get(spec.name, "").strip():
                example = f" (e.g. {spec.value_hint})" if spec.value_hint else ""
                out.append((f"Input '{spec.name}' needs a value: synthetic data cannot stand in for it.",
                            f"Type its value{example} under Inputs, in the Model tab."))
            if spec.whole_shape:
                text = self.entered.shapes.get(spec.name, "")
                if parse_shape_text(text) is None:
                    what = f"'{text.strip()}' is not a shape" if text.strip() else "the model gives no shape"
                    out.append((f"Input '{spec.name}': {what}.",
                                "Type its shape under Inputs, e.g. 1,3,224,224, or attach a .npy file."))
        for key, slot in self.slots.items():  # no silent default: a size nothing hints at is the user's to give
            if slot.needed and key not in self.entered.dims and not all(n in self.entered.files for n, _ in slot.uses):
                out.append((f"{slot.label}: the model gives no hint for this size.",
                            "Set it under Inputs, in the Model tab, to the size of your real input."))
        return out

    # -- editing -----------------------------------------------------------
    def set_size(self, key: str, value: int) -> None:
        if key not in self.slots or not 1 <= int(value) <= MAX_DIM:
            return
        if self.entered.dims.get(key) != int(value):
            self.entered.dims[key] = int(value)
            self._changed()

    def apply_preset(self, name: str, size: int) -> None:
        """Height and width of an image input to `size` (one change for both)."""
        changed = False
        for key in self._slots_of(name):
            if self.slots[key].role in (Role.HEIGHT, Role.WIDTH) and self.entered.dims.get(key) != size:
                self.entered.dims[key] = size
                changed = True
        if changed:
            self._changed()

    def set_shape_text(self, name: str, text: str) -> None:
        if self.entered.shapes.get(name, "") != text:
            self.entered.shapes[name] = text
            self._changed()

    def set_value(self, name: str, text: str) -> None:
        if self.entered.values.get(name, "") != text:
            self.entered.values[name] = text
            self._changed()

    def attach(self, name: str, path: str) -> None:
        if self.entered.files.get(name) != path:
            self.entered.files[name] = path
            self._changed()

    def detach(self, name: str) -> None:
        if self.entered.files.pop(name, None) is not None:
            self._changed()

    def _changed(self) -> None:
        if self.memory is not None and self.sha256:
            self.memory.remember(self.sha256, self.entered.to_json())
        self.changed.emit()


def _card_dim_values(card: Mapping) -> tuple[dict[str, int], dict[str, int], set[str]]:
    """(guessed, sized by the model layer otherwise, needed) open dims, keyed like the slots (the dim's
    name, or "input[axis]"), from the card's per-axis `input_dims` (app.model.dims)."""
    guessed: dict[str, int] = {}
    sized: dict[str, int] = {}
    needed: set[str] = set()
    for name, axes in (card.get("input_dims") or {}).items():
        for axis, d in enumerate(axes):
            value, source = d.get("value"), d.get("source")
            key = d.get("name") or f"{name}[{axis}]"
            if source == "needed":
                needed.add(key)
            elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
                continue
            elif source == "guessed":
                guessed.setdefault(key, value)
            else:  # model, bound, hint, default
                sized.setdefault(key, value)
    return guessed, sized, needed


def _layout(card: Mapping) -> tuple[list[InputSlots], dict[str, DimSlot]]:
    """The inputs and their open-dim slots, from a ModelCard.to_dict()."""
    guessed, defaulted, needed = _card_dim_values(card)
    resolved = card.get("resolved_shapes") or {}
    needs = card.get("value_needs") or {}
    uses: dict[str, list[tuple[str, int]]] = {}
    first: dict[str, str] = {}  # named dim -> the input that shows it
    roles: dict[str, Role] = {}
    card_size: dict[str, int] = {}
    inputs = []
    for spec in card["inputs"]:  # a ModelCard.to_dict() always lists them
        name, dtype, shape = str(spec.get("name")), str(spec.get("dtype") or ""), spec.get("shape")
        if spec.get("dtype") in ("sequence", "map", "optional", "sparse tensor"):
            inputs.append(InputSlots(name, dtype, shape))
            continue
        own = []
        axis_roles = roles_by_axis(shape or [], dtype)
        for axis, d in enumerate(shape or []):
            if is_named(d):
                key, role = d, role_of_name(d)
                if role is Role.OTHER:
                    role = axis_roles[axis]
                first.setdefault(key, name)
            elif is_dynamic(d):
                key, role = f"{name}[{axis}]", axis_roles[axis]
            else:
                continue
            uses.setdefault(key, []).append((name, axis))
            roles.setdefault(key, role)
            known = resolved.get(name) or []
            got = known[axis] if axis < len(known) else None
            if isinstance(got, int) and not isinstance(got, bool) and got > 0:
                card_size.setdefault(key, got)
            if first.get(key, name) == name and key not in own:
                own.append(key)
        need = needs.get(name) or {}
        inputs.append(InputSlots(name, dtype, shape, tuple(own), scalar=shape == [],
                                 needs_value=bool(need) and need.get("default") is None,
                                 value_hint=str(need.get("example") or "")))
    slots = {}
    for key, where in uses.items():
        role = roles[key]
        size = guessed.get(key) or defaulted.get(key) or card_size.get(key) or DEFAULTS[role]
        size = int(size) if isinstance(size, int) and 1 <= size <= MAX_DIM else DEFAULTS[role]
        slots[key] = DimSlot(key, key if key in first else None, tuple(where), role, size, guessed=key in guessed,
                             from_card=key in guessed or key in defaulted, needed=key in needed)
    return inputs, slots

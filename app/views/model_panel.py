"""ModelPanel: the model card, the input-shape editor and per-input data.

Shows what `app.model.model_card.inspect_model` found, and edits
app.state.inputs.InputSetupState: one size box per open dim, labelled with its
input and axis (`x[2] (height)`; a named dim once, with every input that uses
it), image-size presets, a whole-shape field for an input the model gives no
shape, a value for scalar inputs, and a .npy/.npz file for any input. Every edit
emits `dims_changed` (debounced by the workflow, which re-inspects so MACs and
shapes follow).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.common.fmt import fmt_bytes, fmt_si
from app.state.inputs import IMAGE_PRESETS, MAX_DIM, InputSetupState, InputSlots, is_dynamic
from app.views import theme
from app.views.plain import WrapLabel, breakable, tip


def _si(n: float | None) -> str:
    return fmt_si(n, sep=" ")


def _plain(label: QLabel) -> QLabel:
    """Text from the model file (names, producer, notes) is shown as typed, never as rich text."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _dim(d) -> str:
    return "?" if d is None or is_dynamic(d) else str(d)


def _shape(shape) -> str:
    if shape is None:
        return "unknown rank"
    return "[" + ", ".join(_dim(d) for d in shape) + "]"


class ModelPanel(QWidget):
    dims_changed = Signal(dict)  # named dim -> size, after any edit of sizes, shapes, values or files
    open_requested = Signal()
    quantise_requested = Signal()  # "Quantise…": a quantised copy of this (float) model

    def __init__(self, state: InputSetupState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state if state is not None else InputSetupState()
        self.card: dict | None = None
        self.path: str | None = None
        self._dim_spins: dict[str, QSpinBox] = {}  # slot key (a dim name or "x[2]") -> its size box
        self._shape_edits: dict[str, QLineEdit] = {}  # input with no shape -> its whole-shape field
        self._value_edits: dict[str, QLineEdit] = {}  # scalar input -> its value field
        self.preset_buttons: dict[str, list[QPushButton]] = {}  # image input -> 224² / 320² / 640²
        self._heads: dict[str, QLabel] = {}  # input -> its header in the editor (name, type, shape)
        self._shown_files: dict[str, str] = {}  # the attachments the inputs table shows
        self._sizes: tuple = ({}, {})  # dims and shapes at the last dims_changed

        self.title = _plain(QLabel("No model"))
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.subtitle = _plain(QLabel("Drop an .onnx file anywhere on the window, or use File > Open (Ctrl+O)."))
        self.subtitle.setWordWrap(True)
        self.subtitle.setEnabled(False)
        self.open_button = QPushButton("Open model…")
        self.open_button.setToolTip("Open an ONNX model (Ctrl+O). You can also drop one on the window.")
        self.open_button.clicked.connect(self.open_requested)
        self.quantise_button = QPushButton("Quantise…")
        self.quantise_button.clicked.connect(self.quantise_requested)

        self.facts = QFormLayout()
        self.facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.facts.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.facts_box = QGroupBox("Model card")
        self.facts_box.setLayout(self.facts)

        self.shapes_lay = QVBoxLayout()
        self.shape_problem = _plain(QLabel())  # why the sizes given do not fit the model (quotes input names)
        self.shape_problem.setWordWrap(True)
        self.shape_problem.setVisible(False)
        self.shapes_box = QGroupBox("Inputs")
        self.shapes_box.setToolTip("What a run feeds each input: the sizes the model leaves open (NPU compilers "
                                   "need static shapes, so they are bound before compiling), values, files. "
                                   "Kept per model.")
        shapes_outer = QVBoxLayout(self.shapes_box)
        shapes_outer.addLayout(self.shapes_lay)
        shapes_outer.addWidget(self.shape_problem)

        self.inputs_table = self._table(["Input", "Type", "Shape"])
        self.inputs_table.setToolTip("Model inputs as declared, and the shape a run uses (set under Inputs).")
        self.outputs_table = self._table(["Output", "Type", "Shape"])
        self.ops_table = self._table(["Op", "Count"])
        io_box = QGroupBox("Inputs and outputs")
        io_lay = QVBoxLayout(io_box)
        io_lay.addWidget(self.inputs_table)
        io_lay.addWidget(self.outputs_table)
        ops_box = QGroupBox("Operators")
        ops_lay = QVBoxLayout(ops_box)
        ops_lay.addWidget(self.ops_table)
        self.notes = _plain(QLabel())
        self.notes.setWordWrap(True)

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.quantise_button)
        header.addWidget(self.open_button)
        lay = QVBoxLayout(self)
        lay.addLayout(header)
        lay.addWidget(self.subtitle)
        lay.addWidget(self.shapes_box)  # first: what the user has to decide before a run
        lay.addWidget(self.facts_box)
        lay.addWidget(io_box)
        lay.addWidget(ops_box)
        lay.addWidget(self.notes)
        lay.addStretch(1)
        self.state.layout_changed.connect(self._on_layout_changed)
        self.state.changed.connect(self._on_inputs_changed)
        self.clear()

    @staticmethod
    def _table(headers: list[str]) -> QTableWidget:
        t = QTableWidget(0, len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.verticalHeader().setVisible(False)
        t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        t.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        t.setWordWrap(False)
        t.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a long name keeps its start and end; full in the tooltip
        h = t.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
        h.setMinimumSectionSize(48)
        # No horizontal scroll bar: it would cover the last row of a table sized to its rows.
        t.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        t.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 12)
        return t

    @staticmethod
    def _fit(t: QTableWidget, max_rows: int = 8) -> None:
        rows = min(max(t.rowCount(), 1), max_rows)
        t.setFixedHeight(t.horizontalHeader().sizeHint().height() + rows * t.verticalHeader().defaultSectionSize()
                         + 2 * t.frameWidth() + 2)

    # -- state -----------------------------------------------------------
    def clear(self) -> None:
        self.card, self.path = None, None
        self.title.setText("No model")
        self.subtitle.setText("Drop an .onnx file anywhere on the window, or use File > Open (Ctrl+O).")
        for box in (self.facts_box, self.shapes_box):
            box.setVisible(False)
        for t in (self.inputs_table, self.outputs_table, self.ops_table):
            t.parentWidget().setVisible(False)
        self.notes.setText("")
        self.set_quantisable(None)

    def set_quantisable(self, quantization: dict | None) -> None:
        """Quantise… is offered for a float model (the card's quantization format "none")."""
        fmt = quantization["format"] if quantization else None
        self.quantise_button.setEnabled(fmt == "none")
        self.quantise_button.setToolTip("A quantised copy of this model (QDQ int8/int16, or dynamic), then compare both"
                                        if fmt == "none" else f"Already quantised ({fmt})" if fmt
                                        else "Open a float model first")

    def show_card(self, card: dict, *, keep_dims: bool = False) -> None:
        """Fill the panel from ModelCard.to_dict(); keep_dims after a re-inspection with new sizes."""
        self.state.set_card(card)  # a no-op when the app state already has it (AppState wires it first)
        new_model = self.path != card["path"]
        self.card, self.path = card, card["path"]
        p = Path(card["path"])
        self.title.setText(breakable(p.name))  # a long file name wraps instead of widening the panel
        self.title.setToolTip(tip(str(p)))
        self.subtitle.setText(breakable(f"{fmt_bytes(card['file_bytes'] + card.get('external_bytes', 0))} · {p.parent}"))
        if "genai" in card:  # a generative model folder: its card, no input editor (the run builds the prompts)
            self._show_genai(card)
            return
        self._fill_facts(card)
        self.set_quantisable(card["quantization"])
        if not keep_dims or new_model or not self._dim_spins and self.state.slots:
            self._fill_shapes()
        else:
            self._update_heads(card)
        self._fill_io(card)
        self._fill_ops(card)
        self.notes.setText("\n".join(f"• {n}" for n in card.get("notes", [])))
        self.facts_box.setVisible(True)
        for t in (self.inputs_table, self.outputs_table, self.ops_table):
            t.parentWidget().setVisible(True)

    def _show_genai(self, card: dict) -> None:
        from app.views.genai_live import card_rows

        self._clear_shapes()
        while self.facts.rowCount():
            self.facts.removeRow(0)
        for label, value, hint in card_rows(card):
            v = WrapLabel(value)
            v.setToolTip(tip(f"{value}\n{hint}"))
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(f"{label}:", v)
        from app.views.ov_genai_card import is_ov_card

        runs_on = "ov-genai/ targets (OpenVINO IR, openvino-genai)" if is_ov_card(card) else "genai/ targets"
        self.notes.setText(f"• A generative model: it runs on {runs_on}; Run setup's Generation group sets the "
                           "prompt lengths, generated tokens, prompt file and generations (as aipcprof run MODEL_DIR "
                           "--prompt-tokens ... does).")
        self.facts_box.setVisible(True)
        self.shapes_box.setVisible(False)
        for t in (self.inputs_table, self.outputs_table, self.ops_table):
            t.parentWidget().setVisible(False)

    def _fill_facts(self, c: dict) -> None:
        while self.facts.rowCount():
            self.facts.removeRow(0)
        q = c["quantization"]
        quant = q["format"] if q["format"] == "none" else (
            f"{q['format']} — weights {', '.join(q['weights']) or '?'}, activations {', '.join(q['activations']) or '-'}")
        if q.get("scheme"):
            from app.model.model_card import scheme_text  # imports onnx: not before the first paint

            quant += f" — {scheme_text(q['scheme'])}"
        mix = ", ".join(f"{k} {v['share']:.0%}" for k, v in c["precision"].items()) or "no weights"
        if c["macs"] is None:
            macs = f"unknown — {c['macs_reason']}"
        else:
            at = ", ".join(f"{n} {_shape(s)}" for n, s in c["resolved_shapes"].items())
            macs = f"{_si(c['macs'])}MACs · {_si(c['flops'])}FLOPs at {at}"
        ops_total = c["nodes"] + c["subgraph_nodes"]
        rows = [
            ("Opset", ", ".join(f"{d} {v}" for d, v in c["opsets"].items()) + f" (IR {c['ir_version']})",
             "ONNX operator-set versions the model imports."),
            ("Producer", c["producer"] or "unknown", "Tool that exported the model."),
            ("Nodes", f"{c['nodes']}" + (f" (+{c['subgraph_nodes']} in subgraphs)" if c["subgraph_nodes"] else "")
             + f", {len(c['op_histogram'])} op types", f"{ops_total} nodes in all."),
            ("Parameters", f"{_si(c['parameters'])} ({fmt_bytes(c['parameter_bytes'])})",
             "Elements in initializers and Constant tensors."),
            ("Precision", f"{c['weight_precision']}  [{mix}]", "Number formats of the weights (share of elements)."),
            ("Quantisation", quant, "QDQ is the format NPUs (QNN, OpenVINO, Vitis AI) run natively."),
            ("Compute", macs, "Multiply-accumulates of one inference at the resolved input shapes."),
            ("File", f"{fmt_bytes(c['file_bytes'])}" + (f" + {fmt_bytes(c['external_bytes'])} external data"
                                                     if c.get("external_bytes") else "")
             + (f" · sha256 {c['sha256'][:12]}…" if c.get("sha256") else ""), c["path"]),
        ]
        for label, value, hint in rows:
            v = WrapLabel(value)
            v.setToolTip(tip(f"{value}\n{hint}"))
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(f"{label}:", v)

    # -- the input-shape editor ------------------------------------------
    def _on_layout_changed(self) -> None:
        if self.card is not None:
            self._fill_shapes()

    def _on_inputs_changed(self) -> None:
        """A size, shape, value or file changed (here, or by a preset): show it; sizes ask for a re-inspection."""
        st = self.state
        for key, spin in self._dim_spins.items():
            if key in st.slots and spin.value() != st.size(key):
                spin.blockSignals(True)
                spin.setValue(st.size(key))
                spin.blockSignals(False)
        if self.card is not None and self._shown_files != st.entered.files:
            self._fill_shapes()  # a value being typed is not redrawn under the cursor
        sizes = (self.dims(), self.shapes())
        if sizes != self._sizes:
            self._sizes = sizes
            self.dims_changed.emit(sizes[0])

    def show_shape_problem(self, message: str, hint: str = "") -> None:
        """The sizes given do not fit the model (from a re-inspection); "" hides it."""
        self.shape_problem.setText(f"{message} {hint}".strip())
        self.shape_problem.setStyleSheet(f"color: {theme.colors().error};")
        self.shape_problem.setVisible(bool(message))

    def _clear_shapes(self) -> None:
        self._heads.clear()
        self._value_edits.clear()
        self._dim_spins.clear()
        self._shape_edits.clear()
        self.preset_buttons.clear()
        while self.shapes_lay.count():
            item = self.shapes_lay.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

    def _fill_shapes(self) -> None:
        self._clear_shapes()
        st = self.state
        self._sizes = (st.dims(), st.shapes())
        self._shown_files = dict(st.entered.files)
        shown = False
        for spec in st.inputs:
            shown = True
            self.shapes_lay.addWidget(self._input_editor(spec))
        if st.missing_files:
            gone = _plain(QLabel("Attached before, not found now (synthetic data instead): "
                                 + ", ".join(Path(f).name for f in st.missing_files)))
            gone.setWordWrap(True)
            gone.setToolTip(tip("\n".join(st.missing_files)))
            self.shapes_lay.addWidget(gone)
            shown = True
        self.shapes_box.setVisible(shown)
        self._mark_attached()

    def _input_editor(self, spec: InputSlots) -> QWidget:
        st = self.state
        box = QWidget()
        box.setObjectName(f"shape_editor_{spec.name}")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 2, 0, 4)
        resolved = (self.card or {}).get("resolved_shapes", {}).get(spec.name, spec.shape)
        shape = _shape(spec.shape) if resolved == spec.shape else f"{_shape(spec.shape)} → {_shape(resolved)}"
        head = WrapLabel(f"{spec.name}   {spec.dtype}   {shape}")
        head.setObjectName(f"shape_head_{spec.name}")
        self._heads[spec.name] = head
        font = head.font()
        font.setBold(True)
        head.setFont(font)
        head.setToolTip(tip(f"Input '{spec.name}' as the model declares it; '?' is a size the model leaves open."))
        lay.addWidget(head)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setContentsMargins(12, 0, 0, 0)
        for key in spec.slots:
            slot = st.slots[key]
            spin = QSpinBox()
            spin.setRange(1, MAX_DIM)
            spin.setValue(st.size(key))
            spin.setKeyboardTracking(False)  # one re-inspection per edit, not per keystroke
            spin.setObjectName(f"dim_{key}")
            spin.setMinimumWidth(90)
            spin.setMaximumWidth(140)
            why = ("a named dim: every input that has it gets this size" if slot.symbol
                   else "a size the model leaves open without a name")
            guess = ("\nThe model card guessed this size from the model; check it." if slot.guessed else "")
            spin.setToolTip(tip(f"{slot.label}: {why}.{guess}"))
            spin.valueChanged.connect(lambda v, k=key: st.set_size(k, v))
            self._dim_spins[key] = spin
            label = WrapLabel(slot.label + (" · guessed" if slot.guessed else ""))
            if slot.guessed:
                label.setStyleSheet(f"color: {theme.colors().warn};")
            form.addRow(label, spin)
        if spec.whole_shape:
            edit = QLineEdit(st.entered.shapes.get(spec.name, ""))
            edit.setPlaceholderText("e.g. 1,3,224,224")
            edit.setObjectName(f"shape_{spec.name}")
            edit.setToolTip(tip(f"The model gives no shape for '{spec.name}': type all its dims."))
            edit.editingFinished.connect(lambda n=spec.name, e=edit: st.set_shape_text(n, e.text()))
            self._shape_edits[spec.name] = edit
            form.addRow(_plain(QLabel(f"{spec.name} shape")), edit)
        lay.addLayout(form)
        if st.is_image(spec.name):
            row = QHBoxLayout()
            row.setContentsMargins(12, 0, 0, 0)
            row.addWidget(QLabel("Presets:"))
            buttons = []
            for size in IMAGE_PRESETS:
                b = QPushButton(f"{size}²")
                b.setObjectName(f"preset_{spec.name}_{size}")
                b.setToolTip(f"Height and width of '{spec.name}' to {size} x {size}.")
                b.clicked.connect(lambda _=False, n=spec.name, sz=size: st.apply_preset(n, sz))
                row.addWidget(b)
                buttons.append(b)
            row.addStretch(1)
            self.preset_buttons[spec.name] = buttons
            lay.addLayout(row)
        lay.addLayout(self._data_row(spec))
        return box

    def _update_heads(self, c: dict) -> None:
        """After a re-inspection: each input's header shows the shape the run will use."""
        for spec in self.state.inputs:
            head = self._heads.get(spec.name)
            resolved = c.get("resolved_shapes", {}).get(spec.name, spec.shape)
            if head is not None:
                shape = _shape(spec.shape) if resolved == spec.shape else f"{_shape(spec.shape)} → {_shape(resolved)}"
                head.setText(f"{spec.name}   {spec.dtype}   {shape}")

    def _mark_attached(self) -> None:
        """An input with a file attached takes its shape from the array: its size boxes are off."""
        st = self.state
        for spec in st.inputs:
            attached = spec.name in st.entered.files
            keys = [k for k in spec.slots if st.slots[k].symbol is None]
            widgets = [self._dim_spins[k] for k in keys if k in self._dim_spins]
            widgets += [self._shape_edits[spec.name]] if spec.name in self._shape_edits else []
            widgets += self.preset_buttons.get(spec.name, [])
            for w in widgets:
                w.setEnabled(not attached)

    # -- inputs, outputs, ops --------------------------------------------
    def _fill_io(self, c: dict) -> None:
        t = self.inputs_table
        t.setRowCount(len(c["inputs"]))
        for row, i in enumerate(c["inputs"]):
            resolved = c["resolved_shapes"].get(i["name"], i["shape"])
            shape = _shape(i["shape"]) if resolved == i["shape"] else f"{_shape(i['shape'])} → {_shape(resolved)}"
            for col, text in enumerate((i["name"], i["dtype"], shape)):
                item = QTableWidgetItem(text)
                item.setToolTip(tip(text))
                t.setItem(row, col, item)
        o = self.outputs_table
        o.setRowCount(len(c["outputs"]))
        for row, out in enumerate(c["outputs"]):
            for col, text in enumerate((out["name"], out["dtype"], _shape(out["shape"]))):
                item = QTableWidgetItem(text)
                item.setToolTip(tip(text))
                o.setItem(row, col, item)
        self._fit(t)
        self._fit(o)

    def _data_row(self, spec: InputSlots) -> QHBoxLayout:
        """A scalar's value, and the file attached instead of synthetic data (or the button to attach one)."""
        st = self.state
        row = QHBoxLayout()
        row.setContentsMargins(12, 0, 0, 0)
        name, files = spec.name, st.entered.files
        if spec.scalar:  # a value is the natural way to give a scalar
            row.addWidget(QLabel("Value:"))
            edit = QLineEdit(st.entered.values.get(name, ""))
            hint = spec.value_hint
            edit.setPlaceholderText(f"needs a value (e.g. {hint})" if spec.needs_value and hint else
                                    "needs a value" if spec.needs_value else "synthetic")
            edit.setToolTip(tip(f"Value for the scalar input '{name}' ({spec.dtype}); "
                                + ("the run needs it." if spec.needs_value else "empty = synthetic.")))
            edit.setObjectName(f"value_{name}")
            edit.setMaximumWidth(160)
            needed = spec.needs_value and name not in files
            self._mark_needed(edit, needed)
            edit.textEdited.connect(lambda text, n=name, e=edit, need=needed: (st.set_value(n, text),
                                                                                self._mark_needed(e, need)))
            self._value_edits[name] = edit
            row.addWidget(edit)
        else:
            row.addWidget(QLabel("Data:"))
        label = _plain(QLabel(Path(files[name]).name if name in files else ("" if spec.scalar else "synthetic")))
        label.setObjectName(f"data_{name}")
        label.setEnabled(name in files)
        if name in files:
            label.setToolTip(tip(files[name]))
        attach = QPushButton("Attach…" if name not in files else "Detach")
        attach.setObjectName(f"attach_{name}")
        attach.setToolTip("Use a .npy/.npz file for this input instead of synthetic data."
                          if name not in files else "Back to synthetic data.")
        attach.clicked.connect(lambda _=False, n=name: self._on_attach_clicked(n))
        row.addWidget(label, 1)
        row.addWidget(attach)
        return row

    @staticmethod
    def _mark_needed(edit: QLineEdit, needed: bool) -> None:
        """A value the run cannot do without, still empty: outlined in the error colour."""
        edit.setStyleSheet(f"border: 1px solid {theme.colors().error};" if needed and not edit.text().strip()
                           else "")

    def _on_attach_clicked(self, name: str) -> None:
        if name in self.state.entered.files:
            self.state.detach(name)
            return
        path, _ = QFileDialog.getOpenFileName(self, f"Data for input '{name}'", "",
                                              "NumPy arrays (*.npy *.npz);;All files (*)")
        if path:
            self.state.attach(name, path)

    def _fill_ops(self, c: dict) -> None:
        t = self.ops_table
        hist = list(c["op_histogram"].items())
        t.setRowCount(len(hist))
        macs = c.get("macs_by_op") or {}
        for row, (op, n) in enumerate(hist):
            t.setItem(row, 0, QTableWidgetItem(op))
            item = QTableWidgetItem(str(n))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if op in macs:
                item.setToolTip(tip(f"{_si(macs[op])}MACs in {op} nodes"))
            t.setItem(row, 1, item)
        self._fit(t, max_rows=10)

    # -- what a run needs ------------------------------------------------
    def dims(self) -> dict[str, int]:
        """Named dim -> size (RunOptions.dims)."""
        return self.state.dims()

    def shapes(self) -> dict[str, list[int]]:
        """Input -> whole shape, for inputs with unnamed open dims or no shape (RunOptions.shapes)."""
        return self.state.shapes()

    def inputs(self) -> dict[str, str]:
        """Input -> file or value text (RunOptions.inputs; empty = synthetic)."""
        return self.state.inputs_data()

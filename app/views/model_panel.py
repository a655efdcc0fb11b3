"""ModelPanel: the model card, the symbolic-dim editor and per-input data.

Shows what `app.model.model_card.inspect_model` found. Editing a dim emits
`dims_changed` (debounced by the window, which re-inspects so MACs follow the
resolved shapes). Scalar inputs get a value field; any input can take a
.npy/.npz file instead of synthetic data.
"""

from __future__ import annotations

import re
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

from app.report.text import fmt_bytes, fmt_si
from app.views.plain import tip

_BATCH = re.compile(r"(?i)^(n|b|bs|nbatch|batch|batch_?size|.*batch.*)$")
_SEQ = re.compile(r"(?i)seq|len|token|sentence|past|total|position")
_SPATIAL = re.compile(r"(?i)^(h|w|height|width|img|image|size|.*_h|.*_w)$")


def default_dim(name: str) -> int:
    """A sensible starting value for a symbolic dim: batch 1, sequences 128, images 224."""
    if _BATCH.match(name):
        return 1
    if _SEQ.search(name):
        return 128
    if _SPATIAL.match(name):
        return 224
    return 1


def _si(n: float | None) -> str:
    return fmt_si(n, sep=" ")


def _plain(label: QLabel) -> QLabel:
    """Text from the model file (names, producer, notes) is shown as typed, never as rich text."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def _shape(shape) -> str:
    if shape is None:
        return "unknown rank"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


class ModelPanel(QWidget):
    dims_changed = Signal(dict)  # symbolic dim -> value
    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card: dict | None = None
        self.path: str | None = None
        self._dim_spins: dict[str, QSpinBox] = {}
        self._value_edits: dict[str, QLineEdit] = {}
        self._files: dict[str, str] = {}  # input -> attached .npy/.npz

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

        self.facts = QFormLayout()
        self.facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.facts_box = QGroupBox("Model card")
        self.facts_box.setLayout(self.facts)

        self.dims_form = QFormLayout()
        self.dims_box = QGroupBox("Symbolic dimensions")
        self.dims_box.setToolTip("The model leaves these sizes open; pick the values to run with. "
                                 "NPU compilers need static shapes, so they are bound before compiling.")
        self.dims_box.setLayout(self.dims_form)

        self.inputs_table = self._table(["Input", "Type", "Shape", "Data"])
        self.inputs_table.setToolTip("Model inputs. Data: synthetic (seeded) unless you type a value or attach a file.")
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
        header.addWidget(self.open_button)
        lay = QVBoxLayout(self)
        lay.addLayout(header)
        lay.addWidget(self.subtitle)
        lay.addWidget(self.facts_box)
        lay.addWidget(self.dims_box)
        lay.addWidget(io_box)
        lay.addWidget(ops_box)
        lay.addWidget(self.notes)
        lay.addStretch(1)
        self.clear()

    @staticmethod
    def _table(headers: list[str]) -> QTableWidget:
        t = QTableWidget(0, len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.verticalHeader().setVisible(False)
        t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        t.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        h = t.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        h.setStretchLastSection(True)
        t.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 8)
        return t

    @staticmethod
    def _fit(t: QTableWidget, max_rows: int = 8) -> None:
        rows = min(max(t.rowCount(), 1), max_rows)
        t.setFixedHeight(t.horizontalHeader().height() + rows * t.verticalHeader().defaultSectionSize() + 4)

    # -- state -----------------------------------------------------------
    def clear(self) -> None:
        self.card, self.path = None, None
        self.title.setText("No model")
        self.subtitle.setText("Drop an .onnx file anywhere on the window, or use File > Open (Ctrl+O).")
        for box in (self.facts_box, self.dims_box):
            box.setVisible(False)
        for t in (self.inputs_table, self.outputs_table, self.ops_table):
            t.parentWidget().setVisible(False)
        self.notes.setText("")

    def show_card(self, card: dict, *, keep_dims: bool = False) -> None:
        """Fill the panel from ModelCard.to_dict(); keep_dims after a re-inspection with new dims."""
        new_model = self.path != card["path"]
        self.card, self.path = card, card["path"]
        if new_model:
            self._files.clear()
        p = Path(card["path"])
        self.title.setText(p.name)
        self.title.setToolTip(tip(str(p)))  # tooltips are rich text: names from the file are escaped
        self.subtitle.setText(f"{fmt_bytes(card['file_bytes'] + card.get('external_bytes', 0))} · {p.parent}")
        self._fill_facts(card)
        if not keep_dims or new_model:
            self._fill_dims(card)
        self._fill_io(card)
        self._fill_ops(card)
        self.notes.setText("\n".join(f"• {n}" for n in card.get("notes", [])))
        self.facts_box.setVisible(True)
        for t in (self.inputs_table, self.outputs_table, self.ops_table):
            t.parentWidget().setVisible(True)

    def _fill_facts(self, c: dict) -> None:
        while self.facts.rowCount():
            self.facts.removeRow(0)
        q = c["quantization"]
        quant = q["format"] if q["format"] == "none" else (
            f"{q['format']} — weights {', '.join(q['weights']) or '?'}, activations {', '.join(q['activations']) or '-'}")
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
        for label, value, help_text in rows:
            v = _plain(QLabel(value))
            v.setWordWrap(True)
            v.setToolTip(tip(help_text))
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(f"{label}:", v)

    def _fill_dims(self, c: dict) -> None:
        while self.dims_form.rowCount():
            self.dims_form.removeRow(0)
        self._dim_spins.clear()
        names = list(dict.fromkeys(d for i in c["inputs"] for d in (i["shape"] or []) if isinstance(d, str)))
        for name in names:
            spin = QSpinBox()
            spin.setRange(1, 1_000_000)
            spin.setValue(int(c.get("defaulted_dims", {}).get(name) or default_dim(name)))
            spin.setToolTip(tip(f"Value for the symbolic dim '{name}' (used by every input that has it)."))
            spin.setKeyboardTracking(False)  # one re-inspection per edit, not per keystroke
            spin.valueChanged.connect(lambda _v: self.dims_changed.emit(self.dims()))
            spin.setObjectName(f"dim_{name}")
            self._dim_spins[name] = spin
            self.dims_form.addRow(_plain(QLabel(f"{name}:")), spin)
        self.dims_box.setVisible(bool(names))

    def _fill_io(self, c: dict) -> None:
        t = self.inputs_table
        t.setRowCount(len(c["inputs"]))
        old_values = {k: e.text() for k, e in self._value_edits.items()}
        self._value_edits.clear()
        for row, i in enumerate(c["inputs"]):
            resolved = c["resolved_shapes"].get(i["name"], i["shape"])
            shape = _shape(i["shape"]) if resolved == i["shape"] else f"{_shape(i['shape'])} → {_shape(resolved)}"
            for col, text in enumerate((i["name"], i["dtype"], shape)):
                item = QTableWidgetItem(text)
                item.setToolTip(tip(text))
                t.setItem(row, col, item)
            t.setCellWidget(row, 3, self._data_cell(i, old_values.get(i["name"], "")))
        o = self.outputs_table
        o.setRowCount(len(c["outputs"]))
        for row, out in enumerate(c["outputs"]):
            for col, text in enumerate((out["name"], out["dtype"], _shape(out["shape"]))):
                o.setItem(row, col, QTableWidgetItem(text))
        self._fit(t)
        self._fit(o)

    def _data_cell(self, spec: dict, old_value: str) -> QWidget:
        cell = QWidget()
        lay = QHBoxLayout(cell)
        lay.setContentsMargins(2, 0, 2, 0)
        name = spec["name"]
        if spec["shape"] == []:  # a scalar: a value is the natural way to give it
            edit = QLineEdit(old_value)
            edit.setPlaceholderText("synthetic")
            edit.setToolTip(tip(f"Value for the scalar input '{name}' ({spec['dtype']}); empty = synthetic."))
            edit.setObjectName(f"value_{name}")
            self._value_edits[name] = edit
            lay.addWidget(edit)
        label = _plain(QLabel(Path(self._files[name]).name if name in self._files else
                              ("" if spec["shape"] == [] else "synthetic")))
        label.setEnabled(name in self._files)
        attach = QPushButton("Attach…" if name not in self._files else "×")
        attach.setToolTip("Use a .npy/.npz file for this input instead of synthetic data."
                          if name not in self._files else "Back to synthetic data.")
        attach.clicked.connect(lambda _=False, n=name: self._on_attach_clicked(n))
        lay.addWidget(label, 1)
        lay.addWidget(attach)
        return cell

    def _on_attach_clicked(self, name: str) -> None:
        if name in self._files:
            del self._files[name]
        else:
            path, _ = QFileDialog.getOpenFileName(self, f"Data for input '{name}'", "",
                                                  "NumPy arrays (*.npy *.npz);;All files (*)")
            if not path:
                return
            self._files[name] = path
        if self.card:
            self._fill_io(self.card)

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
        return {name: spin.value() for name, spin in self._dim_spins.items()}

    def inputs(self) -> dict[str, str]:
        """input -> file or value text, for RunSpec.inputs (empty = synthetic)."""
        out = {name: e.text().strip() for name, e in self._value_edits.items() if e.text().strip()}
        out.update(self._files)
        return out

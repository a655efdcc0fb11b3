"""OperatorsPanel: the results' Operators tab, bound to an OpsViewState (app.state.ops_view).

A sortable tree of the run's operators (by node: the EP's own rows under a
fused partition node; by op type: each type's nodes under it, listed when the
type is clicked in the tree or the chart) and a bar chart of the slowest,
coloured by device. A run without a usable profile shows why (the reason from
the record) instead of a table. Node names come from the model: tree items and
painted text never render markup; tooltips go through `tip()`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.common.fmt import fmt_ms, fmt_share
from app.record.ops import OpBy, OpRow
from app.record.schema import OpStatus, RunRecord
from app.report import palette as pal
from app.state.ops_view import CHART_TOP, OpsViewState
from app.views import theme
from app.views.ops_charts import OpBarsWidget
from app.views.plain import WrapLabel, tip

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's node name or op type
COLUMNS = {OpBy.NODE: ("Node", "Time / inference", "Share", "Type", "Device", "Calls", "Kernel / precision"),
           OpBy.TYPE: ("Op type", "Time / inference", "Share", "Nodes", "Device", "Calls", "Kernel / precision")}
TIME_COLUMN, TYPE_COLUMN = 1, 3
NUMBER_COLUMNS = (1, 2, 5)
UNTIMED = {OpStatus.NOT_RUN: "not run", OpStatus.OPTIMIZED_OUT: "optimized out", OpStatus.FUSED: "fused"}


def chart_colors() -> pal.Palette:
    return pal.DARK if theme.is_dark() else pal.LIGHT


class _Item(QTreeWidgetItem):
    """Sorts by the value each column keeps in SORT_ROLE (times as numbers; untimed rows last)."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        col = self.treeWidget().sortColumn() if self.treeWidget() else 0
        a, b = self.data(col, SORT_ROLE), other.data(col, SORT_ROLE)
        if a is None or b is None:
            return super().__lt__(other)
        return a < b


def _time_text(row: OpRow) -> str:
    """The time per inference; an untimed node says what the runtime did with it (never a 0)."""
    if row.time_s is None and row.status in UNTIMED:
        return UNTIMED[row.status]
    return fmt_ms(row.time_s)


def _item(row: OpRow, by: OpBy, under_type: bool = False) -> _Item:
    """One tree row; `under_type`: a node listed under its op type (its type is the parent's)."""
    kernel = " / ".join(x for x in (row.exec_type, row.precision) if x)
    second = "" if under_type else row.op_type if by is OpBy.NODE else str(row.nodes)
    texts = (row.key, _time_text(row), fmt_share(row.share), second, row.device, str(row.calls), kernel)
    untimed = -1.0  # sorts below every measured time
    sorts = (row.key.lower(), row.time_s if row.time_s is not None else untimed,
             row.share if row.share is not None else untimed, second.lower() if by is OpBy.NODE else row.nodes,
             row.device.lower(), row.calls, kernel.lower())
    item = _Item([str(t) for t in texts])
    for col, value in enumerate(sorts):
        item.setData(col, SORT_ROLE, value)
    for col in NUMBER_COLUMNS:
        item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setData(0, KEY_ROLE, row.key)
    where = f"inside {row.partition} (the EP's own clock; share of that node)" if row.partition else ""
    item.setToolTip(0, tip("\n".join(x for x in (row.key, row.op_type, where) if x)))
    if row.time_s is None and row.status in UNTIMED:
        item.setToolTip(TIME_COLUMN, tip(f"The runtime reports this node as {UNTIMED[row.status]}: no time of its "
                                         "own (a fused node's time is counted in the node it was fused into)."))
    return item


class OperatorsPanel(QWidget):
    """The Operators tab of the results."""

    def __init__(self, state: OpsViewState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state or OpsViewState()
        self.by_node = QRadioButton("By node")
        self.by_type = QRadioButton("By op type")
        self.by_node.setToolTip("Every node the runtime ran; a fused EP partition lists the EP's own ops under it.")
        self.by_type.setToolTip("Nodes totalled per op type; click a type to list its nodes.")
        group = QButtonGroup(self)
        group.addButton(self.by_node)
        group.addButton(self.by_type)
        self.by_node.setChecked(True)
        self.by_node.toggled.connect(self._on_by_node_toggled)
        self.info = WrapLabel()
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = WrapLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self._build_split())
        head = QHBoxLayout()
        head.addWidget(QLabel("Show:"))
        head.addWidget(self.by_node)
        head.addWidget(self.by_type)
        head.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(head)
        lay.addWidget(self.info)
        lay.addWidget(self.stack, 1)
        self._shown: tuple | None = None  # (record, grouping) the tree was filled for
        self.state.changed.connect(self._on_state_changed)
        self._on_state_changed()

    def _build_split(self) -> QSplitter:
        """The table (with the selected type's nodes under it) beside the chart."""
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSortingEnabled(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.tree.itemClicked.connect(self._on_tree_item_clicked)
        self.selection = WrapLabel()
        self.selection.setVisible(False)
        self.chart = OpBarsWidget(chart_colors())
        self.chart.bar_clicked.connect(self._on_chart_bar_clicked)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addWidget(self.tree, 1)
        left_lay.addWidget(self.selection)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(left)
        self.chart_area = QScrollArea()
        self.chart_area.setWidgetResizable(True)
        self.chart_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.chart_area.setWidget(self.chart)
        self.split.addWidget(self.chart_area)
        self.split.setSizes([560, 440])
        return self.split

    def restyle(self) -> None:
        """The OS switched light / dark: the chart's colours follow (the tree follows the app palette)."""
        self.chart.set_colors(chart_colors())

    # -- input -----------------------------------------------------------
    def show_record(self, r: RunRecord | None) -> None:
        self.state.set_record(r)

    def _on_by_node_toggled(self, checked: bool) -> None:
        self.state.set_by(OpBy.NODE if checked else OpBy.TYPE)

    def _on_tree_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        st = self.state
        if st.by is OpBy.TYPE and item.parent() is None:
            st.select_type(item.data(0, KEY_ROLE))
        elif st.by is OpBy.NODE and column == TYPE_COLUMN and item.parent() is None:
            op_type = item.text(TYPE_COLUMN)  # read first: the switch below fills the tree again
            self.by_type.setChecked(True)  # a click on a node's type: that type, with its nodes
            st.select_type(op_type)

    def _on_chart_bar_clicked(self, label: str) -> None:
        if self.state.by is OpBy.TYPE:
            self.state.select_type(label)
        else:
            self._select_key(label)

    # -- output ----------------------------------------------------------
    def _on_state_changed(self) -> None:
        st = self.state
        self.chart.set_colors(chart_colors())
        self.by_node.blockSignals(True)
        (self.by_node if st.by is OpBy.NODE else self.by_type).setChecked(True)
        self.by_node.blockSignals(False)
        message = st.message
        self.by_node.setEnabled(not message)
        self.by_type.setEnabled(not message)
        if message:
            self._shown = None
            self.message.setText(message)
            self.info.setVisible(False)
            self.stack.setCurrentWidget(self.message)
            self.tree.clear()
            self.chart.set_sections([], "")
            return
        shown = (id(st.record), st.by)
        if shown != self._shown:  # a click on a type only changes the selection: the tree and its order stay
            self._shown = shown
            self.info.setText("\n".join(st.header_lines()))
            self.info.setVisible(True)
            self._fill_tree()
            self._fill_chart()
        self._show_selection()
        self.stack.setCurrentWidget(self.split)

    def _fill_tree(self) -> None:
        st, tree = self.state, self.tree
        tree.setSortingEnabled(False)
        tree.clear()
        tree.setHeaderLabels(list(COLUMNS[st.by]))
        parent = None
        for row in st.rows():
            item = _item(row, st.by)
            if row.partition and parent is not None:
                parent.addChild(item)
            else:
                tree.addTopLevelItem(item)
                parent = item
        if st.by is OpBy.TYPE:
            for i in range(tree.topLevelItemCount()):
                type_item = tree.topLevelItem(i)
                nodes = st.nodes_of_type(type_item.data(0, KEY_ROLE))
                type_item.addChildren([_item(r, OpBy.NODE, under_type=True) for r in nodes])
        nested = any(tree.topLevelItem(i).childCount() for i in range(tree.topLevelItemCount()))
        if st.by is OpBy.NODE:  # the EP's own rows of a fused partition: shown, not folded away
            for i in range(tree.topLevelItemCount()):
                tree.topLevelItem(i).setExpanded(True)
        tree.setRootIsDecorated(nested)  # no empty indent before flat rows
        tree.setSortingEnabled(True)
        tree.sortByColumn(TIME_COLUMN, Qt.SortOrder.DescendingOrder)
        for col in range(1, tree.columnCount() - 1):
            tree.resizeColumnToContents(col)
        fm, indent = tree.fontMetrics(), tree.indentation()
        names = [(tree.topLevelItem(i).text(0), 1) for i in range(tree.topLevelItemCount())]
        names += [(item.child(k).text(0), 2) for item in map(tree.topLevelItem, range(tree.topLevelItemCount()))
                  for k in range(item.childCount())]
        want = max((fm.horizontalAdvance(t) + depth * indent + 12 for t, depth in names), default=160)
        tree.setColumnWidth(0, max(160, min(want, 240)))  # children too (resizeColumnToContents skips folded)

    def _fill_chart(self) -> None:
        st = self.state
        p = st.profile
        what = "operators" if st.by is OpBy.NODE else "op types"
        total = len(p.top) if st.by is OpBy.NODE else len(p.by_type)
        sections = st.sections(CHART_TOP)
        bars = sections[0].bars
        notes = []
        if total > len(bars):
            notes.append(f"{len(bars)} of {total} {what} shown")
        if st.untimed():
            where = "in the table" if st.by is OpBy.NODE else "listed By node"
            notes.append(f"{st.untimed()} untimed (fused / not run): {where}")
        self.chart.set_sections(sections, f"Slowest {what} (time per inference)",
                                "; ".join(notes))

    def _show_selection(self) -> None:
        st = self.state
        kind = st.selected_type
        if kind is None or st.by is not OpBy.TYPE:
            self.selection.setVisible(False)
            return
        nodes = st.type_nodes()
        timed = [r.time_s for r in nodes if r.time_s is not None]
        self.selection.setText(f"{kind}: {len(nodes)} node(s), {fmt_ms(sum(timed) if timed else None)} per "
                               f"inference: " + ", ".join(r.key for r in nodes))
        self.selection.setVisible(True)
        item = self._select_key(kind)
        if item is not None:
            item.setExpanded(True)

    def _select_key(self, key: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, KEY_ROLE) == key:
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                return item
        return None


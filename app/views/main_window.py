"""MainWindow: composes the panels, owns menus/shortcuts, drag and drop, settings, lifecycle.

Model loading and runs live in app.views.workflow (WorkflowMixin), the run
history, imports and comparisons in app.views.history_mixin (HistoryMixin), to
keep each module small; this file is layout and plumbing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.record.history import RunHistory
from app.views import theme
from app.views.banner import Banner
from app.views.charts_panel import ChartsPanel
from app.views.compare_view import CompareView
from app.views.devices_panel import DevicesPanel
from app.views.history_mixin import HistoryMixin
from app.views.history_panel import HistoryPanel
from app.views.jobs import JobRunner
from app.views.model_panel import ModelPanel
from app.views.results_panel import ResultsPanel
from app.views.run_controller import RunController
from app.views.run_setup_panel import RunSetupPanel
from app.views.workflow import WorkflowMixin

MAX_RECENT = 10


def _scroll(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class MainWindow(WorkflowMixin, HistoryMixin, QMainWindow):
    model_loaded = Signal(str)  # path
    model_failed = Signal(str)  # message
    targets_loaded = Signal(list)
    run_finished = Signal(object)  # a run's record (any status), a RunRecord
    all_runs_finished = Signal(list)  # every record of the last Run / Run on all targets
    history_changed = Signal(list)  # the history's entries, after every refresh
    runs_imported = Signal(list, list)  # entries added, error messages
    comparison_shown = Signal(int)  # number of runs compared

    def __init__(self, settings: QSettings, runs_dir: Path | None = None, sample_model: Path | None = None) -> None:
        """runs_dir: the run history's folder (default: app.record.history's, $AIPCPROF_DATA_DIR/runs if set)."""
        super().__init__()
        self.settings = settings
        self.sample_model = sample_model
        self.setWindowTitle("AI PC Profiler")
        self.setAcceptDrops(True)
        self.jobs = JobRunner(self)
        self.history = RunHistory(runs_dir)
        self.history_jobs = JobRunner(self, max_threads=1)  # one writer at a time on the history folder
        self.controller = RunController(self.history, self, jobs=self.history_jobs)
        self.records: list[dict] = []  # this session's runs, for the comparison table
        self._build_widgets()
        self._build_actions()
        self._build_layout()
        self._connect()
        self._restore_settings()
        self._update_actions()
        app = QGuiApplication.instance()
        if app is not None:
            QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_style_hints_color_scheme_changed)

    # -- construction ----------------------------------------------------
    def _build_widgets(self) -> None:
        self.banner = Banner(self)
        self.model_panel = ModelPanel()
        self.setup_panel = RunSetupPanel()
        self.devices_panel = DevicesPanel()
        self.charts = ChartsPanel(self.controller.live)
        self.results = ResultsPanel()
        self.history_panel = HistoryPanel()
        self.compare_view = CompareView(self.jobs)
        self.phase_label = QLabel("Idle")
        self.phase_label.setMinimumWidth(240)
        self.phase_label.setToolTip("Current phase of the run and its elapsed time.")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.progress.setToolTip("Progress of the measured loop; busy while compiling or warming up.")
        self.progress.setVisible(False)
        self.status_targets = QLabel()
        self.status_metrics = QLabel()
        self.status_metrics.setToolTip("Telemetry metrics with a live reading (Devices tab: the others and why).")
        self.statusBar().addPermanentWidget(self.status_targets)
        self.statusBar().addPermanentWidget(self.status_metrics)

    def _action(self, text: str, slot, shortcuts=(), tip: str = "") -> QAction:
        a = QAction(text, self)
        a.setShortcuts([QKeySequence(s) for s in shortcuts])
        a.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        tips = ", ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in shortcuts)
        a.setToolTip(f"{tip or text} ({tips})" if tips else tip or text)
        a.setStatusTip(tip or text)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        self.open_action = self._action("&Open Model…", self.open_dialog, [QKeySequence.StandardKey.Open],
                                        "Open an ONNX model")
        self.sample_action = self._action("Open &Sample Model", self.open_sample, (),
                                          "Open the small model that ships with the app")
        self.save_action = self._action("&Save Run As…", self.save_run_dialog, [QKeySequence.StandardKey.Save],
                                        "Save the last run record (JSON)")
        self.runs_action = self._action("Show Runs &Folder", self.show_runs_folder, (),
                                        "Where every run record is kept")
        self.import_action = self._action("&Import Runs…", self.import_dialog, ["Ctrl+I"],
                                          "Add run files (.json) to the history: from another PC or a bundle")
        self.quit_action = self._action("&Quit", self.close, [QKeySequence.StandardKey.Quit])
        self.run_action = self._action("&Run", self.run_selected, ["Ctrl+R", "F5"], "Run on the selected target")
        self.run_all_action = self._action("Run on &All Targets", self.run_all, ["Ctrl+Shift+R"],
                                           "Run the model on every ready target, one after another")
        self.stop_action = self._action("S&top", self.stop, ["Esc"], "Stop the run (works in every phase)")
        self.follow_action = self._action("&Follow Live", self._on_follow_triggered, ["Ctrl+L"],
                                          "Charts: follow the run again after zooming")
        icons = QStyle.StandardPixmap
        for a, icon in ((self.open_action, icons.SP_DialogOpenButton), (self.run_action, icons.SP_MediaPlay),
                        (self.run_all_action, icons.SP_MediaSeekForward), (self.stop_action, icons.SP_MediaStop),
                        (self.save_action, icons.SP_DialogSaveButton)):
            a.setIcon(self.style().standardIcon(icon))
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addAction(self.sample_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.runs_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        run_menu = menu.addMenu("&Run")
        for a in (self.run_action, self.run_all_action, self.stop_action):
            run_menu.addAction(a)
        view_menu = menu.addMenu("&View")
        for i, (text, key) in enumerate((("&Live Run", "Ctrl+1"), ("&History", "Ctrl+2"), ("&Comparison", "Ctrl+3"))):
            view_menu.addAction(self._action(text, lambda _=False, i=i: self.views.setCurrentIndex(i), [key]))
        view_menu.addSeparator()
        view_menu.addAction(self.follow_action)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("&About", self._on_about_triggered))
        tb = QToolBar("Main")
        tb.setObjectName("MainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (self.open_action, None, self.run_action, self.run_all_action, self.stop_action):
            tb.addSeparator() if a is None else tb.addAction(a)
        tb.addSeparator()
        tb.addWidget(self.phase_label)
        tb.addWidget(self.progress)
        self.addToolBar(tb)

    def _build_layout(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.addTab(_scroll(self.model_panel), "Model")
        self.tabs.addTab(self.devices_panel, "Devices")
        self.tabs.setTabToolTip(0, "The model card: inputs, outputs, dims, ops, precision, MACs.")
        self.tabs.setTabToolTip(1, "Accelerators, targets and telemetry on this PC.")
        self.left = QSplitter(Qt.Orientation.Vertical)
        self.left.setObjectName("LeftSplitter")
        self.left.addWidget(_scroll(self.setup_panel))
        self.left.addWidget(self.tabs)
        self.left.setStretchFactor(1, 1)
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.setObjectName("RightSplitter")
        self.right.addWidget(self.charts)
        self.right.addWidget(self.results)
        self.right.setStretchFactor(0, 3)
        self.right.setStretchFactor(1, 2)
        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        self.views.addTab(self.right, "Live Run")
        self.views.addTab(self.history_panel, "History")
        self.views.addTab(self.compare_view, "Comparison")
        self.views.setTabToolTip(0, "Live charts of the run, then its results (Ctrl+1).")
        self.views.setTabToolTip(1, "Every run kept on this PC: rename, delete, import, compare (Ctrl+2).")
        self.views.setTabToolTip(2, "Two or more runs side by side, and exports to share (Ctrl+3).")
        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.setObjectName("MainSplitter")
        self.main_split.addWidget(self.left)
        self.main_split.addWidget(self.views)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setSizes([440, 1000])
        self.left.setSizes([300, 600])
        self.right.setSizes([600, 260])
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.banner)
        lay.addWidget(self.main_split, 1)
        self.setCentralWidget(central)

    def _connect(self) -> None:
        c = self.controller
        c.ticked.connect(self._on_controller_ticked)
        c.run_started.connect(self._on_controller_run_started)
        c.run_finished.connect(self._on_controller_run_finished)
        c.error_raised.connect(self._on_controller_error_raised)
        c.batch_finished.connect(self._on_controller_batch_finished)
        c.record_saved.connect(self._on_controller_record_saved)
        c.run_stored.connect(lambda _entry: self.refresh_history())
        self._connect_history()
        self.model_panel.open_requested.connect(self.open_dialog)
        self.model_panel.dims_changed.connect(self._on_model_panel_dims_changed)
        self.charts.follow_changed.connect(lambda following: self.follow_action.setEnabled(not following))
        self._reinspect_timer = QTimer(self)
        self._reinspect_timer.setSingleShot(True)
        self._reinspect_timer.setInterval(250)  # debounce: one re-inspection per burst of dim edits
        self._reinspect_timer.timeout.connect(self._reinspect)

    # -- drag and drop ---------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        """.json files are run records (imported into the history); anything else is a model to open."""
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        runs = [f for f in files if f.lower().endswith(".json")]
        models = [f for f in files if not f.lower().endswith(".json")]
        if runs:
            self.import_runs(runs)
        if models:
            self.open_model(models[0])

    # -- settings --------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        for split in (self.main_split, self.left, self.right):
            state = s.value(f"window/{split.objectName()}")
            if state is not None:
                split.restoreState(state)
        s.beginGroup("run")
        self.setup_panel.restore_state({k: s.value(k) for k in s.childKeys()})
        s.endGroup()
        self._rebuild_recent_menu()

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        for split in (self.main_split, self.left, self.right):
            s.setValue(f"window/{split.objectName()}", split.saveState())
        for k, v in self.setup_panel.save_state().items():
            s.setValue(f"run/{k}", v)
        t = self.setup_panel.current_target()
        if t is not None:
            s.setValue("run/target", t.id)
        s.sync()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _add_recent(self, path: str) -> None:
        recent = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for path in recent:
            a = self.recent_menu.addAction(Path(path).name)
            a.setToolTip(path)
            a.triggered.connect(lambda _=False, p=path: self.open_model(p))
        self.recent_menu.setEnabled(bool(recent))

    # -- theme and lifecycle ---------------------------------------------
    def _on_style_hints_color_scheme_changed(self, _scheme) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app)
        self.charts.restyle()
        self.banner.restyle()

    def _on_follow_triggered(self) -> None:
        self.charts.follow()
        self.follow_action.setEnabled(False)

    def _on_about_triggered(self) -> None:
        self.banner.show_message("info", f"AI PC Profiler {__version__}",
                                 "Profile your own ONNX model on the CPU, GPU and NPU of this PC. "
                                 "The same engine runs headless: `aipcprof run MODEL --target ID`.")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        """Closing mid-run stops the worker at once: no child process outlives the window."""
        self.save_settings()
        self.controller.shutdown()
        self.jobs.wait(5000)
        self.history_jobs.wait(10_000)  # a run record being written finishes (atomic: never half a file)
        super().closeEvent(event)

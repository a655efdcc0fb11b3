"""MainWindow: composes the app state, the panels and the controllers; owns menus, drag and drop, settings.

The window holds no app state of its own: that is `self.state`
(app.state.AppState, no Qt). Controllers change it: `self.workflow`
(app.views.workflow.Workflow: open a model, run, stop, save) and
`self.history_controller` (app.views.history_controller: the run history,
imports, comparisons). Panels show it: each subscribes to the state's events
(wired in `_connect`), and the window's Qt signals below relay the moments
automation and tests wait for. This file is layout and plumbing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
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
from app.model.genai_folder import CONFIG as GENAI_CONFIG
from app.record.history import RunHistory
from app.record.schema import RunRecord
from app.report import facts
from app.state import AppState, InputMemory, View
from app.state.sweep import symbolic_dims
from app.views import theme
from app.views.accuracy_controller import AccuracyController
from app.views.accuracy_panel import AccuracyPanel
from app.views.banner import Banner
from app.views.charts_panel import ChartsPanel
from app.views.devices_panel import DevicesPanel
from app.views.drops import accept_local_files, local_files
from app.views.history_controller import HistoryController
from app.views.history_panel import HistoryPanel
from app.views.jobs import JobRunner
from app.views.model_panel import ModelPanel
from app.views.ops_panel import OperatorsPanel
from app.views.plain import tip
from app.views.results_panel import ResultsPanel
from app.views.run_controller import RunController
from app.views.run_setup_panel import RunSetupPanel
from app.views.steps import Steps
from app.views.sweep_controller import SweepController
from app.views.sweep_panel import SweepPanel
from app.views.team_controller import TeamController
from app.views.team_panel import TeamPanel
from app.views.workflow import Workflow

MAX_RECENT = 10
MIN_CARD_HEIGHT = 260  # px the model card / devices tabs keep when the run setup grows
DEFAULT_SIZE = (1440, 900)  # the first window, where the screen has room for it...
SCREEN_SHARE = 0.92  # ...else this share of the screen's free area (a 1280 x 800 laptop)
INPUT_MEMORY_FILE = "model_inputs.json"  # sizes, values and files entered per model (app.state.input_memory)


def config_dir(settings: QSettings) -> Path:
    """The folder of the app's settings: beside an INI file (tests, portable), else the OS config folder."""
    if settings.format() == QSettings.Format.IniFormat:
        return Path(settings.fileName()).parent
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation))


def _scroll(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


def _inventory() -> list | None:
    try:
        from app.probes.inventory import build_inventory
    except ImportError:
        return None
    return build_inventory()


class MainWindow(QMainWindow):
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
        self.state = AppState(InputMemory(config_dir(settings) / INPUT_MEMORY_FILE))
        self.jobs = JobRunner(self)
        self.history = RunHistory(runs_dir)
        self.history_jobs = JobRunner(self, max_threads=1)  # one writer at a time on the history folder
        self.controller = RunController(self.history, self, jobs=self.history_jobs)
        self.sweeps = SweepController(self.state, self.controller, self)
        self._build_widgets()
        self.workflow = Workflow(self.state, self.jobs, self.controller, self.model_panel, self)
        self.history_controller = HistoryController(self.state, self.history, self.history_jobs, self.history_panel,
                                                    lambda: self.compare_view, self.results, self)
        self.accuracy = AccuracyController(self.state, self.controller, self.jobs, self.accuracy_panel, self.model_panel,
                                           self.history_controller.show_comparison, self.workflow.open_model, self)
        self.team_jobs = JobRunner(self, max_threads=2)  # network calls: a hung server never delays a model load
        self.team_controller = TeamController(self.state, self.history, self.team_jobs, self.team_panel,
                                              self.history_controller)
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
        self.model_panel = ModelPanel(self.state.inputs)
        self.setup_panel = RunSetupPanel(self.state.run_setup)
        self.accuracy_panel = AccuracyPanel(self.state.accuracy)
        self.devices_panel = DevicesPanel()
        self.charts = ChartsPanel(self.controller.live)
        self.results = ResultsPanel()
        self.end_steps = Steps(self)  # the end of a run drawn in slices, one per event-loop turn
        self.operators = OperatorsPanel()
        self.history_panel = HistoryPanel()
        self.team_panel = TeamPanel()  # the History tab's "Team server" source (docs/team.md)
        self.history_sources = QTabWidget()
        self.history_sources.setDocumentMode(True)
        self.history_sources.addTab(self.history_panel, "This PC")
        self.history_sources.addTab(self.team_panel, "Team server")
        self.history_sources.setTabToolTip(1, "Runs your team published to an MLflow tracking server: pull them, "
                                              "compare them with this PC's (docs/team.md).")
        self._compare_view = None  # the Comparison tab's view, built on first use (see compare_view)
        self.compare_page = QWidget()  # its tab: holds the view once built
        QVBoxLayout(self.compare_page).setContentsMargins(0, 0, 0, 0)
        self.sweep_panel = SweepPanel(self.state.sweep)
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
        self.runs_action = self._action("Show Runs &Folder", self.history_controller.show_runs_folder, (),
                                        "Where every run record is kept")
        self.import_action = self._action("&Import Runs…", self.history_controller.import_dialog, ["Ctrl+I"],
                                          "Add run files (.json) to the history: from another PC or a bundle")
        self.quit_action = self._action("&Quit", self.close, [QKeySequence.StandardKey.Quit])
        self.run_action = self._action("&Run", self.workflow.run_selected, ["Ctrl+R", "F5"],
                                       "Run on the selected target")
        self.run_all_action = self._action("Run on &All Targets", self.workflow.run_all, ["Ctrl+Shift+R"],
                                           "Run the model on every ready target, one after another")
        self.stop_action = self._action("S&top", self.workflow.stop, ["Esc"], "Stop the run (works in every phase)")
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
        for i, (text, key) in enumerate((("&Live Run", "Ctrl+1"), ("&History", "Ctrl+2"), ("&Comparison", "Ctrl+3"),
                                                  ("&Sweep", "Ctrl+4"))):
            view_menu.addAction(self._action(text, lambda _=False, i=i: self.state.show_view(View(i)), [key]))
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
        self.tabs.addTab(_scroll(self.accuracy_panel), "Accuracy")
        self.tabs.setTabToolTip(0, "The model card: inputs, outputs, dims, ops, precision, MACs.")
        self.tabs.setTabToolTip(1, "Accelerators, targets and telemetry on this PC.")
        self.tabs.setTabToolTip(2, "Accuracy on your labelled data (aipcprof eval), on one target or all.")
        self.left = QSplitter(Qt.Orientation.Vertical)
        self.left.setObjectName("LeftSplitter")
        self.setup_area = _scroll(self.setup_panel)
        self.left.addWidget(self.setup_area)
        self.left.addWidget(self.tabs)
        self.left.setStretchFactor(1, 1)
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.setObjectName("RightSplitter")
        self.right.addWidget(self.charts)
        self.result_tabs = QTabWidget()
        self.result_tabs.setDocumentMode(True)
        self.result_tabs.addTab(self.results, "Summary")
        self.result_tabs.addTab(self.operators, "Operators")
        self.result_tabs.setTabToolTip(0, "What the run measured: latency, placement, output check, energy.")
        self.result_tabs.setTabToolTip(1, "Where the time goes, operator by operator (runs with Operator profile).")
        self.right.addWidget(self.result_tabs)
        self.right.setStretchFactor(0, 3)
        self.right.setStretchFactor(1, 2)
        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        self.views.addTab(self.right, "Live Run")
        self.views.addTab(self.history_sources, "History")
        self.views.addTab(self.compare_page, "Comparison")
        self.views.setTabToolTip(0, "Live charts of the run, then its results (Ctrl+1).")
        self.views.setTabToolTip(1, "Every run kept on this PC: rename, delete, import, compare (Ctrl+2).")
        self.views.addTab(self.sweep_panel, "Sweep")
        self.views.setTabToolTip(2, "Two or more runs side by side, and exports to share (Ctrl+3).")
        self.views.setTabToolTip(3, "A grid of runs (batch sizes, requests, threads, targets) charted against the "
                                    "swept value, with the best points (Ctrl+4).")
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
        """Views follow the state; the window's signals relay what automation and tests wait for."""
        st = self.state
        st.error.connect(self.show_error)
        st.status.connect(lambda message, msecs: self.statusBar().showMessage(message, msecs))
        st.view_changed.connect(lambda view: self.views.setCurrentIndex(int(view)))
        st.history.imported.connect(lambda *_: self.history_sources.setCurrentWidget(self.history_panel))
        self.views.currentChanged.connect(lambda i: st.show_view(View(i)) if i >= 0 else None)

        m = st.model
        m.started.connect(lambda _path: self.banner.setVisible(False))
        m.card_changed.connect(lambda card, reinspected: self.model_panel.show_card(card, keep_dims=reinspected))
        m.loaded.connect(self._on_model_loaded)
        m.failed.connect(lambda _path, message, _hint: self.model_failed.emit(message))
        m.changed.connect(self._update_actions)
        m.card_changed.connect(lambda card, _reinspected: self.sweep_panel.set_dims(symbolic_dims(card)))

        rs = st.run_setup
        rs.targets_changed.connect(self._on_targets_changed)
        rs.target_changed.connect(lambda _id: self._update_actions())

        r = st.run
        # A Run clears the last Run's messages; an error of one target stays while the others run.
        r.batch_started.connect(lambda: self.banner.setVisible(False))
        r.started.connect(self._on_run_started)
        r.phase_changed.connect(self._on_run_phase_changed)
        r.finished.connect(self._on_run_finished)
        r.batch_finished.connect(self._on_batch_finished)
        r.saved.connect(self._on_run_saved)
        r.changed.connect(self._update_actions)

        st.history.listed.connect(self.history_changed.emit)
        st.history.imported.connect(self.runs_imported.emit)
        self.history_controller.comparison_shown.connect(self.comparison_shown.emit)

        c = self.controller
        c.ticked.connect(self._on_controller_ticked)
        c.run_stored.connect(lambda _entry: self.history_controller.refresh())
        self.views.currentChanged.connect(self._on_views_current_changed)
        self.results.record_shown.connect(self.operators.show_record)
        sp = self.sweep_panel
        sp.run_requested.connect(self.sweeps.run)
        sp.stop_requested.connect(self.sweeps.stop)
        sp.exported.connect(lambda kind, path: self.statusBar().showMessage(f"Exported sweep {kind.upper()}: {path}",
                                                                          8000))
        self.sweeps.busy_changed.connect(lambda _busy: self._update_actions())
        self.sweeps.ticked.connect(self._on_sweeps_ticked)
        self.state.sweep.point_started.connect(lambda _point: self._on_sweeps_ticked(now=True))
        self.sweeps.saved.connect(lambda path: self.statusBar().showMessage(f"Sweep saved: {path}", 8000))
        self.state.sweep.finished.connect(lambda record: self.phase_label.setText(
            f"Sweep {record.status.value} · {len(record.points)} points"))
        self.model_panel.open_requested.connect(self.open_dialog)
        self.accuracy.busy_changed.connect(lambda _busy: self._update_actions())
        self.charts.follow_changed.connect(lambda following: self.follow_action.setEnabled(not following))
        # The run setup's height changes (Advanced unfolded, an inline error): give its pane the room.
        self.setup_panel.advanced_button.toggled.connect(lambda _open: QTimer.singleShot(0, self._fit_setup_pane))
        rs.genai.card_changed.connect(lambda _card: QTimer.singleShot(0, self._fit_setup_pane))  # Generation group
        rs.genai.problem_changed.connect(lambda problem: problem and QTimer.singleShot(
            0, lambda: self._fit_setup_pane(grow_only=True)))
        rs.problems_changed.connect(lambda problems: problems and QTimer.singleShot(
            0, lambda: self._fit_setup_pane(grow_only=True)))

    def _fit_setup_pane(self, grow_only: bool = False) -> None:
        """Size the run-setup pane to its content, leaving the model card at least MIN_CARD_HEIGHT."""
        total = sum(self.left.sizes())
        if total <= 0:
            return
        area = self.setup_area
        want = self.setup_panel.sizeHint().height() + 2 * area.frameWidth() + 2
        top = min(want, max(total - MIN_CARD_HEIGHT, total // 2))
        if not grow_only or top > self.left.sizes()[0]:
            self.left.setSizes([top, total - top])
        problem = next((p for p in (self.setup_panel.problem, self.setup_panel.genai_box.problem) if p.isVisible()),
                       None)
        if grow_only and problem is not None:  # still too tall: scroll to the message
            area.ensureWidgetVisible(problem)
        elif self.setup_panel.advanced_open():  # just unfolded: bring its fields into view
            area.ensureWidgetVisible(self.setup_panel.advanced)

    # -- drag and drop ---------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        accept_local_files(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        """.json files are run records (imported into the history), except a generative model folder's
        genai_config.json; anything else (a folder included) is a model to open."""
        files = local_files(event)
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        runs = [f for f in files if f.lower().endswith(".json") and Path(f).name != GENAI_CONFIG]
        models = [f for f in files if f not in runs]
        if runs:
            self.history_controller.import_runs(runs)
        if models:
            self.workflow.open_model(models[0])

    # -- settings --------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(*self.default_size())
        for split in (self.main_split, self.left, self.right):
            state = s.value(f"window/{split.objectName()}")
            if state is not None:
                split.restoreState(state)
        s.beginGroup("run")
        run = {k: s.value(k) for k in s.childKeys()}
        s.endGroup()
        self.state.run_setup.restore_settings(run)
        self.accuracy.restore_settings(s)
        self.setup_panel.set_advanced_open(str(run.get("advanced")).lower() == "true")
        self._rebuild_recent_menu()

    def default_size(self) -> tuple[int, int]:
        """DEFAULT_SIZE where it fits the screen's free area, else SCREEN_SHARE of it."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return DEFAULT_SIZE
        free = screen.availableGeometry()
        w, h = DEFAULT_SIZE
        if w > free.width() or h > free.height():
            w, h = min(w, int(free.width() * SCREEN_SHARE)), min(h, int(free.height() * SCREEN_SHARE))
        return w, h

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        for split in (self.main_split, self.left, self.right):
            s.setValue(f"window/{split.objectName()}", split.saveState())
        for k, v in self.state.run_setup.to_settings().items():
            s.setValue(f"run/{k}", v)
        s.setValue("run/advanced", self.setup_panel.advanced_open())
        self.accuracy.save_settings(s)
        t = self.state.run_setup.current_target()
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
            a.setToolTip(tip(path))  # a file name may hold markup
            a.triggered.connect(lambda _=False, p=path: self.workflow.open_model(p))
        self.recent_menu.setEnabled(bool(recent))

    # -- theme and lifecycle ---------------------------------------------
    def _on_style_hints_color_scheme_changed(self, _scheme) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app)
        self.charts.restyle()
        self.banner.restyle()
        self.setup_panel.restyle()
        self.operators.restyle()

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
        self.sweeps.shutdown()
        self.accuracy.shutdown()
        self.controller.shutdown()
        self.jobs.wait(5000)
        self.history_jobs.wait(10_000)  # a run record being written finishes (atomic: never half a file)
        self.team_jobs.wait(11_000)  # a request to a hung server ends within its timeout (app.team.server)
        super().closeEvent(event)

    # -- start-up --------------------------------------------------------
    def start_background(self) -> None:
        """After the first paint: find targets and devices, start telemetry, greet first-timers."""
        self.state.show_status("Looking for accelerators…")
        preferred = self.settings.value("run/target")
        self.workflow.discover(str(preferred) if preferred else None)
        self.jobs.submit(_inventory, self.devices_panel.set_inventory,
                         lambda e: self.devices_panel.set_inventory(None, f"{e.__class__.__name__}: {e}"))
        self.controller.start_sampler()
        self.history_controller.refresh()
        if self.controller.sampler_error:
            self.devices_panel.set_metric_status({}, self.controller.sampler_error)
        no_model = self.state.model.path is None and self.state.model.loading is None  # e.g. `aipcprof gui MODEL`
        if not self.settings.value("first_launch_done") and no_model:
            self.settings.setValue("first_launch_done", True)
            if self.sample_model is not None and self.sample_model.is_file():
                self.banner.show_message("info", "Welcome to AI PC Profiler.",
                                         "Drop an .onnx model on the window, or start with the bundled sample.",
                                         ("Open sample model", self.open_sample))
            else:
                self.banner.show_message("info", "Welcome to AI PC Profiler.",
                                         "Drop an .onnx model on the window or use File > Open (Ctrl+O).")

    # -- dialogs ---------------------------------------------------------
    def open_dialog(self) -> None:
        start = str(Path(self.recent_files()[0]).parent) if self.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open ONNX model", start, "ONNX models (*.onnx);;All files (*)")
        if path:
            self.workflow.open_model(path)

    def open_sample(self) -> None:
        if self.sample_model is None or not self.sample_model.is_file():
            self.show_error("The sample model is missing from this installation.",
                            "Reinstall the app, or open your own .onnx file (Ctrl+O).")
            return
        self.workflow.open_model(str(self.sample_model))

    def save_run_dialog(self) -> None:
        if self.state.run.last_record is None:
            self.show_error("No run to save yet.", "Run the model first (F5).")
            return
        default = Path(self.state.run.last_record_path or "run.json").name
        path, _ = QFileDialog.getSaveFileName(self, "Save run record", default, "Run records (*.json)")
        if path:
            self.workflow.save_run_as(path)

    def show_error(self, message: str, hint: str = "") -> None:
        self.banner.show_message("error", message, hint)

    # -- the state, shown ------------------------------------------------
    def _on_targets_changed(self, targets: list) -> None:
        self.devices_panel.set_targets(targets)
        current = self.state.run_setup.current_target()
        self.sweep_panel.set_targets([t.id for t in targets if t.ready], current.id if current else None)
        ready = sum(t.ready for t in targets)
        self.status_targets.setText(f"{ready} of {len(targets)} targets ready")
        self.status_targets.setToolTip("\n".join(f"{t.id}: {'ready' if t.ready else t.reason}" for t in targets))
        if targets:
            self.statusBar().showMessage("Ready", 3000)
        self._update_actions()
        self.targets_loaded.emit(targets)

    def _on_model_loaded(self, path: str) -> None:
        self.charts.set_idle_hint(True)
        self.tabs.setCurrentIndex(0)
        self.setWindowTitle(f"{Path(path).name} — AI PC Profiler")
        self.statusBar().showMessage(f"Loaded {path}", 5000)
        self._add_recent(path)
        self._update_actions()
        self.model_loaded.emit(path)

    def _on_run_started(self, spec) -> None:
        self.end_steps.flush()  # the last run's results are drawn before its chart is cleared
        self.charts.set_mode(spec.mode)  # throughput mode: the throughput line is the main chart
        self.charts.set_generative(spec.genai_spec is not None)  # tokens/s, per-token latency, the text
        self.charts.reset()
        self.progress.setVisible(True)
        queued = self.state.run.queued
        self.statusBar().showMessage(f"Running on {spec.target_id}" + (f" ({queued} more queued)" if queued else ""))
        self.state.show_view(View.LIVE)  # the live charts

    def _on_run_phase_changed(self, _phase: str) -> None:
        text, _pct = self.controller.progress()
        if text:
            self.phase_label.setText(text)

    def _on_controller_ticked(self) -> None:
        self.charts.refresh()
        if self.controller.busy and self.controller.tick_count % 8 == 0:  # ~4 Hz: text and bar relayout cost
            text, pct = self.controller.progress()
            if self.phase_label.text() != text:
                self.phase_label.setText(text)
            if pct < 0:
                self.progress.setRange(0, 0)  # busy: compile / warm-up have no count
            else:
                self.progress.setRange(0, 100)
                self.progress.setValue(pct)
        if self.controller.tick_count % 15 == 0:  # statuses change slowly: twice a second is plenty
            statuses = self.controller.metric_status()
            if statuses:
                self.devices_panel.set_metric_status(statuses)
                live = sum(1 for s, _ in statuses.values() if s == "ok")
                self.status_metrics.setText(f"telemetry: {live} of {len(statuses)} metrics live")

    def _on_sweeps_ticked(self, now: bool = False) -> None:
        if now or self.sweeps.tick_count % 5 == 0:  # ~4 Hz, as the run's phase text; at once for a new point
            text = self.sweeps.progress()
            self.sweep_panel.set_progress(text)
            if text and self.phase_label.text() != text.split(" · ")[0]:
                self.phase_label.setText(text.split(" · ")[0])

    def _on_run_finished(self, record: RunRecord) -> None:
        """The charts fitted to the run, then the results panel, then `run_finished`: in slices, one per
        event-loop turn (self.end_steps), so the end of a run never holds the window (issue #19)."""
        counted = "decode steps" if record.genai is not None else "inferences"  # a generative run times tokens
        self.phase_label.setText(f"{record.status.value.capitalize()} · {record.latency.count:,} {counted}")
        if not self.controller.busy:
            self.progress.setVisible(False)
            # the history save starts after this drawing (RunController.SAVE_DELAY_MS); "Run saved" follows
            self.statusBar().showMessage(f"Run {record.status.value} on {record.target_id}; keeping it in the history…")
        records = list(self.state.run.records)
        self.end_steps.add(lambda: self._show_chart_result(record),
                           *self.results.fill_steps(record, self.state.run.last_record_path),
                           lambda: self.results.show_comparison(records),
                           lambda: self.run_finished.emit(record))

    def _show_chart_result(self, record: RunRecord) -> None:
        lat = record.latency
        note = facts.p99_omitted_reason(lat.count) if facts.count_note(lat.count) else ""
        self.charts.show_result(lat.count, lat.p50, lat.p99, lat.throughput_per_s, note)  # fitted axis, own p50

    def _on_run_saved(self, path: str) -> None:
        self.statusBar().showMessage(f"Run saved: {path}", 8000)
        self.end_steps.add(lambda: self._show_saved_path(path))  # after the results, if they are still drawing

    def _show_saved_path(self, path: str) -> None:
        run = self.state.run
        if path == run.last_record_path and self.results.record is run.last_record:
            self.results.set_saved_path(path)

    def _on_batch_finished(self, records: list) -> None:
        self.progress.setVisible(False)
        self._update_actions()
        self.end_steps.add(lambda: self.all_runs_finished.emit(records))  # once the last results are drawn

    @property
    def compare_view(self):
        """The Comparison tab's CompareView, built (and its modules imported: ~8 % of a cold start) on first use."""
        if self._compare_view is None:
            from app.views.compare_view import CompareView

            self._compare_view = CompareView(self.jobs)
            self._compare_view.exported.connect(self._on_compare_view_exported)
            self.compare_page.layout().addWidget(self._compare_view)
        return self._compare_view

    def _on_views_current_changed(self, index: int) -> None:
        if self.views.widget(index) is self.compare_page:
            _ = self.compare_view  # shown: build it now

    def _on_compare_view_exported(self, kind: str, path: str) -> None:
        self.statusBar().showMessage("Comparison image copied to the clipboard" if kind == "clipboard"
                                     else f"Exported {kind.upper()}: {path}", 8000)

    def _update_actions(self) -> None:
        sweeping = self.sweeps.busy
        busy = self.state.run.busy or self.controller.busy or sweeping or self.accuracy.preparing
        ready = self.state.model.ready
        self.sweep_panel.set_can_run(ready and not (self.state.run.busy or self.controller.busy), sweeping)
        self.run_action.setEnabled(ready and self.state.run_setup.current_target() is not None and not busy)
        self.run_all_action.setEnabled(ready and bool(self.state.run_setup.all_targets()) and not busy)
        self.stop_action.setEnabled(busy)
        self.save_action.setEnabled(self.state.run.last_record is not None)
        self.setup_panel.setEnabled(not busy)  # settings of the running job cannot change under it
        self.model_panel.open_button.setEnabled(not busy)
        self.accuracy.update_actions(ready, busy)

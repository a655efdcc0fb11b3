"""What the first paint imports (issue #19: cold start < 1.5 s median): not the runtimes, not the Comparison tab."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from PySide6.QtCore import QSettings
from app.gui import _make_app
from app.views.main_window import MainWindow
app = _make_app()
window = MainWindow(QSettings(sys.argv[1] + "/s.ini", QSettings.Format.IniFormat), None, sample_model=None)
window.show()
app.processEvents()
heavy = ["onnx", "onnxruntime", "openvino", "app.views.compare_view", "app.views.export"]
before = [m for m in heavy if m in sys.modules]
window.views.setCurrentWidget(window.compare_page)  # the user opens the Comparison tab
app.processEvents()
print(json.dumps({"before": before, "built": window.compare_view.parent() is window.compare_page,
                  "after": "app.views.compare_view" in sys.modules}))
window.close()
"""


def test_the_first_paint_imports_no_runtime_and_no_comparison_view(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", AIPCPROF_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["before"] == []
    assert result["built"] and result["after"]  # opening the tab builds it

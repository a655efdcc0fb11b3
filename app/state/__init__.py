"""The desktop app's state, without Qt: AppState and its parts (see app.state.app_state).

Importing this package loads no Qt (tests/state/test_no_qt.py checks it).
"""

from app.state.accuracy import AccuracySetupState
from app.state.app_state import AppState, View
from app.state.events import Event
from app.state.history import HistoryState
from app.state.input_memory import InputMemory
from app.state.inputs import InputSetupState
from app.state.live_run import LiveRunState, RunStatus
from app.state.model import ModelState
from app.state.run_setup import EpPresets, RunSetupState

__all__ = ["AccuracySetupState", "AppState", "EpPresets", "Event", "HistoryState", "InputMemory", "InputSetupState",
           "LiveRunState", "ModelState", "RunSetupState", "RunStatus", "View"]

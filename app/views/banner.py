"""Banner: an inline message strip (error / warning / info) with cause and what to try.

Used instead of modal dialogs: it never blocks the event loop (or a test), and
the app stays usable underneath.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.views import theme
from app.views.plain import WrapLabel

ICONS = {"error": QStyle.StandardPixmap.SP_MessageBoxCritical, "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
         "info": QStyle.StandardPixmap.SP_MessageBoxInformation}  # the platform's own icons, no font glyphs


class Banner(QFrame):
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None, closable: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        self.level = "info"
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = WrapLabel()  # messages quote file names, model names, record text: plain text
        font = self.message.font()
        font.setBold(True)
        self.message.setFont(font)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setObjectName("BannerMessage")
        self.hint = WrapLabel()
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint.setObjectName("BannerHint")
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.message)
        text.addWidget(self.hint)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        lay.addWidget(self.icon)
        lay.addLayout(text, 1)
        self.action = QPushButton()
        self.action.setVisible(False)
        self.action.clicked.connect(self._on_action_clicked)
        self._action_fn = None
        lay.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        if closable:
            close = QToolButton()
            close.setText("✕")
            close.setAutoRaise(True)
            close.setToolTip("Dismiss")
            close.clicked.connect(self._on_close_clicked)
            lay.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.setVisible(False)

    def show_message(self, level: str, message: str, hint: str = "", action: tuple | None = None) -> None:
        """action: optional (button text, callable), e.g. ("Open sample model", fn)."""
        self.level = level
        self._action_fn = action[1] if action else None
        self.action.setText(action[0] if action else "")
        self.action.setVisible(action is not None)
        self.setStyleSheet(theme.banner_style(level))
        size = self.fontMetrics().height() + 8
        self.icon.setPixmap(self.style().standardIcon(ICONS[level]).pixmap(size, size))
        self.message.setText(message)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.setVisible(True)

    def text(self) -> str:
        return f"{self.message.text()} {self.hint.text()}".strip()

    def _on_action_clicked(self) -> None:
        fn = self._action_fn
        self.setVisible(False)
        if fn is not None:
            fn()

    def _on_close_clicked(self) -> None:
        self.setVisible(False)
        self.dismissed.emit()

    def restyle(self) -> None:
        self.setStyleSheet(theme.banner_style(self.level))


class InlineError(QFrame):
    """A bad option's message under the form, as plain text (it quotes what the user typed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")  # the banners' look (theme.banner_style)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.label)
        self.restyle()
        self.setVisible(False)

    def show_problem(self, message: str, hint: str = "") -> None:
        self.label.setText(f"{message}\n{hint}" if hint else message)
        self.setVisible(True)

    def text(self) -> str:
        return self.label.text()

    def restyle(self) -> None:
        self.setStyleSheet(theme.banner_style("error"))

"""Files dropped on a widget: the window (models, records) and the Accuracy tab (data folders, labels)."""

from __future__ import annotations

from PySide6.QtGui import QDragEnterEvent, QDropEvent


def accept_local_files(event: QDragEnterEvent) -> None:
    """Take a drag that carries at least one local file or folder; refuse anything else (text, web links)."""
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    if any(u.isLocalFile() for u in urls):
        event.acceptProposedAction()
    else:
        event.ignore()


def local_files(event: QDropEvent) -> list[str]:
    """The dropped local paths, in order."""
    return [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]

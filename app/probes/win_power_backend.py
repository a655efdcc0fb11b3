"""Active Windows power scheme and power-mode overlay via powrprof (Windows only)."""

from __future__ import annotations

import ctypes
import sys
from ctypes import wintypes

if sys.platform != "win32":  # pragma: no cover - guarded by the caller
    raise ImportError("win_power_backend needs Windows")


class _GUID(ctypes.Structure):
    _fields_ = [("Data1", ctypes.c_ulong), ("Data2", ctypes.c_ushort), ("Data3", ctypes.c_ushort),
                ("Data4", ctypes.c_ubyte * 8)]

    def __str__(self) -> str:
        d4 = bytes(self.Data4)
        return f"{self.Data1:08x}-{self.Data2:04x}-{self.Data3:04x}-{d4[:2].hex()}-{d4[2:].hex()}"


_powrprof = ctypes.WinDLL("powrprof")
_kernel32 = ctypes.WinDLL("kernel32")
_powrprof.PowerGetActiveScheme.restype = wintypes.DWORD
_powrprof.PowerGetActiveScheme.argtypes = [wintypes.HKEY, ctypes.POINTER(ctypes.POINTER(_GUID))]
_powrprof.PowerReadFriendlyName.restype = wintypes.DWORD
_powrprof.PowerReadFriendlyName.argtypes = [wintypes.HKEY, ctypes.POINTER(_GUID), ctypes.c_void_p, ctypes.c_void_p,
                                            ctypes.c_void_p, ctypes.POINTER(wintypes.DWORD)]
_kernel32.LocalFree.argtypes = [ctypes.c_void_p]


def active_power_plan() -> tuple[str, str, str | None]:
    """(scheme GUID, friendly name, overlay GUID or None)."""
    ptr = ctypes.POINTER(_GUID)()
    if _powrprof.PowerGetActiveScheme(None, ctypes.byref(ptr)) != 0:
        raise OSError("PowerGetActiveScheme failed")
    try:
        guid = ptr.contents
        size = wintypes.DWORD(0)
        _powrprof.PowerReadFriendlyName(None, ptr, None, None, None, ctypes.byref(size))
        name = ""
        if size.value:
            buf = ctypes.create_string_buffer(size.value)
            if _powrprof.PowerReadFriendlyName(None, ptr, None, None, buf, ctypes.byref(size)) == 0:
                name = buf.raw.decode("utf-16-le", errors="replace").split("\x00")[0]
        scheme = str(guid)
    finally:
        _kernel32.LocalFree(ptr)
    overlay = None
    getter = getattr(_powrprof, "PowerGetEffectiveOverlayScheme", None)  # Windows 10 1709+
    if getter is not None:
        og = _GUID()
        getter.restype = wintypes.DWORD
        if getter(ctypes.byref(og)) == 0:
            overlay = str(og)
    return scheme, name, overlay

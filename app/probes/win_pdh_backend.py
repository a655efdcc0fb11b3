"""ctypes PDH query (Windows only): English counter paths, wildcard arrays.

Imported only by the registry on Windows. Counter names are localised, so
paths are added with PdhAddEnglishCounterW. PDH status codes are unsigned
32-bit values (0x800007D2 ...), so every restype is c_ulong.
"""

from __future__ import annotations

import ctypes
import sys
from ctypes import wintypes

if sys.platform != "win32":  # pragma: no cover - guarded by the registry
    raise ImportError("win_pdh_backend needs Windows (pdh.dll)")

PDH_FMT_DOUBLE = 0x00000200
PDH_FMT_NOCAP100 = 0x00008000
PDH_MORE_DATA = 0x800007D2
_VALID = (0, 1)  # PDH_CSTATUS_VALID_DATA, PDH_CSTATUS_NEW_DATA


class _FmtValue(ctypes.Structure):
    # PDH_FMT_COUNTERVALUE: DWORD CStatus; union {...; double doubleValue; ...} (8-aligned)
    _fields_ = [("CStatus", wintypes.DWORD), ("doubleValue", ctypes.c_double)]


class _FmtItem(ctypes.Structure):
    _fields_ = [("szName", wintypes.LPWSTR), ("FmtValue", _FmtValue)]


_pdh = ctypes.WinDLL("pdh")
_pdh.PdhOpenQueryW.restype = ctypes.c_ulong
_pdh.PdhOpenQueryW.argtypes = [wintypes.LPCWSTR, ctypes.c_size_t, ctypes.POINTER(wintypes.HANDLE)]
_pdh.PdhAddEnglishCounterW.restype = ctypes.c_ulong
_pdh.PdhAddEnglishCounterW.argtypes = [wintypes.HANDLE, wintypes.LPCWSTR, ctypes.c_size_t,
                                       ctypes.POINTER(wintypes.HANDLE)]
_pdh.PdhCollectQueryData.restype = ctypes.c_ulong
_pdh.PdhCollectQueryData.argtypes = [wintypes.HANDLE]
_pdh.PdhGetFormattedCounterArrayW.restype = ctypes.c_ulong
_pdh.PdhGetFormattedCounterArrayW.argtypes = [wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.DWORD),
                                              ctypes.POINTER(wintypes.DWORD), ctypes.c_void_p]
_pdh.PdhCloseQuery.restype = ctypes.c_ulong
_pdh.PdhCloseQuery.argtypes = [wintypes.HANDLE]


class PdhError(OSError):
    pass


class PdhQuery:
    """One PDH query; each probe owns one, so probes collect at their own rates."""

    def __init__(self) -> None:
        self._query = wintypes.HANDLE()
        self._open()

    def _open(self) -> None:
        status = _pdh.PdhOpenQueryW(None, 0, ctypes.byref(self._query))
        if status != 0:
            raise PdhError(f"PdhOpenQueryW failed: 0x{status:08X}")

    def add_counter(self, path: str) -> wintypes.HANDLE:
        if not self._query:  # closed by a previous sampler stop: start a fresh query
            self._open()
        counter = wintypes.HANDLE()
        status = _pdh.PdhAddEnglishCounterW(self._query, path, 0, ctypes.byref(counter))
        if status != 0:
            raise PdhError(f"PdhAddEnglishCounterW({path}) failed: 0x{status:08X}")
        return counter

    def collect(self) -> None:
        status = _pdh.PdhCollectQueryData(self._query)
        if status != 0:
            raise PdhError(f"PdhCollectQueryData failed: 0x{status:08X}")

    def get_values(self, counter: wintypes.HANDLE) -> dict[str, float]:
        """{instance: value} for a wildcard counter; NaN for an item without valid data
        (a rate counter before its second collection), so instance names are always known."""
        size, count = wintypes.DWORD(0), wintypes.DWORD(0)
        fmt = PDH_FMT_DOUBLE | PDH_FMT_NOCAP100
        status = _pdh.PdhGetFormattedCounterArrayW(counter, fmt, ctypes.byref(size), ctypes.byref(count), None)
        if status != PDH_MORE_DATA:
            return {}
        buf = (ctypes.c_byte * size.value)()
        status = _pdh.PdhGetFormattedCounterArrayW(counter, fmt, ctypes.byref(size), ctypes.byref(count), buf)
        if status != 0:
            return {}
        items = ctypes.cast(buf, ctypes.POINTER(_FmtItem))
        out: dict[str, float] = {}
        for i in range(count.value):
            item = items[i]
            if not item.szName:
                continue
            value = item.FmtValue.doubleValue if item.FmtValue.CStatus in _VALID else float("nan")
            out[item.szName] = out.get(item.szName, 0.0) + value
        return out

    def close(self) -> None:
        if self._query:
            _pdh.PdhCloseQuery(self._query)
            self._query = wintypes.HANDLE()


"""ctypes access to Energy Meter Interface devices (Windows only, no admin).

Enumerate interface {45BD8344-7ED6-49CF-A440-C276C933B053} with
CM_Get_Device_Interface_ListW, open each with CreateFileW(GENERIC_READ) and
keep the handle open, so a 10 Hz read is one DeviceIoControl. IOCTL codes are
CTL_CODE(FILE_DEVICE_UNKNOWN, fn, METHOD_BUFFERED, FILE_READ_ACCESS) from emi.h.
"""

from __future__ import annotations

import ctypes
import struct
import sys
from ctypes import wintypes

if sys.platform != "win32":  # pragma: no cover - guarded by the registry
    raise ImportError("win_emi_backend needs Windows")

IOCTL_EMI_GET_VERSION = 0x224000
IOCTL_EMI_GET_METADATA_SIZE = 0x224004
IOCTL_EMI_GET_METADATA = 0x224008
IOCTL_EMI_GET_MEASUREMENT = 0x22400C
GUID_DEVICE_ENERGY_METER = "{45BD8344-7ED6-49CF-A440-C276C933B053}"
_GENERIC_READ, _FILE_SHARE_RW, _OPEN_EXISTING = 0x80000000, 0x3, 3


class _GUID(ctypes.Structure):
    _fields_ = [("Data1", ctypes.c_ulong), ("Data2", ctypes.c_ushort), ("Data3", ctypes.c_ushort),
                ("Data4", ctypes.c_ubyte * 8)]


_cfgmgr32 = ctypes.WinDLL("cfgmgr32")
_kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
_ole32 = ctypes.WinDLL("ole32")
_kernel32.CreateFileW.restype = wintypes.HANDLE
_kernel32.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, wintypes.LPVOID,
                                  wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE]
_kernel32.DeviceIoControl.restype = wintypes.BOOL
_kernel32.DeviceIoControl.argtypes = [wintypes.HANDLE, wintypes.DWORD, wintypes.LPVOID, wintypes.DWORD,
                                      wintypes.LPVOID, wintypes.DWORD, ctypes.POINTER(wintypes.DWORD),
                                      wintypes.LPVOID]
_kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
_INVALID_HANDLE = wintypes.HANDLE(-1).value


def list_device_paths() -> list[str]:
    guid = _GUID()
    if _ole32.CLSIDFromString(GUID_DEVICE_ENERGY_METER, ctypes.byref(guid)) != 0:
        return []
    size = wintypes.ULONG(0)
    if _cfgmgr32.CM_Get_Device_Interface_List_SizeW(ctypes.byref(size), ctypes.byref(guid), None, 0) != 0:
        return []
    if size.value <= 1:
        return []
    buf = ctypes.create_unicode_buffer(size.value)
    if _cfgmgr32.CM_Get_Device_Interface_ListW(ctypes.byref(guid), None, buf, size, 0) != 0:
        return []
    return [p for p in buf[: size.value].split("\x00") if p]  # REG_MULTI_SZ


class EmiDeviceHandle:
    def __init__(self, path: str) -> None:
        self.path = path
        handle = _kernel32.CreateFileW(path, _GENERIC_READ, _FILE_SHARE_RW, None, _OPEN_EXISTING, 0, None)
        if handle in (None, _INVALID_HANDLE):
            err = ctypes.get_last_error()
            raise OSError(err, ctypes.FormatError(err), path)
        self._handle = handle

    def _ioctl(self, code: int, size: int) -> bytes:
        out = ctypes.create_string_buffer(size)
        returned = wintypes.DWORD(0)
        if not _kernel32.DeviceIoControl(self._handle, code, None, 0, out, size, ctypes.byref(returned), None):
            err = ctypes.get_last_error()
            raise OSError(err, ctypes.FormatError(err), self.path)
        return out.raw[: returned.value]

    def version(self) -> int:
        return struct.unpack_from("<H", self._ioctl(IOCTL_EMI_GET_VERSION, 2))[0]

    def metadata(self) -> bytes:
        (size,) = struct.unpack_from("<L", self._ioctl(IOCTL_EMI_GET_METADATA_SIZE, 4))
        return self._ioctl(IOCTL_EMI_GET_METADATA, size)

    def measure(self, channel_count: int) -> bytes:
        return self._ioctl(IOCTL_EMI_GET_MEASUREMENT, 16 * max(1, channel_count))

    def close(self) -> None:
        if self._handle:
            _kernel32.CloseHandle(self._handle)
            self._handle = None


class EmiBackendWin:
    """The real backend: every EMI device that opens."""

    def __init__(self) -> None:
        self._devices: list[EmiDeviceHandle] | None = None

    def devices(self) -> list[EmiDeviceHandle]:
        if self._devices is None:
            self._devices = []
            for path in list_device_paths():
                try:
                    self._devices.append(EmiDeviceHandle(path))
                except OSError:
                    continue
        return self._devices

    def close(self) -> None:
        for d in self._devices or []:
            d.close()
        self._devices = None

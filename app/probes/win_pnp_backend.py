"""Query Windows PnP display / compute-accelerator devices once (for the inventory).

One PowerShell CIM query, filtered server-side; it costs about a second, so
only `aipcprof devices` and the GUI's device panel call it, never the sampler.
"""

from __future__ import annotations

import subprocess
import sys

QUERY = (
    "Get-CimInstance Win32_PnPSignedDriver "
    "-Filter \"DeviceClass='COMPUTEACCELERATOR' OR DeviceClass='DISPLAY'\" | "
    "Select-Object DeviceName,DeviceID,DriverVersion,Manufacturer,DeviceClass,Location | "
    "ConvertTo-Json -Compress"
)


class PowerShellPnp:
    def __init__(self, timeout_s: float = 15.0) -> None:
        self.timeout_s = timeout_s

    def query(self) -> str:
        """JSON text of the devices ('' when PowerShell is unavailable or fails)."""
        if sys.platform != "win32":
            return ""
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console flash from the GUI
        try:
            done = subprocess.run(["powershell", "-NoProfile", "-NonInteractive", "-Command", QUERY],
                                  capture_output=True, text=True, timeout=self.timeout_s, creationflags=flags)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout if done.returncode == 0 else ""

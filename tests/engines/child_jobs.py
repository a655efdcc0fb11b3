"""A child job that misbehaves on request (abort, hang, raise), for tests of app/engines/child.py."""

from __future__ import annotations

import os
import time

from app.engines.child import child_main, progress


def _job(request: dict) -> dict:
    progress(0, 1, "starting")
    if request["do"] == "abort":
        os.abort()
    if request["do"] == "hang":
        time.sleep(60)
    return {"value": 1 / 0}


if __name__ == "__main__":
    raise SystemExit(child_main(_job))

"""Where Windows keeps machine-wide program data, asked of the shell, not the environment.

A service does not always get ``PROGRAMDATA`` in its environment (Wine's service
manager gives it none, and ``ALLUSERSPROFILE`` then points elsewhere), while the
installer that enrolled the machine ran with it: both must find the same agent.json.
``SHGetFolderPathW(CSIDL_COMMON_APPDATA)`` is what the MSI's ``CommonAppDataFolder``
resolves to, whoever asks.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CSIDL_COMMON_APPDATA = 0x23
MAX_PATH = 260
FALLBACK = r"C:\ProgramData"


def program_data() -> Path:
    if sys.platform == "win32":
        import ctypes

        buffer = ctypes.create_unicode_buffer(MAX_PATH)
        if ctypes.windll.shell32.SHGetFolderPathW(None, CSIDL_COMMON_APPDATA, None, 0, buffer) == 0:
            return Path(buffer.value)
    return Path(os.environ.get("PROGRAMDATA") or FALLBACK)

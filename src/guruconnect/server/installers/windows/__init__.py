"""The Windows runtime: the official embeddable CPython, verified, plus the agent.

    build_runtime(cache_dir, arch="amd64") -> Path    a ready directory, cached per release

Errors (all ``WindowsRuntimeError``):

    WindowsRuntimeError
     ├── UnsupportedArchitecture     e.g. "x86": no x86 CPython is reachable here
     ├── AuthenticodeError           a signature is missing, broken or from another signer
     └── RuntimeBuildError           a tool failed (pip download, uv, osslsigncode)
"""

from guruconnect.server.installers.windows.errors import (
    AuthenticodeError,
    RuntimeBuildError,
    UnsupportedArchitecture,
    WindowsRuntimeError,
)
from guruconnect.server.installers.windows.runtime import (
    ARCHITECTURES,
    RuntimeInfo,
    build_runtime,
    runtime_info,
)

__all__ = [
    "ARCHITECTURES",
    "AuthenticodeError",
    "RuntimeBuildError",
    "RuntimeInfo",
    "UnsupportedArchitecture",
    "WindowsRuntimeError",
    "build_runtime",
    "runtime_info",
]

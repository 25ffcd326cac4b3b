"""The Windows runtime's exception tree (drawn in the package docstring)."""

from __future__ import annotations


class WindowsRuntimeError(Exception):
    """The Windows runtime could not be built."""


class UnsupportedArchitecture(WindowsRuntimeError, ValueError):
    """The requested CPU architecture has no verified CPython to build from."""


class AuthenticodeError(WindowsRuntimeError):
    """A file's Authenticode signature did not verify against the pinned root."""


class RuntimeBuildError(WindowsRuntimeError):
    """An external step (download, wheel install, verification tool) failed."""

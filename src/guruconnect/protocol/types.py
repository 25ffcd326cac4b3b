"""Bounded field types shared by every protocol message."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

Short = Annotated[str, Meta(max_length=256)]
Text = Annotated[str, Meta(max_length=4096)]
Name = Annotated[str, Meta(min_length=1, max_length=128)]
AgentId = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Count = Annotated[int, Meta(ge=0)]
Seconds = Annotated[float, Meta(ge=0)]
Versions = Annotated[list[Annotated[int, Meta(ge=1, le=65535)]], Meta(min_length=1, max_length=16)]

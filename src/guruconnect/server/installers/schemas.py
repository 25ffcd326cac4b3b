"""Bodies of the installers API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

Meta = Field(default="", max_length=256)


class InstallerIn(BaseModel):
    name_mode: Literal["machine", "custom"] = "machine"
    name: str = Meta
    company: str = Field(min_length=1, max_length=256)
    site: str = Meta
    department: str = Meta
    device_type: str = Meta
    tag: str = Meta
    note: str = Field(default="", max_length=512)
    expires_in_hours: int | None = Field(
        default=None, ge=1, le=24 * 365,
        description="the baked enrollment token's lifetime (default: until revoked)",
    )  # fmt: skip


class InstallerOut(BaseModel):
    id: str
    name_mode: str
    name: str
    company: str
    site: str
    department: str
    device_type: str
    tag: str
    note: str
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked: bool
    downloads: int
    enrollments: int
    url: str = Field(
        description="public tokenized URL prefix: append linux.sh, linux.deb, windows.msi "
        "or windows.exe"
    )
    linux_sh_url: str
    linux_deb_url: str
    windows_msi_url: str
    windows_exe_url: str


class InstallerListOut(BaseModel):
    installers: list[InstallerOut]


class EmailIn(BaseModel):
    # One plain address: no display name, no CR/LF (header injection), no list.
    to: str = Field(max_length=254, pattern=r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+$")
    message: str = Field(default="", max_length=2000)


class EmailOut(BaseModel):
    sent_to: str

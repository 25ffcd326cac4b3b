"""Who is asking, and with which rights. Built once per request by auth.deps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from guruconnect.server.auth.roles import Scope


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    role: str
    scopes: frozenset[Scope]
    company_scope: tuple[str, ...]
    via: Literal["session", "api_key"]
    session_id: str | None = None
    api_key_id: int | None = None

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    def sees_company(self, company: str) -> bool:
        return "*" in self.company_scope or company in self.company_scope

"""Roles, the scopes each grants, and which scopes an API key may carry."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    TECHNICIAN = "technician"
    VIEWER = "viewer"


class Scope(enum.StrEnum):
    MACHINES_READ = "machines:read"
    MACHINES_CONTROL = "machines:control"
    MACHINES_FILES = "machines:files"
    ENROLLMENT_MANAGE = "enrollment:manage"
    USERS_MANAGE = "users:manage"
    SUPPORT_SESSIONS = "support:sessions"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMIN: frozenset(Scope),
    Role.TECHNICIAN: frozenset(
        {
            Scope.MACHINES_READ,
            Scope.MACHINES_CONTROL,
            Scope.MACHINES_FILES,
            Scope.SUPPORT_SESSIONS,
        }
    ),
    Role.VIEWER: frozenset({Scope.MACHINES_READ}),
}


def scopes_for(role: str) -> frozenset[Scope]:
    """Unknown roles get nothing: deny by default."""
    try:
        return ROLE_SCOPES[Role(role)]
    except ValueError:
        return frozenset()


def parse_scopes(names: list[str]) -> frozenset[Scope]:
    out: set[Scope] = set()
    for name in names:
        try:
            out.add(Scope(name))
        except ValueError as exc:
            raise ValueError(f"unknown scope {name!r}") from exc
    return frozenset(out)

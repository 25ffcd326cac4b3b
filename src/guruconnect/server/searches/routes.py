"""Create, list, edit and delete saved searches. Others' shared ones are read-only;
private ones are invisible to everyone but their owner (404, not 403)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import or_, select

from guruconnect.server.auth.deps import SignedIn
from guruconnect.server.auth.principal import Principal
from guruconnect.server.db.deps import DB
from guruconnect.server.db.models import SavedSearch, User
from guruconnect.server.db.types import utcnow
from guruconnect.server.live.bus import SAVED_SEARCHES
from guruconnect.server.state import get_state

router = APIRouter(prefix="/api/v1/saved-searches", tags=["saved searches"])

QUERY_KEYS = frozenset(
    {"q", "company", "site", "department", "os", "device_type", "tag", "status", "checkin",
     "online"}
)  # fmt: skip


def _check_query(query: dict[str, str]) -> dict[str, str]:
    unknown = set(query) - QUERY_KEYS
    if unknown:
        raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))}")
    if any(len(v) > 256 for v in query.values()):
        raise ValueError("filter values are at most 256 characters")
    return query


class SearchIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    query: dict[str, str] = Field(max_length=16)
    shared: bool = False
    pinned: bool = False

    _valid_query = field_validator("query")(_check_query)


class SearchPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    query: dict[str, str] | None = Field(default=None, max_length=16)
    shared: bool | None = None
    pinned: bool | None = None

    @field_validator("query")
    @classmethod
    def _valid_query(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else _check_query(value)


class SearchOut(BaseModel):
    id: int
    name: str
    query: dict[str, str]
    shared: bool
    pinned: bool
    owner: str
    mine: bool


class SearchListOut(BaseModel):
    searches: list[SearchOut]


def _out(s: SavedSearch, owner: str, principal: Principal) -> SearchOut:
    return SearchOut(
        id=s.id, name=s.name, query=dict(s.query), shared=s.shared, pinned=s.pinned,
        owner=owner, mine=s.owner_id == principal.user_id,
    )  # fmt: skip


async def _changed(request: Request) -> None:
    await get_state(request).bus.publish(SAVED_SEARCHES, {"type": "saved_searches_changed"})


async def _mine(db: DB, principal: Principal, search_id: int) -> SavedSearch:
    found = await db.get(SavedSearch, search_id)
    if found is None or found.owner_id != principal.user_id:
        if found is not None and found.shared:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only its owner may change it")
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such saved search")
    return found


@router.get("", response_model=SearchListOut)
async def list_searches(principal: SignedIn, db: DB) -> SearchListOut:
    rows = await db.execute(
        select(SavedSearch, User.username)
        .join(User, User.id == SavedSearch.owner_id)
        .where(or_(SavedSearch.owner_id == principal.user_id, SavedSearch.shared.is_(True)))
        .order_by(SavedSearch.pinned.desc(), SavedSearch.name, SavedSearch.id)
    )
    return SearchListOut(searches=[_out(s, owner, principal) for s, owner in rows])


@router.post("", response_model=SearchOut, status_code=status.HTTP_201_CREATED)
async def create_search(body: SearchIn, request: Request, principal: SignedIn, db: DB) -> SearchOut:
    saved = SavedSearch(
        owner_id=principal.user_id, name=body.name, query=body.query, shared=body.shared,
        pinned=body.pinned,
    )  # fmt: skip
    db.add(saved)
    await db.commit()
    await _changed(request)
    return _out(saved, principal.username, principal)


@router.patch("/{search_id}", response_model=SearchOut)
async def edit_search(
    search_id: int, body: SearchPatch, request: Request, principal: SignedIn, db: DB
) -> SearchOut:
    saved = await _mine(db, principal, search_id)
    for field in ("name", "query", "shared", "pinned"):
        value = getattr(body, field)
        if value is not None:
            setattr(saved, field, value)
    saved.updated_at = utcnow()
    await db.commit()
    await _changed(request)
    return _out(saved, principal.username, principal)


@router.delete("/{search_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_search(search_id: int, request: Request, principal: SignedIn, db: DB) -> None:
    saved = await _mine(db, principal, search_id)
    await db.delete(saved)
    await db.commit()
    await _changed(request)

"""Helpers shared by the emulator's routers: request context, stored resources and their 404s, ids, errors, deep merge,
the list endpoints' query parameters and cursor pagination."""

from __future__ import annotations

import base64
import copy
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict

from agentform.emulator.store import Doc, Store

# The real API's list endpoints cap page_size at 100 and default to 30.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 30

ACCESS_INFO: Doc = {
    "is_creator": True,
    "creator_name": "Emulator User",
    "creator_email": "emulator@localhost",
    "role": "admin",
}


@dataclass(frozen=True)
class Context:
    """What a handler needs from its app: the store, the clock and the default evaluation delay."""

    store: Store
    clock: Callable[[], float]
    eval_delay_secs: float

    def now(self) -> int:
        return int(self.clock())


def ctx(request: Request) -> Context:
    """FastAPI dependency: the emulator context of the app that received the request (no global state)."""
    return request.app.state.emulator


# A handler's parameter `c: C` receives the emulator context of its app.
C = Annotated[Context, Depends(ctx)]


class LooseBody(BaseModel):
    """A request body that keeps fields it does not declare: the real API ignores fields it does not know, and its
    bodies have many that the emulator only stores."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class Resource:
    """A kind of stored document, and the name the API's 404 gives it (`Document`, `Test folder`, ...)."""

    kind: str
    name: str
    # The document's field whose value it is stored under as owner (what `Store.all(kind, owner=...)` selects by).
    owner_field: str | None = None

    def load(self, c: Context, id_: str) -> Doc:
        """The stored document, or the API's 404."""
        found = c.store.get(self.kind, id_)
        if found is None:
            raise not_found(self.name, id_)
        return found

    def update(self, c: Context, id_: str, changes: Doc) -> Doc:
        """The stored document with `changes` over its fields, written back in one transaction (else the 404)."""
        with c.store.tx():
            updated = {**self.load(c, id_), **changes}
            owner = updated[self.owner_field] if self.owner_field else None
            c.store.put(self.kind, id_, updated, owner=owner)
        return updated

    def delete(self, c: Context, id_: str) -> None:
        """Delete the stored document in one transaction (else the 404)."""
        with c.store.tx():
            self.load(c, id_)
            c.store.delete(self.kind, id_)


def new_id(prefix: str) -> str:
    """An id in the style of the real API: a type prefix and 26 random lower-case characters."""
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(26))


def access_info() -> Doc:
    return dict(ACCESS_INFO)


def not_found(what: str, id_: str) -> HTTPException:
    """404 with the real API's error body: `{"detail": {"status": "<what>_not_found", "message": ...}}`."""
    slug = what.lower().replace(" ", "_")
    return HTTPException(404, detail={"status": f"{slug}_not_found", "message": f"{what} with id {id_} was not found."})


def bad_request(status: str, message: str, code: int = 400) -> HTTPException:
    return HTTPException(code, detail={"status": status, "message": message})


def validation_error(loc: Sequence[str | int], msg: str, type_: str = "value_error") -> HTTPException:
    """422 in FastAPI's own shape, for checks a pydantic body model cannot express."""
    return HTTPException(422, detail=[{"loc": list(loc), "msg": msg, "type": type_}])


def deep_merge(base: Any, patch: Any) -> Any:
    """The API's PATCH semantics: dicts merge key by key, anything else (lists, scalars, null) replaces."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(base)
    for key, value in patch.items():
        merged[key] = deep_merge(base.get(key), value) if isinstance(value, dict) else copy.deepcopy(value)
    return merged


def page_size_of(value: int | None, limit: int = MAX_PAGE_SIZE) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if value < 1 or value > limit:
        raise validation_error(["query", "page_size"], f"Input should be between 1 and {limit}", "less_than_equal")
    return value


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "o" and int(value) >= 0:
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise validation_error(["query", "cursor"], "Invalid cursor", "value_error")


def paginate(items: Sequence[Any], cursor: str | None, page_size: int | None) -> tuple[list[Any], str | None, bool]:
    """One page of `items` from an opaque cursor: (page, next_cursor, has_more)."""
    start = decode_cursor(cursor)
    size = page_size_of(page_size)
    page = list(items[start : start + size])
    has_more = start + size < len(items)
    return page, (encode_cursor(start + size) if has_more else None), has_more


# A query parameter that may repeat (`?types=a&types=b`).
QueryList = Annotated[list[str] | None, Query()]


@dataclass
class ListQuery:
    """The query parameters the API's list endpoints share, read through `Depends` (as `Listing`).

    An endpoint reads those its operation defines and leaves the others alone, as the API ignores parameters it
    does not know (the OpenAPI check has already rejected invalid values, so `sort_direction` is asc, desc or unset).
    """

    cursor: str | None = None
    page_size: int | None = None
    search: str | None = None
    types: QueryList = None
    sort_by: str | None = None
    sort_direction: str | None = None

    @property
    def descending(self) -> bool:
        """The API lists in descending order unless asked `sort_direction=asc`."""
        return self.sort_direction != "asc"

    def finds(self, name: str, *, anywhere: bool = False) -> bool:
        """Whether `name` answers `search` (case- and diacritic-insensitive): as its prefix, or `anywhere` in it."""
        if not self.search:
            return True
        wanted, folded = fold(self.search), fold(name)
        return wanted in folded if anywhere else folded.startswith(wanted)

    def has_type(self, type_: str) -> bool:
        return not self.types or type_ in self.types

    def ordered(self, items: list[Doc], fields: dict[str, str], default: str) -> list[Doc]:
        """`items` by the field `sort_by` names through `fields` (else `default`); ties keep their order."""
        field = fields.get(self.sort_by or "", default)
        return sorted(items, key=lambda item: item[field], reverse=self.descending)

    def page(self, key: str, items: Sequence[Any], render: Callable[[Any], Any] = lambda x: x) -> dict[str, Any]:
        """The list's answer: the requested page of `items` under `key` (each through `render`, so that only the
        page is rendered), then `next_cursor` and `has_more`."""
        page, next_cursor, has_more = paginate(items, self.cursor, self.page_size)
        return {key: [render(item) for item in page], "next_cursor": next_cursor, "has_more": has_more}


# A list handler's parameter `query: Listing` receives the shared list parameters of its request.
Listing = Annotated[ListQuery, Depends()]


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form of a text (`Bună` -> `buna`), shared by search and the stand-in model."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))

"""Helpers shared by the emulator's routers: ids, errors, deep merge, cursor pagination, request context."""

from __future__ import annotations

import base64
import copy
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
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


def load(c: Context, kind: str, id_: str, what: str) -> Doc:
    """The stored document, or the API's 404 naming `what` (`Document`, `Test folder`, ...)."""
    found = c.store.get(kind, id_)
    if found is None:
        raise not_found(what, id_)
    return found


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


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form of a text (`Bună` -> `buna`), shared by search and the stand-in model."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))

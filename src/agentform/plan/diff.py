"""Field changes between two normalised payloads (deepdiff underneath), line diffs, secret masking.

Paths are rendered the way people write them in files: `conversation_config.agent.prompt.prompt`, list items as
`tags[2]`. A change inside a list is reported on the list as a whole (`tool_ids: [a] -> [a, b]`): item-level
reports of shifted lists are noise in a review. Long or multi-line strings (prompts, documents) get a unified line
diff instead of a whole-value replace.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from agentform.plan.model import FieldChange, describe_refs, parse_ref
from agentform.plan.normalize import REMOVED, canonical, same
from agentform.redact import MASK, NO_SECRETS, Redactor

# A string longer than this (or with a newline) is shown as a line diff.
LONG_STRING = 80
# Values under these keys are credentials whatever their value (webhook auth headers, custom LLM keys).
_SECRET_KEY = re.compile(r"(auth|token|secret|password|api[_-]?key|cookie)", re.IGNORECASE)
_SECRET_CONTAINERS = ("request_headers", "api_key", "secret_token")
NOT_SET = object()


def field_changes(before: Any, after: Any, *, redactor: Redactor = NO_SECRETS, prefix: str = "") -> list[FieldChange]:
    """The changes that turn `before` (live) into `after` (desired), sorted by path; empty when equal.

    `REMOVED` on the `after` side means "back to the server default" and renders as not set.
    """
    before, after = canonical(before), canonical(after)
    if before == {} and isinstance(after, dict) and after:
        # A new resource (most of a first apply's plan): every leaf is an addition, its value already at hand.
        leaves = sorted(_new_leaves((), after), key=lambda leaf: _path_order(leaf[0]))
        changes = [_field_change(path, NOT_SET, value, redactor, prefix) for path, value in leaves]
    else:
        changes = [
            _field_change(path, get_path(before, path), get_path(after, path), redactor, prefix)
            for path in _changed_paths(before, after)
        ]
    return [change for change in changes if change is not None]


def changed_paths(before: Any, after: Any) -> list[tuple[Any, ...]]:
    """The key paths where `before` and `after` differ, cut at the first list, sorted; empty when equal."""
    return _changed_paths(canonical(before), canonical(after))


def _changed_paths(before: Any, after: Any) -> list[tuple[Any, ...]]:
    """`changed_paths` of data already canonical."""
    if same(before, after):
        return []
    if before == {} and isinstance(after, dict):
        # A new resource: every leaf is an addition; no need to ask deepdiff.
        return sorted((path for path, _ in _new_leaves((), after)), key=_path_order)
    # Imported here: a first apply (creates only) and most commands never compare two existing payloads.
    from deepdiff import DeepDiff

    paths: dict[tuple[Any, ...], None] = {}
    # threshold 0: dicts without common keys are still compared key by key, not replaced whole.
    for levels in DeepDiff(before, after, view="tree", verbose_level=2, threshold_to_diff_deeper=0).values():
        for level in levels:
            path = _up_to_first_list(level.path(output_format="list"), before, after)
            for leaf in _leaves(path, before, after):
                paths[leaf] = None
    return sorted(paths, key=_path_order)


def _path_order(path: tuple[Any, ...]) -> list[str]:
    return [str(part) for part in path]


def _new_leaves(path: tuple[Any, ...], value: Any) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Each leaf of a new resource's `value` at `path` with its value: what `_leaves` lists when nothing was set."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _new_leaves((*path, key), item)
    else:
        yield path, value


def _leaves(path: tuple[Any, ...], before: Any, after: Any) -> list[tuple[Any, ...]]:
    """A dict added or removed whole is listed leaf by leaf, as a reviewer reads a new config."""
    old, new = get_path(before, path), get_path(after, path)
    unset = (NOT_SET, REMOVED)
    whole = new if old in unset else old if new in unset else None
    if not isinstance(whole, dict) or not whole:
        return [path]
    return [leaf for key in whole for leaf in _leaves((*path, key), before, after)]


def text_change(path: str, before: str | None, after: str | None, *, redactor: Redactor = NO_SECRETS) -> FieldChange:
    """A change of one long text (a document's content, a prompt) shown as a line diff."""
    before_text, after_text = redactor.text(before or ""), redactor.text(after or "")
    return FieldChange(
        path=path,
        before=None,
        after=None,
        before_set=before is not None,
        after_set=after is not None,
        line_diff=line_diff(before_text, after_text, path),
        sensitive=before_text != (before or "") or after_text != (after or ""),
    )


def line_diff(before: str, after: str, path: str = "") -> str:
    """A unified diff of two texts, 3 lines of context, no trailing newlines on the lines."""
    return "\n".join(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), fromfile=f"{path} (live)", tofile=f"{path} (git)", lineterm=""
        )
    )


def is_long_text(value: Any) -> bool:
    return isinstance(value, str) and ("\n" in value or len(value) > LONG_STRING)


def render_path(path: tuple[Any, ...] | list[Any], prefix: str = "") -> str:
    """`("a", "b", 2, "c")` -> `a.b[2].c`; keys that are not identifiers are quoted: `a["x.y"]`."""
    return _rendered_path(tuple(path), prefix)


# Every agent of a project has the same few dozen paths: each is rendered once.
@lru_cache(maxsize=4096)
def _rendered_path(path: tuple[Any, ...], prefix: str) -> str:
    text = prefix
    for part in path:
        if parse_ref(part):
            text += f"[{describe_refs(part)}]"
        elif isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f'["{part}"]'
    return text


def _field_change(
    path: tuple[Any, ...], before: Any, after: Any, redactor: Redactor, prefix: str
) -> FieldChange | None:
    before_set = before is not NOT_SET and before is not REMOVED
    after_set = after is not NOT_SET and after is not REMOVED
    if not before_set and not after_set:
        return None
    before_value = before if before_set else None
    after_value = after if after_set else None
    rendered = render_path(path, prefix)
    credential = _is_credential_path(path)
    masked_before = MASK if credential and before_set else redactor.data(_mask_credentials(before_value, path))
    masked_after = MASK if credential and after_set else redactor.data(_mask_credentials(after_value, path))
    sensitive = masked_before != before_value or masked_after != after_value
    diff = None
    if (is_long_text(before_value) or is_long_text(after_value)) and not credential:
        before_text = masked_before if isinstance(masked_before, str) else ""
        after_text = masked_after if isinstance(masked_after, str) else ""
        diff = line_diff(before_text, after_text, rendered)
    elif _is_long_list(masked_before) or _is_long_list(masked_after):
        # A long list (attached tests, knowledge base) reads best as one item per line.
        diff = line_diff(_item_lines(masked_before), _item_lines(masked_after), rendered)
    return FieldChange(
        path=rendered,
        before=None if diff is not None else masked_before,
        after=None if diff is not None else masked_after,
        before_set=before_set,
        after_set=after_set,
        line_diff=diff,
        sensitive=sensitive,
    )


def _is_long_list(value: Any) -> bool:
    return isinstance(value, list) and len(json.dumps(value, ensure_ascii=False)) > LONG_STRING * 2


def _item_lines(value: Any) -> str:
    if not isinstance(value, list):
        return ""
    return "\n".join(json.dumps(describe_refs(item), ensure_ascii=False, sort_keys=True) for item in value)


def _up_to_first_list(path: list[Any], before: Any, after: Any) -> tuple[Any, ...]:
    """The path cut at the first list it enters (in either side), so a list is reported whole."""
    for index, part in enumerate(path):
        if isinstance(part, int) and (
            isinstance(get_path(before, path[:index]), list) or isinstance(get_path(after, path[:index]), list)
        ):
            return tuple(path[:index])
    return tuple(path)


def get_path(data: Any, path: tuple[Any, ...] | list[Any]) -> Any:
    """The value at a key path, or `NOT_SET`."""
    for part in path:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_dict or in_list):
            return NOT_SET
        data = data[part]
    return data


def _mask_credentials(value: Any, path: tuple[Any, ...]) -> Any:
    """`value` with credential-looking entries nested anywhere inside it masked."""
    if isinstance(value, dict):
        return {
            key: MASK if _is_credential_path((*path, key)) else _mask_credentials(item, (*path, key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask_credentials(item, (*path, index)) for index, item in enumerate(value)]
    return value


@lru_cache(maxsize=4096)
def _is_credential_path(path: tuple[Any, ...]) -> bool:
    strings = [str(part) for part in path]
    inside_container = any(part in _SECRET_CONTAINERS for part in strings[:-1])
    if not strings:
        return False
    return strings[-1] == "api_key" or (inside_container and bool(_SECRET_KEY.search(strings[-1])))

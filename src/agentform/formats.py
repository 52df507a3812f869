"""`format_version`: one scheme for every JSON document agentform prints or saves (docs/decisions/0133).

"MAJOR.MINOR", a string, as Terraform does: a MINOR bump only adds fields, a MAJOR bump may remove or change them,
and a reader accepts every MINOR of the MAJOR it knows. Each kind of document has its own version; each carries it
as its first field, `format_version`.
"""

from __future__ import annotations

import json
from typing import Any

# `plan --json` and saved plans (`plan --out`). 1.1: `cleanup` on a change and in the summary.
PLAN = "1.1"
# `test --json` and the CI's agentform-tests.json.
TEST_REPORT = "1.0"
# `validate --json`.
VALIDATION = "1.0"
# `conversations list --json` and `conversations show --json`.
CONVERSATIONS = "1.0"


def major(version: str) -> str:
    return str(version).split(".", 1)[0]


def document(version: str, **fields: Any) -> dict[str, Any]:
    """A JSON document: `format_version` first, then `fields`."""
    return {"format_version": version, **fields}


def dumps(data: Any) -> str:
    """How agentform prints JSON: indented, UTF-8 kept readable, one trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

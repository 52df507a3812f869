"""Planning: compare the desired state (files) with the live workspace and say what apply will do.

Flow and modules:

- `identity`  - markers that tie live resources to file keys (tags, managed folders, content-addressed names)
- `live`      - `LiveState`, the live side as data, and its fingerprint (filled by `read`)
- `read`      - list calls first, then only the detail reads a plan needs (I/O through the client)
- `payload`   - desired API bodies (agents, documents, tools, tests) with ids or `$ref:` placeholders
- `normalize` - canonical payloads: read-only fields dropped, server defaults ignored, last-applied removals
- `diff`      - field changes (deepdiff), line diffs for long strings, secret masking
- `versions`, `resources`, `agents` - per-resource planning; `planner.make_plan` puts it together
- `model`     - the `Plan` data; `render_text`, `render_markdown`, `render_json`; `saved` (plan files)

Everything but `read` is pure; the state record and lock it reads are in `agentform.state`.
"""

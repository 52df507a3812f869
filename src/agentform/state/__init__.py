"""The state kept in the workspace: the state record and the environment lock, KB text documents of the workspace.

- `model`  - the record's format (`StateRecord`, one type for the planner and apply), parsing and dumping it
- `record` - the `agentform-state` document: finding it, reading it, writing it back (`RecordStore`)
- `lock`   - the environment lock: taking it, waiting for it, releasing it, `force-unlock`
- `folder` - finding and creating the managed folders both live in

All I/O goes through the client interface of docs/decisions/0001.
"""

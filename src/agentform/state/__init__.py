"""The state kept in the workspace: the state record and the environment lock, both KB documents of the managed folder.

- `record` - the `agentform-state` document: its format, reading it, writing it back (`RecordStore`)
- `view`   - what the planner reads from the record
- `lock`   - the environment lock: taking it, waiting for it, releasing it, `force-unlock`
- `folder` - finding and creating the managed folders both live in

All I/O goes through the client interface of docs/decisions/0001.
"""

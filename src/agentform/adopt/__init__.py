"""Live -> files: the direction opposite to the rest of agentform (docs/decisions/0015, 0120-0124).

`importer` turns live agents and tools into the text of new project files (`agentform import`), with `values` (how
live values are written in files) and `reader` (the reads an import needs, each resource once); `workspace` picks
and keys every unmanaged agent of a workspace (`import --all`); `pull` writes live edits of managed resources back
into the existing files (`agentform pull`) through `yamledit`, which changes a YAML file without reformatting it.
The pure parts live here; the commands do the reads and writes.
"""

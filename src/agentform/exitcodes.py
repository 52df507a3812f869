"""Process exit codes. Stable: scripts and CI depend on them (see README, "Exit codes")."""

OK = 0
ERROR = 1
# `plan --detailed-exitcode` found changes, or drift was detected.
CHANGES = 2
TESTS_FAILED = 3
# A saved plan no longer matches the live state, or a lock / merge conflict.
STALE_OR_CONFLICT = 4

"""Project files in, typed desired state out.

`load_desired` reads agentform.yaml, agents/, knowledge/, tools/ and tests_specs/ from a working tree or a git ref
and returns a `Desired` for one environment; `validate_project` returns every problem found, located by file, line
and column. See docs/file-formats.md for the formats.
"""

from agentform.project.diagnostics import Diagnostic, ProjectError
from agentform.project.loader import inspect_project, load_desired, validate_project

__all__ = ["Diagnostic", "ProjectError", "inspect_project", "load_desired", "validate_project"]

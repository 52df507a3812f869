"""agentform.yaml -> `ProjectSettings`."""

from __future__ import annotations

from agentform.model import EnvironmentSettings, ProjectSettings, VariableSettings
from agentform.project.diagnostics import Diagnostics
from agentform.project.schema import DefaultsFile, ProjectFile, did_you_mean, validate_model
from agentform.project.yamlio import YamlDocument

CONFIG = "agentform.yaml"


def parse_settings(document: YamlDocument, diagnostics: Diagnostics) -> tuple[ProjectSettings, DefaultsFile] | None:
    """Validate agentform.yaml; None (with diagnostics) if it is unusable."""
    from agentform.project.context import dotted

    def report(at: tuple[str | int, ...], message: str) -> None:
        diagnostics.error(CONFIG, document.where(at), dotted(at), message)

    parsed = validate_model(ProjectFile, document.data, report)
    if parsed is None:
        return None
    if parsed.default_environment not in parsed.environments:
        guess = did_you_mean(parsed.default_environment, parsed.environments)
        hint = f" (did you mean {guess!r}?)" if guess else f" (declared: {', '.join(parsed.environments)})"
        report(("default_environment",), f"environment {parsed.default_environment!r} is not declared{hint}")
        return None
    for name in parsed.variables:
        if not name.isidentifier():
            report(("variables", name), "variable names are letters, digits and _ (not starting with a digit)")
            return None
    environments = {
        name: EnvironmentSettings(
            name=name,
            **environment.model_dump(exclude={"variables", "rollout"}),
            variables={key: _text(value) for key, value in environment.variables.items()},
            rollout=environment.rollout.settings() if environment.rollout else None,
        )
        for name, environment in parsed.environments.items()
    }
    variables = {
        name: VariableSettings(
            name=name,
            default=None if spec is None or spec.default is None else _text(spec.default),
            secret=bool(spec and spec.secret),
            description=spec.description if spec else "",
        )
        for name, spec in parsed.variables.items()
    }
    settings = ProjectSettings(
        project=parsed.project,
        default_environment=parsed.default_environment,
        environments=environments,
        variables=variables,
        test_timeout_secs=parsed.defaults.test_timeout_secs,
    )
    return settings, parsed.defaults


def _text(value: object) -> str:
    """Variable values are text; YAML booleans are written the way YAML spells them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

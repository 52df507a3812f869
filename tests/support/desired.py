"""Desired state as explicit data for tests: one `Desired` from lists of resources, no files read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from agentform.model import Desired, EnvironmentSettings, ProjectSettings

if TYPE_CHECKING:
    from agentform.model import Backend, DesiredAgent, DesiredDocument, DesiredTest, DesiredTool


def desired_state(
    agents: Iterable[DesiredAgent] = (),
    documents: Iterable[DesiredDocument] = (),
    tools: Iterable[DesiredTool] = (),
    tests: Iterable[DesiredTest] = (),
    *,
    project: str,
    environment: str,
    backend: Backend | None = None,
    revision: str | None = None,
    secrets: frozenset[str] = frozenset(),
) -> Desired:
    """A project with one environment (its default) holding these resources, keyed as the loader keys them."""
    env = EnvironmentSettings(name=environment, **({"backend": backend} if backend else {}))
    settings = ProjectSettings(
        project=project, default_environment=environment, environments={environment: env}, source_revision=revision
    )
    return Desired(
        settings=settings,
        environment=env,
        agents={a.key: a for a in agents},
        documents={d.key: d for d in documents},
        tools={t.key: t for t in tools},
        tests={t.address: t for t in tests},
        secret_values=secrets,
    )

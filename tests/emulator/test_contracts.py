"""The contract map itself: every emulated /v1 endpoint declares the SDK model its responses must satisfy."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from tests.emulator.contracts import CONTRACTS, adapter

from agentform.emulator.routes import ROUTERS


def emulated_endpoints() -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/v1/")
        for method in route.methods
    }


def normalise(template: str) -> str:
    # Path parameter names differ between the SDK's docs and the routers; only the shape matters.
    return re.sub(r"\{[^/]+\}", "{}", template)


def test_every_emulated_endpoint_has_a_declared_contract_and_no_contract_is_stale():
    declared = {(method, normalise(path)) for method, path in CONTRACTS}
    served = {(method, normalise(path)) for method, path in emulated_endpoints()}

    assert served - declared == set()
    assert declared - served == set()


def test_every_declared_sdk_model_exists_in_the_installed_sdk():
    for model in {m for m in CONTRACTS.values() if m}:
        assert adapter(model) is not None

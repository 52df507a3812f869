"""scripts/openapi_schema.py: what it keeps of a document, how it repairs a dangling reference in the open, and
that it refuses to guess at one it cannot repair."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _script():
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location("openapi_schema", SCRIPTS / "openapi_schema.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPTS))


def _document(reference: str) -> dict:
    body = {"$ref": "#/components/schemas/Body", "description": "dropped"}
    operation = {
        "operationId": "create",
        "summary": "dropped",
        "parameters": [{"name": "page_size", "in": "query", "schema": {"type": "integer", "maximum": 100}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Body"}}}}},
    }
    return {
        "openapi": "3.1.0",
        "paths": {"/v1/convai/things": {"post": operation}, "/v1/other": {"get": operation}},
        "components": {
            "schemas": {
                "Body": {
                    "type": "object",
                    "title": "Body",
                    "required": ["vars"],
                    "properties": {"vars": {"$ref": f"#/components/schemas/{reference}", "examples": [1]}},
                },
                "Vars": {"type": "object", "x-fern-type-name": "dropped", "additionalProperties": {"type": "string"}},
                "Unreached": {"type": "string"},
            }
        },
    }


def test_it_keeps_the_convai_paths_what_they_reach_and_only_what_decides_validity():
    extracted = _script().extract(_document("Vars"), "test document")

    assert set(extracted["paths"]) == {"/v1/convai/things"}
    assert set(extracted["schemas"]) == {"Body", "Vars"}
    assert extracted["schemas"]["Body"] == {
        "type": "object",
        "required": ["vars"],
        "properties": {"vars": {"$ref": "#/components/schemas/Vars"}},
    }
    assert extracted["paths"]["/v1/convai/things"]["post"]["parameters"] == [
        {"name": "page_size", "in": "query", "required": False, "schema": {"type": "integer", "maximum": 100}}
    ]
    assert extracted["source"] == "test document" and extracted["repaired_references"] == {}


def test_a_dangling_input_reference_is_repaired_to_its_base_schema_and_listed():
    extracted = _script().extract(_document("Vars-Input"), "test document")

    assert extracted["repaired_references"] == {"Vars-Input": "Vars"}
    assert extracted["schemas"]["Body"]["properties"]["vars"] == {"$ref": "#/components/schemas/Vars"}
    assert "Vars-Input" not in extracted["schemas"]


def test_a_reference_it_cannot_repair_stops_the_script():
    with pytest.raises(SystemExit, match="unrepairable reference to 'Nowhere'"):
        _script().extract(_document("Nowhere"), "test document")

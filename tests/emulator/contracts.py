"""Which official SDK response model each emulator endpoint must satisfy, and a checker for responses.

Every response that the emulator test suite receives goes through `check_response` (a response hook on the test
clients), so the contract is checked on every call the tests make, not on a sample.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import httpx
from pydantic import TypeAdapter
from tests.emulator.openapi_check import check_openapi

# (method, path template) -> dotted name of the SDK model; None = not JSON (content) or an untyped `Any` in the SDK.
CONTRACTS: dict[tuple[str, str], str | None] = {
    ("POST", "/v1/convai/agents/create"): "types.CreateAgentResponseModel",
    ("GET", "/v1/convai/agents"): "types.GetAgentsPageResponseModel",
    ("GET", "/v1/convai/agents/{agent_id}"): "types.GetAgentResponseModel",
    ("PATCH", "/v1/convai/agents/{agent_id}"): "types.GetAgentResponseModel",
    ("DELETE", "/v1/convai/agents/{agent_id}"): None,
    ("POST", "/v1/convai/agents/{agent_id}/duplicate"): "types.CreateAgentResponseModel",
    ("GET", "/v1/convai/agents/{agent_id}/branches"): "types.ListResponseAgentBranchSummary",
    ("POST", "/v1/convai/agents/{agent_id}/branches"): "types.CreateAgentBranchResponseModel",
    ("GET", "/v1/convai/agents/{agent_id}/branches/{branch_id}"): "types.AgentBranchResponse",
    ("PATCH", "/v1/convai/agents/{agent_id}/branches/{branch_id}"): "types.AgentBranchResponse",
    ("GET", "/v1/convai/agents/{agent_id}/branches/{branch_id}/merge-preview"): "types.MergePreviewResponseModel",
    ("POST", "/v1/convai/agents/{agent_id}/branches/{branch_id}/merge"): None,
    ("GET", "/v1/convai/agents/{agent_id}/versions/{version_id}"): "types.AgentVersionMetadata",
    ("POST", "/v1/convai/agents/{agent_id}/deployments"): "types.AgentDeploymentResponse",
    ("GET", "/v1/convai/agents/{agent_id}/deployments"): "types.ListResponseAgentDeploymentHistoryItem",
    ("POST", "/v1/convai/knowledge-base/text"): "types.AddKnowledgeBaseResponseModel",
    ("POST", "/v1/convai/knowledge-base/file"): "types.AddKnowledgeBaseResponseModel",
    ("POST", "/v1/convai/knowledge-base/url"): "types.AddKnowledgeBaseResponseModel",
    ("POST", "/v1/convai/knowledge-base/folder"): "types.AddKnowledgeBaseResponseModel",
    ("POST", "/v1/convai/knowledge-base"): "types.AddKnowledgeBaseResponseModel",
    ("GET", "/v1/convai/knowledge-base"): "types.GetKnowledgeBaseListResponseModel",
    ("GET", "/v1/convai/knowledge-base/{documentation_id}"): (
        "conversational_ai.knowledge_base.documents.types.DocumentsGetResponse"
    ),
    ("PATCH", "/v1/convai/knowledge-base/{documentation_id}"): (
        "conversational_ai.knowledge_base.documents.types.DocumentsUpdateResponse"
    ),
    ("GET", "/v1/convai/knowledge-base/{documentation_id}/content"): None,
    ("DELETE", "/v1/convai/knowledge-base/{documentation_id}"): None,
    ("GET", "/v1/convai/knowledge-base/{documentation_id}/dependent-agents"): (
        "types.GetKnowledgeBaseDependentAgentsResponseModel"
    ),
    ("POST", "/v1/convai/tools"): "types.ToolResponseModel",
    ("GET", "/v1/convai/tools"): "types.ToolsResponseModel",
    ("GET", "/v1/convai/tools/{tool_id}"): "types.ToolResponseModel",
    ("PATCH", "/v1/convai/tools/{tool_id}"): "types.ToolResponseModel",
    ("DELETE", "/v1/convai/tools/{tool_id}"): None,
    ("GET", "/v1/convai/tools/{tool_id}/dependent-agents"): "types.GetToolDependentAgentsResponseModel",
    ("POST", "/v1/convai/secrets"): "types.PostWorkspaceSecretResponseModel",
    ("GET", "/v1/convai/secrets"): "types.GetWorkspaceSecretsResponseModel",
    ("GET", "/v1/convai/secrets/{secret_id}"): "types.ConvAiWorkspaceStoredSecretConfig",
    ("PATCH", "/v1/convai/secrets/{secret_id}"): "types.PostWorkspaceSecretResponseModel",
    ("DELETE", "/v1/convai/secrets/{secret_id}"): None,
    ("POST", "/v1/convai/agent-testing/create"): "types.CreateAgentTestResponseModel",
    ("GET", "/v1/convai/agent-testing"): "types.GetTestsPageResponseModel",
    ("GET", "/v1/convai/agent-testing/{test_id}"): "conversational_ai.tests.types.TestsGetResponse",
    ("PUT", "/v1/convai/agent-testing/{test_id}"): "conversational_ai.tests.types.TestsUpdateResponse",
    ("DELETE", "/v1/convai/agent-testing/{test_id}"): None,
    ("POST", "/v1/convai/agent-testing/folders"): "types.CreateAgentTestFolderResponseModel",
    ("GET", "/v1/convai/agent-testing/folders/{folder_id}"): "types.GetAgentTestFolderResponseModel",
    ("PATCH", "/v1/convai/agent-testing/folders/{folder_id}"): "types.GetAgentTestFolderResponseModel",
    ("DELETE", "/v1/convai/agent-testing/folders/{folder_id}"): None,
    ("POST", "/v1/convai/agents/{agent_id}/run-tests"): "types.GetTestSuiteInvocationResponseModel",
    ("GET", "/v1/convai/test-invocations"): "types.GetTestInvocationsPageResponseModel",
    ("GET", "/v1/convai/test-invocations/{invocation_id}"): "types.GetTestSuiteInvocationResponseModel",
    ("POST", "/v1/convai/test-invocations/{invocation_id}/cancel"): None,
    ("POST", "/v1/convai/test-invocations/{invocation_id}/resubmit"): None,
    ("GET", "/v1/convai/conversations"): "types.GetConversationsPageResponseModel",
    ("GET", "/v1/convai/conversations/{conversation_id}"): "types.GetConversationResponseModel",
    ("POST", "/v1/convai/conversations/{conversation_id}/feedback"): None,
    ("DELETE", "/v1/convai/conversations/{conversation_id}"): None,
    ("GET", "/v1/convai/conversations/messages/text-search"): "types.MessagesSearchResponse",
}

_ERROR_MODEL = "types.HttpValidationError"


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$")


_ROUTES = sorted(((m, _pattern(t), t) for (m, t) in CONTRACTS), key=lambda r: -len(r[2]))
# Literal segments must win over placeholders (`/knowledge-base/text` is not a document id).
_LITERAL_FIRST = sorted(_ROUTES, key=lambda r: (r[2].count("{"), -len(r[2])))


def template_of(method: str, path: str) -> str | None:
    for route_method, pattern, template in _LITERAL_FIRST:
        if route_method == method and pattern.match(path):
            return template
    return None


@cache
def adapter(dotted: str) -> TypeAdapter[Any]:
    import importlib

    module_name, _, attr = dotted.rpartition(".")
    module = importlib.import_module(f"elevenlabs.{module_name}")
    return TypeAdapter(getattr(module, attr))


checked: list[tuple[str, str, int]] = []


def check_response(response: httpx.Response) -> None:
    """Validate one emulator response against the SDK; raise AssertionError naming the endpoint otherwise."""
    request = response.request
    path = request.url.path
    if not path.startswith("/v1/"):
        return
    response.read()
    template = template_of(request.method, path)
    assert template is not None, f"no contract declared for {request.method} {path}"
    if response.status_code == 422:
        adapter(_ERROR_MODEL).validate_python(response.json())
        assert isinstance(response.json()["detail"], list)
    elif response.status_code >= 400:
        assert "detail" in response.json(), f"{request.method} {path}: error body without detail"
    else:
        model = CONTRACTS[(request.method, template)]
        if model is not None:
            try:
                adapter(model).validate_python(response.json())
            except Exception as error:  # pragma: no cover - the message is the point
                raise AssertionError(f"{request.method} {template} does not match {model}: {error}") from error
            check_openapi(request.method, template, response.json())
        elif template.endswith("/content"):
            assert response.headers["content-type"].startswith("text/html")
        else:
            json.loads(response.content or b"null")
    checked.append((request.method, template, response.status_code))

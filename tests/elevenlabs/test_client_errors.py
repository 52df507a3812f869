"""Error messages name the request and the resource and carry the API's own explanation."""

from __future__ import annotations

import pytest

from agentform.elevenlabs.errors import ApiError, NotFoundError, api_error, error_message, parse_body


def test_fastapi_validation_errors_become_field_paths_with_messages() -> None:
    body = {
        "detail": [
            {"loc": ["body", "conversation_config", "agent", "prompt", "llm"], "msg": "Input should be x", "type": "e"},
            {"loc": ["query", "page_size"], "msg": "less than or equal to 100", "type": "le"},
        ]
    }
    assert error_message(body, "Unprocessable Entity") == (
        "conversation_config.agent.prompt.llm: Input should be x; page_size: less than or equal to 100"
    )


def test_elevenlabs_status_and_message_details_are_both_kept() -> None:
    body = {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}
    assert error_message(body, "Unauthorized") == "Invalid API key (invalid_api_key)"


def test_a_plain_string_detail_is_the_message() -> None:
    assert error_message({"detail": "Agent not found"}, "Not Found") == "Agent not found"


def test_an_error_message_body_is_understood() -> None:
    assert error_message({"error": "bad_request", "message": "name too long"}, "Bad Request") == "name too long"


def test_a_proxy_html_page_is_shortened_and_flattened() -> None:
    page = "<html>\n<body>" + "gateway " * 200 + "</body></html>"
    message = error_message(page, "Bad Gateway")
    assert "\n" not in message
    assert len(message) <= 303
    assert message.startswith("<html> <body>gateway")


def test_an_empty_error_body_falls_back_to_the_status_reason() -> None:
    assert error_message(None, "Service Unavailable") == "Service Unavailable"


def test_bodies_are_parsed_as_json_only_when_they_are_json() -> None:
    assert parse_body(b'{"a": 1}', "application/json") == {"a": 1}
    assert parse_body(b"plain words", "text/plain") == "plain words"
    assert parse_body(b"{not json", "text/plain") == "{not json"
    assert parse_body(b"", "application/json") is None


def test_an_api_error_reads_as_resource_request_status_and_reason() -> None:
    error = api_error(422, "PATCH", "/v1/convai/agents/agent_1", "agent agent_1", "name: too long")
    assert str(error) == "agent agent_1: PATCH /v1/convai/agents/agent_1 failed with HTTP 422: name: too long"
    assert (error.status, error.method, error.resource) == (422, "PATCH", "agent agent_1")


def test_a_404_is_a_not_found_error_that_callers_can_catch_alone() -> None:
    error = api_error(404, "GET", "/v1/convai/tools/t", "tool t", "Not Found")
    assert isinstance(error, NotFoundError)
    assert isinstance(error, ApiError)
    assert error.not_found


@pytest.mark.parametrize("status", [400, 409, 500])
def test_other_statuses_are_plain_api_errors(status: int) -> None:
    error = api_error(status, "GET", "/p", "thing", "m")
    assert type(error) is ApiError
    assert not error.not_found


def test_the_number_of_attempts_is_mentioned_when_the_request_was_retried() -> None:
    error = api_error(503, "GET", "/v1/convai/agents", "agents", "Service Unavailable", attempts=6)
    assert "after 6 attempts" in str(error)

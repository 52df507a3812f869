"""The server defaults the emulator fills into every agent, in one place.

The real API returns a full configuration, including values the caller never set. The emulator does the same
with this deliberately modest set, so that the planner must normalise server defaults away exactly as it must
against the real service. Other modules (the planner's tests) may read these constants; they must not rely on
the emulator filling anything not listed here.
"""

from __future__ import annotations

import copy
from typing import Any

from agentform.emulator.common import deep_merge

CONVERSATION_CONFIG_DEFAULTS: dict[str, Any] = {
    "asr": {"quality": "high", "provider": "elevenlabs", "user_input_audio_format": "pcm_16000", "keywords": []},
    "turn": {"turn_timeout": 7.0, "silence_end_call_timeout": -1.0, "turn_eagerness": "normal"},
    "tts": {
        "model_id": "eleven_turbo_v2",
        "voice_id": "cjVigY5qzO86Huf0OWal",
        "agent_output_audio_format": "pcm_16000",
        "optimize_streaming_latency": 3,
        "stability": 0.5,
        "speed": 1.0,
        "similarity_boost": 0.8,
    },
    "conversation": {"text_only": False, "max_duration_seconds": 600, "client_events": ["audio", "interruption"]},
    "language_presets": {},
    "agent": {
        "first_message": "",
        "language": "en",
        "dynamic_variables": {"dynamic_variable_placeholders": {}},
        "prompt": {
            "prompt": "",
            "llm": "gemini-2.0-flash",
            "temperature": 0.0,
            "max_tokens": -1,
            "tool_ids": [],
            "knowledge_base": [],
            "mcp_server_ids": [],
            "native_mcp_server_ids": [],
        },
    },
}

PLATFORM_SETTINGS_DEFAULTS: dict[str, Any] = {
    "evaluation": {"criteria": []},
    "data_collection": {},
    "overrides": {},
    "call_limits": {"agent_concurrency_limit": -1, "daily_limit": 100000, "bursting_enabled": True},
    "privacy": {"record_voice": True, "retention_days": -1, "delete_transcript_and_pii": False, "delete_audio": False},
    "testing": {"attached_tests": []},
    "archived": False,
    "safety": {"is_blocked_ivc": False, "is_blocked_non_ivc": False, "ignore_safety_evaluation": False},
}

# The API's workflow always has its start node (the OpenAPI schema requires at least one node).
WORKFLOW_DEFAULTS: dict[str, Any] = {
    "edges": {},
    "nodes": {"start_node": {"type": "start", "position": {"x": 0.0, "y": 0.0}, "edge_order": []}},
    "prevent_subagent_loops": False,
}

DEFAULT_AGENT_NAME = "New agent"


def with_defaults(section: str, value: dict[str, Any] | None) -> dict[str, Any]:
    """`value` over the server defaults of one config section (`conversation_config`, ...)."""
    base = {
        "conversation_config": CONVERSATION_CONFIG_DEFAULTS,
        "platform_settings": PLATFORM_SETTINGS_DEFAULTS,
        "workflow": WORKFLOW_DEFAULTS,
    }[section]
    return deep_merge(copy.deepcopy(base), value or {})

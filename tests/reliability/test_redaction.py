"""Masking covers every form a secret travels in, and secrets applied in the past known only by fingerprint."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest

from agentform.redact import MASK, Redactor, fingerprint, resolve_tokens, secret_digest
from agentform.state.model import AgentEntry, StateRecord, dump_record, parse_record

SECRET = 'Tok3n/"with"+odd&chars\\x'


@pytest.mark.parametrize(
    "form",
    [
        SECRET,
        json.dumps(SECRET)[1:-1],
        json.dumps(json.dumps(SECRET)[1:-1])[1:-1],
        quote(SECRET, safe=""),
        quote(SECRET),
        quote_plus(SECRET),
        SECRET.lower(),
        SECRET.upper(),
        quote(SECRET, safe="").lower(),
        "Tok3n/&quot;with&quot;+odd&amp;chars\\x",
    ],
    ids=["plain", "json", "json-twice", "url", "url-path", "url-plus", "lower", "upper", "url-lower", "xml"],
)
def test_a_secret_is_masked_in_every_encoded_form(form):
    masked = Redactor([SECRET]).text(f"error: the server said {form!s} was rejected")
    assert MASK in masked
    assert form not in masked


def test_a_remembered_fingerprint_masks_the_old_value_and_teaches_it_for_later_text():
    redactor = Redactor(["the-current-value"])
    redactor.remember("salt", {fingerprint("salt", "the-OLD-value-123"): len("the-OLD-value-123")})
    assert redactor.text("url: https://x.test/?k=the-old-value-123") == f"url: https://x.test/?k={MASK}"
    assert "the-old-value-123" in redactor.secrets
    assert (
        redactor.text("quoted: the%2Dold%2Dvalue%2D123 or the-old-value-123")
        == f"quoted: the%2Dold%2Dvalue%2D123 or {MASK}"
    )


def test_the_state_record_keeps_tokens_and_fingerprints_never_a_value():
    record = StateRecord.empty("p", "e")
    record.use_secrets(["s3cret-value"])
    record.agents["a"] = _entry("https://x/?k=s3cret-value")
    text = dump_record(record)
    assert "s3cret-value" not in text
    assert "$secret:" in text and fingerprint(json.loads(text)["secret_salt"], "s3cret-value") in text


def test_the_record_puts_back_current_secrets_and_keeps_rotated_ones_as_tokens():
    record = StateRecord.empty("p", "e")
    record.use_secrets(["old-secret-value"])
    record.agents["a"] = _entry("https://x/?k=old-secret-value")
    text = dump_record(record)
    assert parse_record(text, project="p", environment="e", secrets=["old-secret-value"]).agents["a"].payload == {
        "url": "https://x/?k=old-secret-value"
    }
    rotated = parse_record(text, project="p", environment="e", secrets=["new-secret-value"]).agents["a"].payload
    assert rotated["url"].startswith("https://x/?k=$secret:")


def test_a_token_matches_the_live_value_only_when_the_value_has_the_digest():
    recorded = {"url": f"https://x/?k=$secret:{secret_digest('salt', 'old-secret-value')}&v=2", "n": 1}
    assert resolve_tokens(recorded, {"url": "https://x/?k=old-secret-value&v=2", "n": 1}, "salt")["url"] == (
        "https://x/?k=old-secret-value&v=2"
    )
    edited = {"url": "https://x/?k=someone-else&v=2", "n": 1}
    assert resolve_tokens(recorded, edited, "salt") == recorded


def _entry(url: str) -> AgentEntry:
    return AgentEntry(id="agent_1", payload_hash="h", payload={"url": url})

"""ElevenLabs' OpenAPI document (the ConvAI part, shipped as data) and a validator over it.

`agentform validate` (via `project/`) and the emulator's request validation both use this package, so what is
valid locally is what the API accepts. The data file is read on first use only: commands that never validate do
not pay for it.
"""

from agentform.openapi.document import Document, Operation, load_document
from agentform.openapi.validator import Failure, Validator

__all__ = ["Document", "Failure", "Operation", "Validator", "load_document"]

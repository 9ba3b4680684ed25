"""Block Kit as Slack judges it, by slack_sdk's own models: messages' blocks and a modal's."""

from __future__ import annotations

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from .slack_state import decoded

BLOCK_LIMIT = 50


def blocks_problem(raw: object, *, limit: int = BLOCK_LIMIT) -> str | None:
    """Why Slack would refuse these blocks (``invalid_blocks``), judged by slack_sdk's own models;
    a message takes ``BLOCK_LIMIT`` of them, a view more."""
    value = decoded(raw)
    if value in (None, "", []):
        return None
    if not isinstance(value, list) or len(value) > limit:
        return f"at most {limit} blocks"
    for item in value:
        try:
            block = Block.parse(item)
            if block is None:
                return f"unknown block {item!r:.80}"
            block.to_dict()  # validate_json() on every nested element too, which validate_json alone skips
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
            return str(exc)
    return None

"""Text from outside opsbot, made safe to show the model as data.

Hidden HTML comments and invisible characters are removed (a reader of the
page never saw them, so they carry no one's visible intent), secrets are
redacted, lengths are bounded, and the result is wrapped in an element whose
name carries a per-task random suffix: text written before the task began
can't guess it, so it can't close the element and pose as an instruction.
"""

from __future__ import annotations

import re
import secrets

from bot.conversation.mentions import HTML_COMMENT, strip_invisible
from bot.redaction import redact

_LOOKALIKE = re.compile(r"<(/?)untrusted-", re.IGNORECASE)


def clean(text: str, limit: int) -> str:
    """``text`` without hidden parts and secrets, at most ``limit`` characters."""
    visible = HTML_COMMENT.sub("", strip_invisible(text.replace("\r\n", "\n")))
    safe = _LOOKALIKE.sub(r"‹\1untrusted-", redact(visible)).strip()
    if len(safe) > limit:
        return safe[:limit].rstrip() + f"\n… [{len(safe) - limit} more characters not shown]"
    return safe


def _attribute(value: str) -> str:
    return " ".join(clean(value, 200).split()).replace('"', "'")


# What opsbot itself wrote into the fence: the team's memories are not someone else's words.
OWN_KINDS = frozenset(["memories"])


class Fence:
    """Wraps untrusted text for one task, and remembers what it wrapped: a lesson the agent
    proposes must not be copied from it (bot.memory.hygiene.copied_problem)."""

    def __init__(self, nonce: str | None = None) -> None:
        self.tag = "untrusted-" + (nonce or secrets.token_hex(6))
        self.material: list[str] = []

    def wrap(self, kind: str, text: str, limit: int, **attributes: str) -> str:
        attrs = "".join(f' {key}="{_attribute(value)}"' for key, value in attributes.items())
        shown = clean(text, limit)
        if kind not in OWN_KINDS:
            self.material.append(shown)
        return f'<{self.tag} kind="{kind}"{attrs}>\n{shown}\n</{self.tag}>'

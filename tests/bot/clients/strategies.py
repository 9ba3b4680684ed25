"""Hostile text: arbitrary characters mixed with what people use to ping, disguise or hide."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.text import CLOSE, FIELD, OPEN

TRICKS = [
    "<!channel>", "<!here>", "<!everyone>", "<@U_BOB>", "<@U_BOB|bob>", "<#C_OPS>", "<!subteam^S1>",
    "<https://evil.example|https://github.com/acme/api>", "<https://evil.example>", "@octocat", "@acme/team",
    "@all", "&#64;octocat", "&commat;all", "<!--", "-->", "<!-- opsbot:reply x -->", "<!-- opsbot:todos -->",
    "[https://github.com/acme](https://evil.example)", "![x](https://evil.example/p.png)",
    "[a][1]\n\n[1]: https://evil.example", "```", "~~~", "`", "``", "\\", "\n", "\n\n", "> ", "- [x] [Ops] ", "**",
    "&", "&amp;", "<", ">", "|", "<b>", "<details>", "<script>", "\u2060", "\u200b",
    f"{OPEN}person{FIELD}slack{FIELD}U_BOB{CLOSE}", f"{OPEN}link{FIELD}https://evil.example{FIELD}docs{CLOSE}",
    f"{OPEN}hidden{FIELD}opsbot:reply x{CLOSE}", OPEN, CLOSE, FIELD,
]  # fmt: skip
CHARACTERS = st.characters(codec="utf-8")  # any character a message can carry (no lone surrogates)
hostile = st.lists(st.one_of(st.text(CHARACTERS, max_size=12), st.sampled_from(TRICKS)), max_size=12).map("".join)
# What survives a slash command: printable, one message.
hostile_words = hostile.map(lambda s: " ".join("".join(c for c in s if c.isprintable() or c == " ").split()))

"""The Home tab's view: valid Block Kit by slack_sdk's own models, within 100 blocks whatever it holds,
outside text shown as text, and the buttons carrying what their commands need."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.clients.slack_home_view import VIEW_BLOCK_LIMIT, home_view
from bot.home.model import (
    HOME_APPROVE_ACTION,
    HOME_DENY_ACTION,
    HOME_UNLOCK_ACTION,
    HeldLock,
    Home,
    LatestDeploy,
    OpenIncident,
    OpenTodoList,
    WaitingApproval,
)
from bot.text import strip_tokens
from tests.bot.clients.strategies import hostile
from tests.rendered import slack_problems

NOW = 1_800_000_000.0
VIEWER = "U_CAROL"
outside = hostile.map(strip_tokens)  # outside text enters opsbot stripped of token characters


def valid(view: dict[str, Any]) -> list[Block]:
    """The view's blocks as slack_sdk reads them; raises where Slack would refuse the view."""
    blocks = [Block.parse(b) for b in view["blocks"]]
    assert None not in blocks, "a block slack_sdk doesn't know"
    View(**view).to_dict()  # validates the view and, through each block's to_dict, every element
    return [b for b in blocks if b is not None]


def texts(value: Any) -> list[str]:
    """Every text a person reads in the view."""
    if isinstance(value, dict):
        own = [value["text"]] if isinstance(value.get("text"), str) else []
        return own + [t for v in value.values() for t in texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in texts(v)]
    return []


def buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for block in view["blocks"]:
        found += [e for e in block.get("elements", []) if e.get("type") == "button"]
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found


def approval(n: int, requester: str = "U_ALICE") -> WaitingApproval:
    return WaitingApproval(f"{n:06x}", "api", "production", "main", f"{n:040x}", requester, NOW + 600 + n)


def lock(n: int, reason: str | None = "migration") -> HeldLock:
    return HeldLock("production", f"svc-{n}", VIEWER, reason, NOW - n)


def deploy(n: int) -> LatestDeploy:
    return LatestDeploy(f"svc-{n}", "staging", "main", f"{n:040x}", "success", "github:octocat", NOW - n,
                        f"https://github.com/acme/svc-{n}/deployments")  # fmt: skip


def incident(n: int, title: str = "checkout is down") -> OpenIncident:
    return OpenIncident(f"inc-{n}", title, 1 + n % 4, f"C_INC{n}", "U_ALICE" if n % 2 else None, NOW - n)


def todo_list(n: int, item: str = "[Ops] check the dashboards") -> OpenTodoList:
    link = f"https://acme.slack.com/archives/C_OPS/p{n}"
    return OpenTodoList("C_OPS", f"1700000000.{n:06d}" if n else None, 1, 3, item, link if n else None)


def test_an_empty_home_says_nothing_waits() -> None:
    view = home_view(Home(VIEWER, NOW))
    valid(view)
    shown = "\n".join(texts(view))
    for line in ("Nothing is waiting for your approval.", "You hold no locks.", "No incident is open.",
                 "Nothing has been deployed yet.", "No open [Ops] todos in your channels."):  # fmt: skip
        assert line in shown
    assert "<@U_CAROL>" in shown  # whose Home it is, by mention
    assert buttons(view) == []


def test_each_approval_has_approve_and_deny_with_its_id_and_each_lock_unlock_with_its_words() -> None:
    whole = HeldLock("staging", None, VIEWER, None, NOW)
    home = Home(VIEWER, NOW, approvals=(approval(0xABC123),), locks=(lock(1), whole))
    view = home_view(home)
    valid(view)
    assert [(b["action_id"], b["value"]) for b in buttons(view)] == [
        (HOME_APPROVE_ACTION, "abc123"),
        (HOME_DENY_ACTION, "abc123"),
        (HOME_UNLOCK_ACTION, "production svc-1"),
        (HOME_UNLOCK_ACTION, "staging"),
    ]
    shown = "\n".join(texts(view))
    assert "asked by <@U_ALICE>" in shown
    assert "`staging (all services)`" in shown


def test_incidents_link_to_their_channels_and_todo_lists_to_their_threads() -> None:
    view = home_view(Home(VIEWER, NOW, incidents=(incident(3),), todos=(todo_list(7), todo_list(0))))
    valid(view)
    shown = "\n".join(texts(view))
    assert "<#C_INC3>" in shown
    assert "<https://acme.slack.com/archives/C_OPS/p7|thread of 2023-11-14 22:13 UTC>" in shown
    assert "<#C_OPS> (the channel's list) (1 of 3 done)" in shown


def test_three_hundred_locks_and_deploys_fit_and_the_rest_are_counted() -> None:
    home = Home(VIEWER, NOW, locks=tuple(lock(n) for n in range(300)), deploys=tuple(deploy(n) for n in range(300)))
    view = home_view(home)
    valid(view)
    assert len(view["blocks"]) <= VIEW_BLOCK_LIMIT
    shown = "\n".join(texts(view))
    assert "Your locks (300)" in shown
    assert "…and 285 more." in shown  # 15 shown
    assert "Latest deploys (300)" in shown
    assert "…and 260 more." in shown  # 40 shown, as lines
    assert len([b for b in buttons(view) if b["action_id"] == HOME_UNLOCK_ACTION]) == 15


def test_the_last_click_tops_the_home_as_text() -> None:
    view = home_view(Home(VIEWER, NOW, notice="You can't approve your own deploy: <!channel> someone else has to."))
    valid(view)
    notice = texts(view)[2]
    assert notice.startswith("*Your last click:* You can't approve your own deploy")
    assert slack_problems(notice) == []


@settings(max_examples=60, deadline=None)
@given(
    counts=st.tuples(*(st.integers(0, 300) for _ in range(5))),
    unread=st.integers(0, 500),
    words=st.lists(outside, min_size=3, max_size=3),
    notice=st.none() | outside,
    channels_known=st.booleans(),
)
def test_any_home_is_a_valid_view_within_the_limits_that_shows_outside_text_as_text(
    counts: tuple[int, int, int, int, int], unread: int, words: list[str], notice: str | None, channels_known: bool
) -> None:
    approvals, locks, incidents, deploys, todos = counts
    title, reason, item = words
    home = Home(
        VIEWER, NOW,
        approvals=tuple(approval(n) for n in range(approvals)),
        locks=tuple(lock(n, reason * 40) for n in range(locks)),
        incidents=tuple(incident(n, title * 40) for n in range(incidents)),
        deploys=tuple(deploy(n) for n in range(deploys)),
        todos=tuple(todo_list(n, f"[Ops] {item * 40}") for n in range(todos)),
        todos_unread=unread, channels_known=channels_known, notice=notice,
    )  # fmt: skip
    view = home_view(home)
    valid(view)
    assert len(view["blocks"]) <= VIEW_BLOCK_LIMIT
    people = ["U_ALICE", VIEWER]
    channels = ["C_OPS", *(f"C_INC{n}" for n in range(incidents))]
    links = [f"https://github.com/acme/svc-{n}/deployments" for n in range(deploys)]
    links += [f"https://acme.slack.com/archives/C_OPS/p{n}" for n in range(todos)]
    for text in texts(view):
        assert slack_problems(text, people=people, channels=channels, links=links) == []
    shown = "\n".join(texts(view))
    for title_, total in (("Your locks", locks), ("Open incidents", incidents), ("Latest deploys", deploys)):
        assert (f"{title_} ({total})" in shown) is (total > 0)
    more = [int(n) for n in re.findall(r"…and (\d+) more\.", shown)]
    shown_at_most = ((approvals, 0, 10), (locks, 0, 15), (incidents, 0, 10), (deploys, 0, 40), (todos, unread, 10))
    expected = [n for n in (total + beyond - min(total, cap) for total, beyond, cap in shown_at_most) if n > 0]
    assert more == expected

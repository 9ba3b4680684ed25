"""The one place that renders a :class:`bot.home.model.Home` as a Slack Home tab view, within Block Kit's limits.

Every text goes through :func:`bot.clients.slack_markup.to_mrkdwn`, so incident titles, lock
reasons and todo items (outside text) are shown as text, and only opsbot's own people, channels
and links are live. Each part lists its first few items (``bot.home.model``'s ``*_SHOWN``) and
says how many more there are; whatever a Home holds, the view has at most 100 blocks and no text
over its block's limit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bot.clients.limits import cut
from bot.clients.slack_markup import ATOMS, BUTTON_TEXT_LIMIT, SECTION_LIMIT, sections, to_mrkdwn
from bot.deploys.commands import SHOWN_STATES
from bot.deploys.lock_commands import when
from bot.home.model import (
    APPROVALS_SHOWN,
    DEPLOYS_SHOWN,
    HOME_APPROVE_ACTION,
    HOME_DENY_ACTION,
    HOME_UNLOCK_ACTION,
    INCIDENTS_SHOWN,
    LOCKS_SHOWN,
    TODO_LISTS_SHOWN,
    HeldLock,
    Home,
    LatestDeploy,
    OpenIncident,
    OpenTodoList,
    WaitingApproval,
)
from bot.text import channel, link, mention, mention_handle

VIEW_BLOCK_LIMIT = 100  # blocks in one view (views.publish)
HEADER_LIMIT = 150  # a header block's plain text
CUT = "…"
Block = dict[str, Any]


def _mrkdwn(text: str) -> str:
    return cut(to_mrkdwn(text), SECTION_LIMIT, CUT, ATOMS)


def _section(text: str, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(text)}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:HEADER_LIMIT], "emoji": True}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _mrkdwn(text)}]}


def _button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:BUTTON_TEXT_LIMIT], "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        button["style"] = style
    return button


def _part(title: str, shown: Sequence[Block], count: int, total: int, empty: str) -> list[Block]:
    """A heading, the blocks of the first ``count`` of ``total`` items, how many more there are, a divider."""
    blocks = [_header(f"{title} ({total})" if total else title), *shown]
    if not total:
        blocks.append(_context(empty))
    elif total > count:
        blocks.append(_context(f"…and {total - count} more."))
    blocks.append({"type": "divider"})
    return blocks


def _each(items: Sequence[list[Block]]) -> list[Block]:
    return [block for item in items for block in item]


def _approval(approval: WaitingApproval, now: float) -> list[Block]:
    what = "Rollback" if approval.rollback else "Deploy"
    minutes = max(0, int((approval.expires_at - now) // 60))
    text = (
        f"*{what} of `{approval.service}` `{approval.ref}` (`{approval.sha[:7]}`) to `{approval.environment}`*\n"
        f"asked by {mention_handle(approval.requester)} · expires in {minutes} min (`{approval.id}`)"
    )
    buttons = [
        _button("Approve", HOME_APPROVE_ACTION, approval.id, "primary"),
        _button("Deny", HOME_DENY_ACTION, approval.id, "danger"),
    ]
    return [_section(text), {"type": "actions", "elements": buttons}]


def _lock(lock: HeldLock) -> list[Block]:
    scope = f"{lock.environment}/{lock.service}" if lock.service else f"{lock.environment} (all services)"
    reason = f": {lock.reason}" if lock.reason else ""
    unlock = _button("Unlock", HOME_UNLOCK_ACTION, lock.words)
    return [_section(f"🔒 `{scope}` since {when(lock.since)}{reason}", unlock)]


def _incident(incident: OpenIncident) -> list[Block]:
    where = f" · {channel(incident.channel)}" if incident.channel else ""
    commander = mention_handle(incident.commander) if incident.commander else "nobody yet"
    return [
        _section(
            f"🚨 *sev{incident.severity}* · {' '.join(incident.title.split())}{where}\n"
            f"commander {commander} · declared {when(incident.declared_at)}"
        )
    ]


def _deploy_line(deploy: LatestDeploy) -> str:
    state = SHOWN_STATES.get(deploy.status, deploy.status)
    details = f" · {link(deploy.url, 'details')}" if deploy.url else ""
    what = "rollback " if deploy.rollback else ""
    return (
        f"{state} `{deploy.service}` → `{deploy.environment}`: {what}`{deploy.ref}` (`{deploy.sha[:7]}`) "
        f"by {mention_handle(deploy.requester)} · {when(deploy.created_at)}{details}"
    )


def _deploys(deploys: Sequence[LatestDeploy]) -> list[Block]:
    """The deploys as lines, as few sections as hold them (already rendered: cut at line breaks)."""
    if not deploys:
        return []
    rendered = to_mrkdwn("\n".join(_deploy_line(d) for d in deploys))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in sections(rendered)]


def _todo_list(todos: OpenTodoList) -> list[Block]:
    if todos.thread_ts is None:
        where = f"{channel(todos.channel)} (the channel's list)"
    else:
        try:  # a Slack ts is seconds.microseconds since the epoch: when the thread started
            label = "thread of " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(todos.thread_ts)))
        except ValueError:
            label = "a thread"
        thread = link(todos.link, label) if todos.link else label
        where = f"{channel(todos.channel)} · {thread}"
    return [_section(f"📝 {where} ({todos.done} of {todos.total} done)\nnext: {' '.join(todos.next_item.split())}")]


def home_view(home: Home) -> dict[str, Any]:
    """``home`` as the ``view`` argument of views.publish."""
    blocks: list[Block] = [
        _header("opsbot"),
        _context(f"What is waiting for {mention('slack', home.viewer)} · updated {when(home.at)}"),
    ]
    if home.notice:
        blocks.append(_section(f"*Your last click:* {home.notice}"))
    approvals, locks, incidents = (
        home.approvals[:APPROVALS_SHOWN],
        home.locks[:LOCKS_SHOWN],
        home.incidents[:INCIDENTS_SHOWN],
    )
    deploys, todos = home.deploys[:DEPLOYS_SHOWN], home.todos[:TODO_LISTS_SHOWN]
    blocks += _part(
        "Waiting for your approval",
        _each([_approval(a, home.at) for a in approvals]),
        len(approvals),
        len(home.approvals),
        "Nothing is waiting for your approval.",
    )
    blocks += _part(
        "Your locks", _each([_lock(lock) for lock in locks]), len(locks), len(home.locks), "You hold no locks."
    )
    blocks += _part(
        "Open incidents",
        _each([_incident(i) for i in incidents]),
        len(incidents),
        len(home.incidents),
        "No incident is open.",
    )
    blocks += _part(
        "Latest deploys", _deploys(deploys), len(deploys), len(home.deploys), "Nothing has been deployed yet."
    )
    blocks += _part(
        "[Ops] todos in your channels",
        _each([_todo_list(t) for t in todos]),
        len(todos),
        len(home.todos) + home.todos_unread,
        "No open [Ops] todos in your channels."
        if home.channels_known
        else "Slack didn't say which channels you are in; they will show on your next visit.",
    )[:-1]  # nothing follows: no divider
    if len(blocks) > VIEW_BLOCK_LIMIT:  # the parts' bounds keep well inside; this guard stays
        blocks = [*blocks[: VIEW_BLOCK_LIMIT - 1], _context("…more than one Home can show.")]
    return {"type": "home", "blocks": blocks}

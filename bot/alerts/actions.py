"""The alert message's buttons, and keeping a silenced group's message true to Alertmanager.

A click is a job (:class:`AlertAction`, kind ``alert.action``); :class:`AlertActions.clicked`
carries it out under the group's mutex (``groups.MUTEX`` + group id):

- Silence 1h / 4h: only ``OpsConfig.silencers``; a silence on the group's labels in Alertmanager,
  made at most once per message and length even when retried (our own comment is looked for first).
- Declare incident: the incidents feature, through the ``DeclareIncident`` callback the composition
  root wires; the episode (first firing time) is part of the key, so a group firing again weeks
  later opens a new incident.
- Ask the Ops agent: a chat job in the message's thread as the clicker; the agent reads the thread,
  whose first post is the alert message, as fenced conversation.

Alertmanager notifies nothing for a silenced group, not even its resolution, so while silenced a
delayed :class:`ReconcileDue` job (kind ``alert.reconcile``) asks Alertmanager which alerts it still
holds and when the silence has ended.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Protocol, get_args

from bot import json_fields
from bot.alertmanager import Alertmanager, Matcher, NewSilence
from bot.alerts.groups import MUTEX
from bot.alerts.incident_news import declaration
from bot.alerts.model import Alert
from bot.alerts.ports import AlertGroup, AlertGroupStore, LastDeploy
from bot.alerts.render import (
    ASK_ACTION,
    DECLARE_ACTION,
    SILENCE_1H_ACTION,
    SILENCE_4H_ACTION,
    render,
    title,
)
from bot.config import OpsConfig
from bot.conversation.reporting import Reporter
from bot.errors import UpstreamError
from bot.failures import explain, new_error_id
from bot.jobs.kinds import Job
from bot.model import ChatMessage, Person, SlackThread
from bot.ports import Mutexes
from bot.text import mention

log = logging.getLogger(__name__)

ActionName = Literal["alert_silence_1h", "alert_silence_4h", "alert_declare_incident", "alert_ask_agent"]
ACTIONS: tuple[ActionName, ...] = get_args(ActionName)
assert set(ACTIONS) == {SILENCE_1H_ACTION, SILENCE_4H_ACTION, DECLARE_ACTION, ASK_ACTION}
SILENCE_FOR = {SILENCE_1H_ACTION: 3600.0, SILENCE_4H_ACTION: 4 * 3600.0}
ASK_TEXT = "Look into the alerts of this group: what is happening and what should we do?"
COMMENT_LIMIT = 300
RECONCILE_EVERY = 180.0  # seconds between looks at a silenced group


@dataclass(frozen=True)
class AlertAction:
    """A click on one of an alert message's buttons."""

    KIND: ClassVar[str] = "alert.action"

    action: ActionName
    group_id: str  # the button's value
    clicker: str  # Slack user id
    channel: str
    message_ts: str
    click_id: str  # the click's trigger id or action ts: one job per click

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "group_id": self.group_id,
            "clicker": self.clicker,
            "channel": self.channel,
            "message_ts": self.message_ts,
            "click_id": self.click_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AlertAction:
        return cls(
            action=json_fields.one_of(data, "action", ACTIONS),
            group_id=json_fields.text(data, "group_id"),
            clicker=json_fields.text(data, "clicker"),
            channel=json_fields.text(data, "channel"),
            message_ts=json_fields.text(data, "message_ts"),
            click_id=json_fields.text(data, "click_id"),
        )


@dataclass(frozen=True)
class ReconcileDue:
    """Time to compare a silenced group with what Alertmanager holds."""

    KIND: ClassVar[str] = "alert.reconcile"

    group_id: str
    due: float

    def to_json(self) -> dict[str, Any]:
        return {"group_id": self.group_id, "due": self.due}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReconcileDue:
        return cls(json_fields.text(data, "group_id"), json_fields.number(data, "due"))


class Queue(Protocol):
    async def enqueue(self, job: Job, *, dedupe_key: str | None = None, delay: float = 0.0) -> bool: ...


# Wired by the composition root to Incidents.declare_for_alerts (features don't import each other):
# (source key, title, severity, alerted in, declared by) -> the incident's id.
DeclareIncident = Callable[[str, str, int, SlackThread, str], Awaitable[str]]


def silence_comment(action: AlertAction, group: AlertGroup) -> str:
    text = f"opsbot alert message {action.channel}/{action.message_ts}: {title(group)}"
    return text[:COMMENT_LIMIT]


def _ended(alert: Alert) -> Alert:
    return replace(alert, status="resolved")


class AlertActions:
    def __init__(
        self,
        store: AlertGroupStore,
        reporter: Reporter,
        mutexes: Mutexes,
        config: OpsConfig,
        queue: Queue,
        alertmanager: Alertmanager | None = None,
        declare: DeclareIncident | None = None,
        *,
        last_deploy: Callable[[AlertGroup], Awaitable[LastDeploy | None]] | None = None,
        reconcile_every: float = RECONCILE_EVERY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._reporter = reporter
        self._mutexes = mutexes
        self._config = config
        self._queue = queue
        self._alertmanager = alertmanager
        self._declare = declare
        self._reconcile_every = reconcile_every
        self._last_deploy = last_deploy
        self._clock = clock

    async def clicked(self, action: AlertAction) -> str:
        if action.action == ASK_ACTION:
            return await self._ask(action)
        async with self._mutexes.hold(MUTEX + action.group_id):
            group = await self._store.load(action.group_id)
            if group is None or group.message_ts is None:
                return "unknown group"
            if action.action == DECLARE_ACTION:
                return await self._declare_incident(action, group)
            return await self._silence(action, group)

    async def _note(self, action: AlertAction, what: str, text: str) -> None:
        place = SlackThread(action.channel, action.message_ts)
        await self._reporter.announce(place, f"alert-action:{action.group_id}:{what}:{action.click_id}", text)

    async def _show(self, group: AlertGroup) -> None:
        deploy = None if self._last_deploy is None else await self._last_deploy(group)
        shown = render(group, deploy, self._clock(), silenceable=self._alertmanager is not None)
        await self._reporter.update(
            SlackThread(group.channel), group.reply_key, shown.text, since=group.first_seen - 60, buttons=shown.buttons
        )

    async def _silence(self, action: AlertAction, group: AlertGroup) -> str:
        if action.clicker not in self._config.silencers:
            await self._note(
                action, "refused", f"{mention('slack', action.clicker)}, only silencers may silence alerts."
            )
            return "refused"
        if self._alertmanager is None:
            await self._note(action, "unconfigured", "Silencing needs ALERTMANAGER_URL, which is not set.")
            return "unconfigured"
        now = self._clock()
        until = now + SILENCE_FOR[action.action]
        matchers = tuple(Matcher(k, v) for k, v in sorted(group.group_labels.items()))
        comment = silence_comment(action, group)
        try:
            # A retry after a lost answer finds the first attempt's silence instead of making another.
            mine = [
                s
                for s in await self._alertmanager.silences(matchers)
                if s.comment == comment and s.created_by == action.clicker and s.state != "expired"
                and abs(s.ends_at.timestamp() - until) < 600
            ]  # fmt: skip
            if mine:
                silence_id, until = mine[0].id, mine[0].ends_at.timestamp()
            else:
                silence_id = await self._alertmanager.create_silence(
                    NewSilence(
                        matchers,
                        datetime.fromtimestamp(now, UTC),
                        datetime.fromtimestamp(until, UTC),
                        action.clicker,
                        comment,
                    )
                )
        except UpstreamError as exc:
            error_id = new_error_id()
            log.warning("could not silence an alert group", extra={"error_id": error_id, "error": str(exc)})
            await self._note(action, "failed", explain(exc, error_id=error_id, attempts=1))
            return "failed"
        group = group.but(silence_id=silence_id, silenced_until=until, silenced_by=action.clicker)
        await self._store.save(group)
        await self._show(group)
        await self._note(
            action, "silenced", f"🔕 {mention('slack', action.clicker)} silenced this group until {_clock(until)}."
        )
        await self._schedule(action.group_id, min(now + self._reconcile_every, until))
        return "silenced"

    async def _schedule(self, gid: str, due: float) -> None:
        job = Job.of(ReconcileDue(gid, due))
        await self._queue.enqueue(
            job, dedupe_key=f"alert-reconcile:{gid}:{int(due)}", delay=max(0.0, due - self._clock())
        )

    async def _declare_incident(self, action: AlertAction, group: AlertGroup) -> str:
        if self._declare is None:
            await self._note(action, "unconfigured", "Incidents are not set up in this opsbot.")
            return "unconfigured"
        declared = declaration(action.group_id, group, self._config.alerts)
        if declared is None:
            await self._note(
                action, "nothing-firing", "Nothing in this group is firing, so there is no incident to declare."
            )
            return "nothing-firing"
        key, title, severity = declared
        incident_id = await self._declare(
            key, title, severity, SlackThread(group.channel, group.message_ts), action.clicker
        )
        if incident_id != group.incident_id:
            group = group.but(incident_id=incident_id)
            await self._store.save(group)
            await self._show(group)
        return "declared"

    async def _ask(self, action: AlertAction) -> str:
        message = ChatMessage(
            id=f"slack:alert-ask:{action.click_id}",
            author=Person("slack", action.clicker),
            place=SlackThread(action.channel, action.message_ts),
            text=ASK_TEXT,
            via="mention",
        )
        await self._queue.enqueue(Job.of(message), dedupe_key=message.id)
        return "asked"

    async def reconcile(self, due: ReconcileDue) -> str:
        if self._alertmanager is None:
            return "unconfigured"
        async with self._mutexes.hold(MUTEX + due.group_id):
            group = await self._store.load(due.group_id)
            if group is None or group.silence_id is None:
                return "not silenced"
            matchers = tuple(Matcher(k, v) for k, v in sorted(group.group_labels.items()))
            now = self._clock()
            try:
                silence = await self._alertmanager.silence(group.silence_id)
                held = {a.fingerprint: a for a in await self._alertmanager.alerts(matchers)}
            except UpstreamError as exc:
                log.warning("could not reconcile a silenced alert group", extra={"error": str(exc)})
                await self._schedule(due.group_id, now + self._reconcile_every)
                return "failed"
            # Alertmanager leaves ended alerts out of its list: one it doesn't hold has resolved. (An
            # alert's endsAt is no guide: Prometheus keeps pushing it a few resend delays ahead.)
            alerts = {fp: _ended(a) if a.status == "firing" and fp not in held else a for fp, a in group.alerts.items()}
            after = group.but(alerts=alerts)
            ended = silence is None or silence.state == "expired" or silence.ends_at.timestamp() <= now
            if ended:
                after = after.but(silence_id=None, silenced_until=None, silenced_by=None)
            if after != group:
                await self._store.save(after)
                await self._show(after)
            if ended:
                return "ended"
            until = after.silenced_until or now
            # Resolved: nothing more to learn until the silence ends, when its line goes.
            await self._schedule(due.group_id, until if after.resolved else min(now + self._reconcile_every, until))
            return "resolved" if after.resolved else "pending"


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M UTC")

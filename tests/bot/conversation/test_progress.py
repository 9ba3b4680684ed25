"""The progress message on fakes and a manual clock: paced edits, coalesced, and the answer always last."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.conversation.progress import WORKING, ProgressBoard, answer_key
from bot.conversation.replies import Replies
from bot.errors import UpstreamUnavailable
from bot.fakes import FakeMarks, ManualClock, RecordingChat
from bot.model import Button, ChatMessage, Person, Place, SlackThread
from bot.settings import ProgressPacing

OPS = SlackThread("C_OPS", "1800000000.000100")
ASKED = ChatMessage("slack:ev-1", Person("slack", "U_ALICE"), OPS, "why is the api slow?", "mention")
APPROVE = (Button("Approve a1b2c3", "opsbot_approve", "a1b2c3"),)


class ManualSleep:
    """``sleep`` that returns only when the test has moved the clock past its end."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    async def __call__(self, seconds: float) -> None:
        if seconds <= 0:
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self._clock.now + seconds, woken))
        await woken

    async def advance(self, seconds: float) -> None:
        self._clock.now += seconds
        for _ in range(5):  # let scheduled edits start sleeping, wake those due, and let them run
            await asyncio.sleep(0)
            for until, woken in self._sleepers:
                if until <= self._clock.now and not woken.done():
                    woken.set_result(None)


class FailingChat(RecordingChat):
    def __init__(self, *, post: bool = False, update: bool = False) -> None:
        super().__init__()
        self._fail_post, self._fail_update = post, update

    async def post(self, place: Place, text: str, *, reply_key: str, buttons: Sequence[Button] = ()) -> str:
        if self._fail_post:
            self._fail_post = False  # the next post (the answer) goes through
            raise UpstreamUnavailable("Slack", "ratelimited", status=429)
        return await super().post(place, text, reply_key=reply_key, buttons=buttons)

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        if self._fail_update:
            raise UpstreamUnavailable("Slack", "ratelimited", status=429)
        await super().update(place, message_id, text, reply_key=reply_key, buttons=buttons)


class Setup:
    def __init__(self, chat: RecordingChat | None = None) -> None:
        self.clock = ManualClock()
        self.sleep = ManualSleep(self.clock)
        self.chat = chat or RecordingChat()
        self.marks = FakeMarks(self.clock)
        self.replies = Replies(self.marks)
        self.board = ProgressBoard(
            {"slack": self.chat}, self.replies, ProgressPacing(slack=1.0), clock=self.clock, sleep=self.sleep
        )

    async def answer(self, text: str, buttons: Sequence[Button] = ()) -> str:
        return await self.replies.replace(
            self.chat, OPS, text, reply_key=answer_key(ASKED), redelivered=False, asked_at=self.clock.now,
            buttons=buttons,
        )  # fmt: skip


@pytest.fixture
def setup() -> Setup:
    return Setup()


async def test_the_progress_message_is_posted_under_the_answers_key_at_once(setup: Setup) -> None:
    await setup.board.start(ASKED)
    [posted] = setup.chat.messages.values()
    assert (posted.text, posted.reply_key, posted.edits) == (WORKING, "slack:ev-1:answer", [])


async def test_steps_inside_the_interval_are_coalesced_into_one_edit_showing_the_latest(setup: Setup) -> None:
    progress = await setup.board.start(ASKED)
    [posted] = setup.chat.messages.values()
    for doing in ("checking the status of api", "checking recent deploys of api", "reading CI of #42"):
        await progress.show(doing)
        await setup.sleep.advance(0.2)
    assert posted.edits == []  # within a second of the post: nothing yet
    await setup.sleep.advance(0.4)
    assert len(posted.edits) == 1
    assert posted.text.endswith("• reading CI of #42")  # the latest state is what is shown
    assert "• checking the status of api" in posted.text


async def test_a_step_after_the_interval_is_shown_at_once(setup: Setup) -> None:
    progress = await setup.board.start(ASKED)
    [posted] = setup.chat.messages.values()
    setup.clock.now += 1.0
    await progress.show("checking the locks")
    assert posted.edits == [f"{WORKING}\n• checking the locks"]
    await progress.show("checking the status of web")  # too soon after that edit: waits
    assert len(posted.edits) == 1
    await setup.sleep.advance(1.0)
    assert len(posted.edits) == 2


async def test_the_answer_lands_at_once_and_nothing_is_edited_after_it(setup: Setup) -> None:
    progress = await setup.board.start(ASKED)
    await progress.show("checking the status of api")  # an edit is pending
    await progress.close()
    message_id = await setup.answer("**Summary**: all good.", APPROVE)
    await setup.sleep.advance(10.0)
    [(posted_id, posted)] = setup.chat.messages.items()
    assert posted_id == message_id
    assert (posted.text, posted.buttons) == ("**Summary**: all good.", APPROVE)  # one message, progress then answer
    assert posted.edits == ["**Summary**: all good."]
    await progress.show("too late")  # a closed task shows nothing more
    await setup.sleep.advance(10.0)
    assert posted.edits == ["**Summary**: all good."]


async def test_a_rerun_finds_its_progress_message_and_answers_in_it(setup: Setup) -> None:
    await setup.board.start(ASKED)
    again = await setup.board.start(ASKED)  # the job runs again
    await again.show("checking the locks")
    await setup.sleep.advance(1.0)
    await again.close()
    await setup.answer("done")
    [posted] = setup.chat.messages.values()
    assert posted.text == "done"


async def test_when_the_progress_post_fails_the_task_goes_on_and_the_answer_is_posted() -> None:
    setup = Setup(FailingChat(post=True))
    progress = await setup.board.start(ASKED)
    await progress.show("checking the locks")
    await setup.sleep.advance(5.0)
    assert setup.chat.messages == {}
    await progress.close()
    await setup.answer("the answer", APPROVE)
    [posted] = setup.chat.messages.values()
    assert (posted.text, posted.buttons, posted.reply_key) == ("the answer", APPROVE, "slack:ev-1:answer")


async def test_a_failed_progress_edit_is_not_the_tasks_failure() -> None:
    setup = Setup(FailingChat(update=True))
    progress = await setup.board.start(ASKED)
    setup.clock.now += 1.0
    await progress.show("checking the locks")  # the edit is refused; nothing is raised
    [posted] = setup.chat.messages.values()
    assert posted.text == WORKING


async def test_each_platform_has_its_own_pace() -> None:
    pacing = ProgressPacing()
    assert pacing.interval("slack") < pacing.interval("github") == pacing.interval("gitlab")
    assert pacing.interval("console") == 0.0


class SlowChat(RecordingChat):
    """A chat whose edits wait until the test lets them through."""

    def __init__(self) -> None:
        super().__init__()
        self.through = asyncio.Event()

    async def update(
        self, place: Place, message_id: str, text: str, *, reply_key: str, buttons: Sequence[Button] = ()
    ) -> None:
        await self.through.wait()
        await super().update(place, message_id, text, reply_key=reply_key, buttons=buttons)


async def test_an_edit_already_on_its_way_lands_before_the_answer() -> None:
    chat = SlowChat()
    setup = Setup(chat)
    progress = await setup.board.start(ASKED)
    await progress.show("checking the locks")
    await setup.sleep.advance(1.0)  # the paced edit is now talking to the platform
    closing = asyncio.create_task(progress.close())
    await asyncio.sleep(0)
    chat.through.set()
    await closing
    await setup.answer("the answer")
    [posted] = chat.messages.values()
    assert posted.edits == [f"{WORKING}\n• checking the locks", "the answer"]

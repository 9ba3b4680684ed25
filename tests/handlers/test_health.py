"""``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import copy

from prometheus_client.parser import text_string_to_metric_families

from tests import fixtures
from tests.harness import BotUnderTest, Emulators, bot_env
from tests.redis_server import free_port


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_liveness_and_readiness(bot: BotUnderTest) -> None:
    assert (await bot.http.get("/healthz")).text == "ok"
    assert (await bot.http.get("/readyz")).status_code == 200


async def test_readiness_fails_when_redis_is_unreachable(emulators: Emulators) -> None:
    env = bot_env(f"redis://127.0.0.1:{free_port()}/0", emulators)
    async with BotUnderTest(env) as cut_off:
        assert (await cut_off.http.get("/healthz")).status_code == 200
        assert (await cut_off.http.get("/readyz")).status_code == 503
        # An event can't be queued: the sender is told to come back, not 500.
        response = await cut_off.github("issue_comment", mention())
        assert response.status_code == 503
        metrics = samples((await cut_off.http.get("/metrics")).text)
        assert metrics[("opsbot_events_rejected_total", (("reason", "store_unavailable"), ("source", "github")))] == 1


def mention() -> dict[str, object]:
    payload: dict[str, object] = copy.deepcopy(fixtures.load("github/issue_comment.created.on_issue.json"))
    payload["comment"]["body"] = "@opsbot help"  # type: ignore[index]
    return payload


async def test_metrics_count_events_by_source_and_reason(bot: BotUnderTest) -> None:
    await bot.github("issue_comment", mention(), delivery="one")
    await bot.github("issue_comment", mention(), delivery="one")
    await bot.github("issues", fixtures.raw("github/issues.opened.json"))
    await bot.http.post("/github/webhook", content=b"{}", headers={"x-hub-signature-256": "sha256=00"})
    await bot.gitlab("Note Hook", b"{}", token="wrong")
    text = (await bot.http.get("/metrics")).text
    metrics = samples(text)
    assert metrics[("opsbot_events_received_total", (("source", "github"),))] == 3
    assert metrics[("opsbot_events_deduplicated_total", (("source", "github"),))] == 1
    assert metrics[("opsbot_events_ignored_total", (("reason", "event not handled"), ("source", "github")))] == 1
    assert metrics[("opsbot_events_rejected_total", (("reason", "signature"), ("source", "github")))] == 1
    assert metrics[("opsbot_events_rejected_total", (("reason", "signature"), ("source", "gitlab")))] == 1
    assert metrics[("opsbot_queue_depth", (("state", "ready"),))] == 1


async def test_metrics_show_job_outcomes_and_durations_from_every_worker(
    bot: BotUnderTest, emulators: Emulators
) -> None:
    from tests.test_end_to_end import posted, setup_github

    number = setup_github(emulators)
    await bot.github("issue_comment", posted(emulators, number, "@opsbot help"))
    await bot.run_jobs()
    metrics = samples((await bot.http.get("/metrics")).text)
    assert metrics[("opsbot_jobs_total", (("kind", "chat.message"), ("outcome", "done")))] == 1
    assert metrics[("opsbot_job_duration_seconds_count", (("kind", "chat.message"),))] == 1
    assert metrics[("opsbot_job_duration_seconds_sum", (("kind", "chat.message"),))] > 0
    assert metrics[("opsbot_queue_depth", (("state", "in_flight"),))] == 0


async def test_made_up_event_names_share_one_ignored_label(bot: BotUnderTest) -> None:
    # The event header isn't covered by GitHub's signature: a replayed body with invented
    # names must not add a metric series per name.
    for event in ("made-up-1", "made-up-2", "made-up-3"):
        response = await bot.github(event, b"{}")
        assert response.json()["message"] == f"ignored: {event} is not handled"
    ignored = [key for key in samples((await bot.http.get("/metrics")).text) if key[0] == "opsbot_events_ignored_total"]
    assert ignored == [("opsbot_events_ignored_total", (("reason", "event not handled"), ("source", "github")))]

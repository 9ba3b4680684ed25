"""Every hidden marker reads back as it was written, in the body a forge stores."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clients.forge_markup import to_markdown
from bot.conversation.markers import (
    ANY_MARKER,
    TODO_ISSUE_MARKER,
    TRACKING,
    TRACKING_MARKER,
    as_comment,
    find_marked,
    has_reply_marker,
    incident_in,
    incident_issue,
    reply_key_of,
    reply_keys_in,
    reply_metadata,
    todo_issue,
    todo_issues_in,
    todo_thread,
    todo_thread_in,
    with_reply_marker,
)
from bot.incidents.model import slug
from bot.model import Place, thread_key
from bot.text import hidden
from bot.todos.lists import todo_id
from tests.bot.clients.strategies import hostile
from tests.bot.places import places

todo_ids = st.text(min_size=1, max_size=40).map(todo_id)
incident_ids = st.tuples(st.integers(20200101, 20391231), st.text(max_size=60)).map(
    lambda t: f"inc-{t[0]}-{slug(t[1])}"
)
reply_keys = st.text("abcdefghijklmnopqrstuvwxyz0123456789:._/-", min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(places, todo_ids, hostile)
def test_a_todo_issue_marker_names_its_conversation_and_todo(place: Place, ident: str, prose: str) -> None:
    body = to_markdown(f"{todo_issue(thread_key(place), ident)}\n{prose}")
    assert todo_issues_in(body)[:1] == [(thread_key(place), ident)]
    assert TODO_ISSUE_MARKER in body
    assert ANY_MARKER in body


@settings(max_examples=200, deadline=None)
@given(places, hostile)
def test_a_todo_thread_marker_names_its_conversation(place: Place, prose: str) -> None:
    body = to_markdown(f"{todo_thread(thread_key(place))}\n{prose}")
    assert todo_thread_in(body) == thread_key(place)
    assert TODO_ISSUE_MARKER not in body, "a thread's issue must not read as one todo's"


@settings(max_examples=200, deadline=None)
@given(incident_ids, hostile)
def test_an_incident_marker_names_its_incident(ident: str, prose: str) -> None:
    body = to_markdown(f"{incident_issue(ident)}\n{prose}")
    assert incident_in(body) == ident


@settings(max_examples=200, deadline=None)
@given(reply_keys, hostile)
def test_a_reply_marker_is_found_by_its_key_and_no_other(key: str, prose: str) -> None:
    body = with_reply_marker(to_markdown(prose), key)
    assert reply_keys_in(body)[-1] == key
    assert has_reply_marker(body, key)
    assert not has_reply_marker(body, key + "x")
    assert find_marked([("1", to_markdown(prose)), ("2", body)], key) in ("1", "2")
    assert find_marked([("2", body)], key) == "2"


def test_the_tracking_comment_marker_is_how_the_forge_shows_it() -> None:
    assert to_markdown(hidden(TRACKING)) == TRACKING_MARKER == "<!-- opsbot:todos -->"


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_nothing_in_a_marker_ends_the_comment_early(text: str) -> None:
    comment = as_comment(text)
    assert comment.startswith("<!-- ")
    assert comment.endswith(" -->")
    assert "--" not in comment[4:-3]
    assert ">" not in comment[4:-3]


def test_markers_written_before_read_back_the_same() -> None:
    # Issues opened by earlier releases carry these exact strings.
    assert todo_issues_in("<!-- opsbot:todo acme/api:7:False:github 0123456789 -->\nbody") == [
        ("acme/api:7:False:github", "0123456789")
    ]
    assert todo_thread_in("<!-- opsbot:todo-thread C_OPS:1.2:slack -->") == "C_OPS:1.2:slack"
    assert incident_in("<!-- opsbot:incident inc-20260101-db -->\n") == "inc-20260101-db"
    assert reply_keys_in("hi\n\n<!-- opsbot:reply github:issue_comment:1:answer -->") == [
        "github:issue_comment:1:answer"
    ]


@settings(max_examples=200, deadline=None)
@given(reply_keys)
def test_a_slack_reply_marker_survives_the_trip_through_slacks_json(key: str) -> None:
    # Slack hands metadata back as JSON in the history, as it was posted.
    assert reply_key_of(json.loads(json.dumps(reply_metadata(key)))) == key


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        "opsbot_reply",
        {"event_type": "other", "event_payload": {"key": "k"}},
        {"event_type": "opsbot_reply"},
        {"event_type": "opsbot_reply", "event_payload": ["k"]},
        {"event_type": "opsbot_reply", "event_payload": {"key": 1}},
    ],
)
def test_slack_metadata_that_isnt_opsbots_reply_marker_names_no_reply(metadata: object) -> None:
    assert reply_key_of(metadata) is None

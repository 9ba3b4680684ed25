"""The GitLab emulator, driven by python-gitlab over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import gitlab
import pytest

from tests.emulators import GitLabEmulator

PROJECT, PID, SHA = "acme/api", 15, "b" * 40


@pytest.fixture(scope="module")
def server() -> Iterator[GitLabEmulator]:
    with GitLabEmulator(token="glpat-emulated", bot_username="opsbot") as emulator:
        yield emulator


@pytest.fixture
def gitlab_emu(server: GitLabEmulator) -> GitLabEmulator:
    server.reset()
    server.add_project(PROJECT, id=PID)
    server.add_merge_request(PROJECT, 3, "Add cache", "please review", "jdoe", sha=SHA, source_branch="cache")
    server.add_issue(PID, 4, "Disk full", "on db-1", "jdoe")
    return server


@pytest.fixture
def gl(gitlab_emu: GitLabEmulator) -> Iterator[gitlab.Gitlab]:
    with gitlab.Gitlab(url=gitlab_emu.url, private_token="glpat-emulated") as connection:
        yield connection


def test_auth_projects_by_path_or_id_and_merge_requests(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    gl.auth()  # warns (an error here) if the user's web_url is not under the configured URL
    assert gl.user is not None
    assert gl.user.username == "opsbot"
    by_path, by_id = gl.projects.get(PROJECT), gl.projects.get(PID)
    assert by_path.id == by_id.id == PID
    assert gitlab_emu.requests_to("GET", r"/projects/acme%2Fapi$")  # the path travels URL-encoded
    mr = gl.projects.get(PROJECT, lazy=True).mergerequests.get(3)
    assert gitlab_emu.requests[-1].path == "/api/v4/projects/acme%2Fapi/merge_requests/3"
    assert (mr.sha, mr.source_branch, mr.target_branch, mr.author["username"]) == (SHA, "cache", "main", "jdoe")
    assert by_id.issues.get(4).title == "Disk full"
    with pytest.raises(gitlab.GitlabGetError) as caught:
        gl.projects.get("acme/missing")
    assert caught.value.response_code == 404


def test_notes_are_newest_first_and_paginated(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    mr = gl.projects.get(PID, lazy=True).mergerequests.get(3, lazy=True)
    gitlab_emu.add_note(PID, "merge_requests", 3, "@opsbot deploy to staging", author="jdoe")
    for n in range(24):
        mr.notes.create({"body": f"note {n}"})
    notes = mr.notes.list(get_all=True)
    assert len(notes) == 25
    assert (notes[0].body, notes[-1].body) == ("note 23", "@opsbot deploy to staging")
    assert notes[0].author["username"] == "opsbot"
    oldest_first = mr.notes.list(get_all=True, sort="asc", per_page=10)
    assert [n.body for n in oldest_first[:2]] == ["@opsbot deploy to staging", "note 0"]
    pages = mr.notes.list(iterator=True, per_page=10)
    assert (pages.total, pages.total_pages, pages.per_page, pages.next_page) == (25, 3, 10, 2)
    # python-gitlab warns when a plain list() leaves pages behind: the headers must be GitLab's.
    with pytest.warns(UserWarning, match="get_all=True"):
        mr.notes.list()
    assert gitlab_emu.notes(PID, "merge_requests", 3)[0]["body"] == "@opsbot deploy to staging"


def test_editing_notes_only_the_bots_own(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    issue = gl.projects.get(PID, lazy=True).issues.get(4, lazy=True)
    note = issue.notes.create({"body": "<!-- opsbot:todos -->\n- [ ] [Ops] one"})
    note.body = "<!-- opsbot:todos -->\n- [x] [Ops] one"
    note.save()
    assert gitlab_emu.notes(PID, "issues", 4)[0]["body"].endswith("[x] [Ops] one")
    theirs = issue.notes.get(gitlab_emu.add_note(PID, "issues", 4, "mine", author="jdoe"))
    theirs.body = "edited by the bot"
    with pytest.raises(gitlab.GitlabUpdateError) as caught:
        theirs.save()
    assert caught.value.response_code == 403


def test_award_emoji_twice_is_gitlabs_404(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get(PID, lazy=True)
    for notes in (project.mergerequests.get(3, lazy=True).notes, project.issues.get(4, lazy=True).notes):
        note = notes.create({"body": "on it"})
        award = note.awardemojis.create({"name": "eyes"})
        assert (award.name, award.user["username"], award.awardable_id) == ("eyes", "opsbot", note.id)
        with pytest.raises(gitlab.GitlabCreateError) as caught:
            note.awardemojis.create({"name": "eyes"})
        assert caught.value.response_code == 404
        assert "has already been taken" in caught.value.error_message
    assert gitlab_emu.notes(PID, "issues", 4)[0]["awards"][0]["name"] == "eyes"


def test_users_and_member_access_levels(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    gitlab_emu.set_access_level(PID, "jdoe", 30)
    [jdoe] = gl.users.list(username="jdoe", get_all=True)
    assert jdoe.id == gitlab_emu.user_id("jdoe")
    assert gl.projects.get(PID, lazy=True).members_all.get(jdoe.id).access_level == 30
    assert gl.users.list(username="nobody", get_all=True) == []
    outsider = gitlab_emu.user_id("outsider")
    with pytest.raises(gitlab.GitlabGetError) as caught:
        gl.projects.get(PID, lazy=True).members_all.get(outsider)
    assert caught.value.response_code == 404
    with pytest.raises(ValueError, match="access level"):
        gitlab_emu.set_access_level(PID, "jdoe", 35)


def test_pipelines_with_variables(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get(PID, lazy=True)
    variables = [{"key": "OPSBOT_SERVICE", "value": "api"}, {"key": "OPSBOT_ENVIRONMENT", "value": "staging"}]
    pipeline = project.pipelines.create({"ref": "cache", "variables": variables})
    assert (pipeline.status, pipeline.sha, pipeline.ref, pipeline.source) == ("created", SHA, "cache", "api")
    stored = gitlab_emu.pipelines(PID)[0]
    assert [(v["key"], v["value"]) for v in stored["variables"]] == [(v["key"], v["value"]) for v in variables]
    gitlab_emu.set_pipeline_status(PID, pipeline.id, "running")
    assert project.pipelines.get(pipeline.id).status == "running"
    assert {v.key for v in pipeline.variables.list(get_all=True)} == {"OPSBOT_SERVICE", "OPSBOT_ENVIRONMENT"}
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.pipelines.create({"ref": "no-such-branch"})
    assert caught.value.response_code == 400


def test_issues_with_labels_and_state(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    project = gl.projects.get(PID, lazy=True)
    todo = project.issues.create({"title": "[Ops] rotate keys", "labels": ["ops-todo"]})
    assert (todo.iid, todo.labels, todo.state) == (5, ["ops-todo"], "opened")
    todo.add_labels = "blocked"
    todo.save()
    assert gitlab_emu.issues(PID)[-1]["labels"] == ["ops-todo", "blocked"]
    todo.state_event = "close"
    todo.save()
    assert project.issues.get(5).state == "closed"
    assert [i.iid for i in project.issues.list(labels=["ops-todo"], get_all=True)] == [5]
    assert [i.iid for i in project.issues.list(state="opened", get_all=True)] == [4]


def test_commit_statuses(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    gitlab_emu.add_commit_status(PID, SHA, "build", "success")
    gitlab_emu.add_commit_status(PID, SHA, "deploy", "running")
    commit = gl.projects.get(PID, lazy=True).commits.get(SHA)
    assert commit.id == SHA
    assert [(s.name, s.status) for s in commit.statuses.list(get_all=True)] == [
        ("build", "success"),
        ("deploy", "running"),
    ]


def test_wrong_token_is_401(gitlab_emu: GitLabEmulator) -> None:
    with (
        gitlab.Gitlab(url=gitlab_emu.url, private_token="glpat-wrong") as wrong,
        pytest.raises(gitlab.GitlabAuthenticationError) as caught,
    ):
        wrong.auth()
    assert (caught.value.response_code, caught.value.error_message) == (401, "401 Unauthorized")


def test_transient_errors_and_rate_limits(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    gitlab_emu.fail_next("GET", r"/projects/15$", 502)
    with pytest.raises(gitlab.GitlabGetError) as caught:
        gl.projects.get(PID)
    assert caught.value.response_code == 502
    gitlab_emu.fail_next("GET", r"/projects/15$", 502)
    assert gl.projects.get(PID, retry_transient_errors=True).id == PID
    # python-gitlab always waits out a 429, for Retry-After seconds (it must be an integer).
    gitlab_emu.fail_next("GET", r"/projects/15$", 429, headers={"Retry-After": "0"})
    assert gl.projects.get(PID).id == PID
    assert [r.status for r in gitlab_emu.requests_to("GET", r"/projects/15$")] == [502, 502, 200, 429, 200]


def test_a_held_note_exists_before_its_reply_arrives(gitlab_emu: GitLabEmulator, gl: gitlab.Gitlab) -> None:
    notes = gl.projects.get(PID, lazy=True).mergerequests.get(3, lazy=True).notes
    handle = gitlab_emu.hold("POST", r"/merge_requests/3/notes$")
    created: list[Any] = []
    worker = threading.Thread(target=lambda: created.append(notes.create({"body": "deploying"})))
    worker.start()
    assert handle.wait_reached(5)
    assert [n["body"] for n in gitlab_emu.notes(PID, "merge_requests", 3)] == ["deploying"]
    assert created == []
    handle.release()
    worker.join(5)
    assert created[0].id == gitlab_emu.notes(PID, "merge_requests", 3)[0]["id"]


def test_over_long_titles_descriptions_and_notes_are_refused_like_gitlab(gl: gitlab.Gitlab) -> None:
    issues = gl.projects.get(PID, lazy=True).issues
    for fields in ({"title": "t" * 256}, {"title": "t", "description": "€" * 349_526}):
        with pytest.raises(gitlab.GitlabCreateError) as caught:
            issues.create(fields)
        assert caught.value.response_code == 400
    issue = issues.create({"title": "t" * 255, "description": "€" * 349_525})
    with pytest.raises(gitlab.GitlabCreateError) as created:
        issue.notes.create({"body": "n" * 1_000_001})
    assert created.value.response_code == 400
    note = issue.notes.create({"body": "n"})
    note.body = "n" * 1_000_001
    with pytest.raises(gitlab.GitlabUpdateError) as updated:
        note.save()
    assert updated.value.response_code == 400

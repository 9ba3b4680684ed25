"""The Slack and GitHub app manifests ask for exactly what opsbot uses, and nothing more.

Slack (``deploy/slack-app-manifest.yaml``): the bot scopes must equal what the Web API methods
called in ``bot/`` and ``handlers/`` need (found in the source by their slack_sdk names), plus
what the subscribed events and the slash command need. A new Slack call, or one that goes away,
fails here until the manifest and ``METHOD_SCOPES`` follow. Calls that need no scope are not
listed: Bolt's own ``auth.test`` (it learns the bot's user id from it) and posts to a slash
command's ``response_url``, which carries its own credential.

GitHub (``deploy/github-app-manifest.json``, the body of the App manifest flow): the permissions
must equal what the REST endpoints opsbot reaches need, and the events must equal those
``handlers/github.py`` acts on. The endpoints are the GitHub emulator's routes (which the suite
drives PyGithub against) plus the calls the emulator does not serve yet, each mapped below to the
permission GitHub's "Permissions required for GitHub Apps" reference gives it. Why each one:

- ``issues: write``: comments (answers, the todo checklist it edits in place), eyes reactions on
  the comment it is answering, todo issues (create, label, close and reopen), reading a thread.
- ``pull_requests: write``: the same conversation on pull requests (GitHub's reference accepts
  Issues or Pull requests for a thread's comments; opsbot works in both kinds of thread), the
  eyes reaction on a review comment, the pull request's head and changed files.
- ``deployments: write``: a deploy is a GitHub Deployment; statuses come back as events.
- ``checks: read`` and ``statuses: read``: a commit's CI results (check runs, and commit statuses
  from older CI), which the Ops agent reads for a pull request or a service's ref.
- ``contents: read``: resolving a branch or tag to the commit that is deployed, and listing the
  branches the deploy form offers.
- ``metadata: read``: the repository itself and a person's permission on it (deployers must have
  write access); GitHub grants it to every App anyway.

Events: ``issue_comment`` and ``pull_request_review_comment`` (commands and questions, ticked
checklist boxes), ``issues`` (a todo issue closed or reopened by hand), ``deployment_status``
(a deploy's outcome). ``pull_request``, ``deployment`` and the check events are not subscribed:
the handler ignores them, so GitHub would send them for nothing.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from handlers import github_events
from handlers.http_payloads import MalformedPayload
from handlers.slack import SLASH_COMMAND
from tests.deploy.common import DEPLOY, ROOT, yaml_documents
from tests.emulators import ApiRequest, GitHubEmulator, SlackEmulator
from tests.emulators.github_actions import BLOBS

SLACK_MANIFEST = DEPLOY / "slack-app-manifest.yaml"
GITHUB_MANIFEST = DEPLOY / "github-app-manifest.json"
SOURCES = (ROOT / "bot", ROOT / "handlers")
HOST = "YOUR-HOST"
BASE_URL = f"https://{HOST}"
SLACK_REQUEST_URL = f"{BASE_URL}/slack/events"  # the contract's one Request URL
GITHUB_WEBHOOK_URL = f"{BASE_URL}/github/webhook"

# -- Slack: what each method and event needs (Slack's method and scope reference) ----------------
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),  # Slack's reference: no scope required
    # Threads and channels opsbot answers in, public (channels:) and private (groups:).
    "conversations.history": frozenset({"channels:history", "groups:history"}),
    "conversations.replies": frozenset({"channels:history", "groups:history"}),
    # Incident channels are created public (see the test below), so channels:manage covers both.
    "conversations.create": frozenset({"channels:manage"}),
    "conversations.invite": frozenset({"channels:manage"}),
    "pins.add": frozenset({"pins:write"}),
    "views.publish": frozenset(),  # Slack's reference: no scope required (the Home tab must be enabled)
    # The Home's todo lists: the viewer's public and private channels (bot.clients.slack_home asks for both).
    "users.conversations": frozenset({"channels:read", "groups:read"}),
    # The deploy form: Slack's reference asks no scope of views.open and views.update.
    "views.open": frozenset(),
    "views.update": frozenset(),
}
EVENT_SCOPES: dict[str, frozenset[str]] = {
    "app_mention": frozenset({"app_mentions:read"}),
    "message.channels": frozenset({"channels:history"}),
    "message.groups": frozenset({"groups:history"}),
    "message.im": frozenset({"im:history"}),
    "message.mpim": frozenset({"mpim:history"}),
    "app_home_opened": frozenset(),  # Slack's reference: no scope required
}
SLASH_COMMAND_SCOPE = "commands"
# Reading a kind of conversation's threads, and hearing the replies posted in them, go together.
HISTORY_EVENTS = {
    "channels:history": "message.channels",
    "groups:history": "message.groups",
    "im:history": "message.im",
    "mpim:history": "message.mpim",
}

# Keys Slack's app manifest reference defines, for the parts opsbot's manifest uses.
SLACK_KEYS: dict[str, frozenset[str]] = {
    "": frozenset({"_metadata", "display_information", "features", "oauth_config", "settings"}),
    "display_information": frozenset({"name", "description", "background_color", "long_description"}),
    "features": frozenset(
        {"app_home", "assistant_view", "bot_user", "shortcuts", "slash_commands", "unfurl_domains", "workflow_steps"}
    ),
    "features.app_home": frozenset({"home_tab_enabled", "messages_tab_enabled", "messages_tab_read_only_enabled"}),
    "features.bot_user": frozenset({"display_name", "always_online"}),
    "oauth_config": frozenset({"redirect_urls", "scopes", "token_management_enabled", "pkce_enabled"}),
    "oauth_config.scopes": frozenset({"bot", "user", "bot_optional", "user_optional"}),
    "settings": frozenset(
        {
            "allowed_ip_address_ranges",
            "event_subscriptions",
            "incoming_webhooks",
            "interactivity",
            "org_deploy_enabled",
            "socket_mode_enabled",
            "token_rotation_enabled",
            "is_hosted",
            "function_runtime",
            "siws_links",
        }
    ),
    "settings.event_subscriptions": frozenset({"request_url", "bot_events", "user_events", "metadata_subscriptions"}),
    "settings.interactivity": frozenset({"is_enabled", "request_url", "message_menu_options_url"}),
}
SLASH_COMMAND_KEYS = frozenset({"command", "url", "description", "usage_hint", "should_escape"})

# -- GitHub: the manifest flow's parameters and what each endpoint needs -----------------------
GITHUB_MANIFEST_KEYS = frozenset(
    {
        "name",
        "url",
        "hook_attributes",
        "redirect_url",
        "callback_urls",
        "setup_url",
        "description",
        "public",
        "default_events",
        "default_permissions",
        "request_oauth_on_install",
        "setup_on_update",
    }
)
HOOK_KEYS = frozenset({"url", "active"})
LEVELS = {"read": 1, "write": 2}

Grants = tuple[tuple[str, str], ...]
NONE: Grants = ()  # public, or called with the App's own JWT rather than an installation token
METADATA: Grants = (("metadata", "read"),)
ISSUES_READ: Grants = (("issues", "read"),)
ISSUES_WRITE: Grants = (("issues", "write"),)
# An issue's or a pull request's conversation: opsbot reads and writes both kinds of thread.
THREAD_READ: Grants = (("issues", "read"), ("pull_requests", "read"))
THREAD_WRITE: Grants = (("issues", "write"), ("pull_requests", "write"))
PULLS_READ: Grants = (("pull_requests", "read"),)
PULLS_WRITE: Grants = (("pull_requests", "write"),)
DEPLOYMENTS_READ: Grants = (("deployments", "read"),)
DEPLOYMENTS_WRITE: Grants = (("deployments", "write"),)
ACTIONS_READ: Grants = (("actions", "read"),)


@dataclass(frozen=True)
class Endpoint:
    verb: str
    path: str  # as GitHub's REST reference writes it
    grants: Grants

    def example(self) -> str:
        return re.sub(r"\{\w+\}", "x", self.path)


REPO = "/repos/{owner}/{repo}"
ENDPOINTS = (
    # A personal token's own account, and public profiles: no App permission (opsbot calls neither).
    Endpoint("GET", "/user", NONE),
    Endpoint("GET", "/users/{username}", NONE),
    Endpoint("GET", REPO, METADATA),
    Endpoint("GET", f"{REPO}/installation", NONE),
    Endpoint("GET", "/app/installations/{installation_id}", NONE),
    Endpoint("POST", "/app/installations/{installation_id}/access_tokens", NONE),
    Endpoint("GET", f"{REPO}/collaborators/{{username}}/permission", METADATA),
    Endpoint("GET", f"{REPO}/issues", ISSUES_READ),
    Endpoint("POST", f"{REPO}/issues", ISSUES_WRITE),
    Endpoint("GET", f"{REPO}/issues/comments/{{comment_id}}", THREAD_READ),
    Endpoint("PATCH", f"{REPO}/issues/comments/{{comment_id}}", THREAD_WRITE),
    Endpoint("DELETE", f"{REPO}/issues/comments/{{comment_id}}", THREAD_WRITE),
    Endpoint("GET", f"{REPO}/issues/comments/{{comment_id}}/reactions", THREAD_READ),
    Endpoint("POST", f"{REPO}/issues/comments/{{comment_id}}/reactions", THREAD_WRITE),
    Endpoint("GET", f"{REPO}/issues/{{issue_number}}/comments", THREAD_READ),
    Endpoint("POST", f"{REPO}/issues/{{issue_number}}/comments", THREAD_WRITE),
    Endpoint("GET", f"{REPO}/issues/{{issue_number}}/reactions", ISSUES_READ),
    Endpoint("POST", f"{REPO}/issues/{{issue_number}}/reactions", ISSUES_WRITE),
    Endpoint("GET", f"{REPO}/issues/{{issue_number}}", THREAD_READ),
    Endpoint("PATCH", f"{REPO}/issues/{{issue_number}}", ISSUES_WRITE),
    Endpoint("POST", f"{REPO}/issues/{{issue_number}}/labels", ISSUES_WRITE),
    Endpoint("PUT", f"{REPO}/issues/{{issue_number}}/labels", ISSUES_WRITE),
    Endpoint("DELETE", f"{REPO}/issues/{{issue_number}}/labels", ISSUES_WRITE),
    Endpoint("DELETE", f"{REPO}/issues/{{issue_number}}/labels/{{name}}", ISSUES_WRITE),
    Endpoint("GET", f"{REPO}/pulls/{{pull_number}}", PULLS_READ),
    Endpoint("GET", f"{REPO}/pulls/{{pull_number}}/files", PULLS_READ),
    Endpoint("GET", f"{REPO}/deployments", DEPLOYMENTS_READ),
    Endpoint("POST", f"{REPO}/deployments", DEPLOYMENTS_WRITE),
    Endpoint("GET", f"{REPO}/deployments/{{deployment_id}}", DEPLOYMENTS_READ),
    Endpoint("GET", f"{REPO}/deployments/{{deployment_id}}/statuses", DEPLOYMENTS_READ),
    Endpoint("POST", f"{REPO}/deployments/{{deployment_id}}/statuses", DEPLOYMENTS_WRITE),
    Endpoint("GET", f"{REPO}/commits/{{ref}}", (("contents", "read"),)),
    Endpoint("GET", f"{REPO}/branches", (("contents", "read"),)),  # the deploy form's branches
    Endpoint("GET", f"{REPO}/commits/{{ref}}/check-runs", (("checks", "read"),)),
    Endpoint("GET", f"{REPO}/commits/{{ref}}/status", (("statuses", "read"),)),
    # The agent's ci_logs and what_changed.
    Endpoint("GET", f"{REPO}/actions/runs", ACTIONS_READ),
    Endpoint("GET", f"{REPO}/actions/runs/{{run_id}}/jobs", ACTIONS_READ),
    Endpoint("GET", f"{REPO}/actions/jobs/{{job_id}}/logs", ACTIONS_READ),
    Endpoint("GET", f"{REPO}/compare/{{basehead}}", (("contents", "read"),)),
    # Webhook recovery after an outage: the App's own hook, with its JWT.
    Endpoint("GET", "/app/hook/deliveries", NONE),
    Endpoint("POST", "/app/hook/deliveries/{delivery_id}/attempts", NONE),
    # A repository's or organisation's hook: read only with GITHUB_TOKEN, never as the App.
    Endpoint("GET", f"{REPO}/hooks/{{hook_id}}/deliveries", NONE),
    Endpoint("POST", f"{REPO}/hooks/{{hook_id}}/deliveries/{{delivery_id}}/attempts", NONE),
    Endpoint("GET", "/orgs/{org}/hooks/{hook_id}/deliveries", NONE),
    Endpoint("POST", "/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts", NONE),
)
# Endpoints opsbot calls that the emulator does not serve, with the PyGithub call in bot/ that sends each.
NOT_EMULATED = (
    (Endpoint("POST", f"{REPO}/pulls/comments/{{comment_id}}/reactions", PULLS_WRITE), "get_review_comment"),
)
# What subscribing to each event needs (GitHub's webhook events reference).
EVENT_PERMISSIONS = {
    "deployment_status": "deployments",
    "issue_comment": "issues",
    "issues": "issues",
    "pull_request_review_comment": "pull_requests",
}
HANDLED_EVENTS = frozenset(EVENT_PERMISSIONS)
ALWAYS_SENT = frozenset({"ping"})  # GitHub sends it when the hook is made; it can't be subscribed to

CREDENTIAL_KEYS = frozenset(
    {"token", "bot_token", "client_id", "client_secret", "signing_secret", "webhook_secret", "pem", "private_key"}
)
SECRET_LOOKALIKES = re.compile(
    r"xox[abposr]-|xapp-|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_|-----BEGIN|sk-ant-|AKIA[0-9A-Z]{16}"
)


# -- reading the manifests and the source -------------------------------------------------------
def slack_manifest() -> dict[str, Any]:
    documents = list(yaml_documents(SLACK_MANIFEST))
    assert len(documents) == 1, "the Slack manifest is one YAML document"
    return documents[0]


def github_manifest() -> dict[str, Any]:
    manifest = json.loads(GITHUB_MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(manifest, dict)
    return manifest


def manifest_data(path: Path) -> dict[str, Any]:
    return github_manifest() if path == GITHUB_MANIFEST else slack_manifest()


def walk(value: Any) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) in nested dicts and lists; list items have no key."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield None, item
            yield from walk(item)


@cache
def python_sources() -> tuple[tuple[Path, str], ...]:
    return tuple((path, path.read_text(encoding="utf-8")) for root in SOURCES for path in sorted(root.rglob("*.py")))


def api_method(client_method: str) -> str:
    """``chat_postMessage`` → ``chat.postMessage``, read from the slack_sdk method itself."""
    source = inspect.getsource(getattr(AsyncWebClient, client_method))
    found = re.search(r'api_call\(\s*"([^"]+)"', source)
    assert found, f"AsyncWebClient.{client_method} names no Web API method"
    return found.group(1)


@cache
def slack_calls() -> dict[str, tuple[ast.Call, ...]]:
    """Web API method → its calls in bot/ and handlers/, through AsyncWebClient or ``api_call``."""
    client_methods = {
        name for name, value in vars(AsyncWebClient).items() if not name.startswith("_") and inspect.isfunction(value)
    }
    calls: dict[str, list[ast.Call]] = {}
    for _, source in python_sources():
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name, args = node.func.attr, node.args
            if name in client_methods:
                method = api_method(name)
            elif name == "api_call" and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                method = args[0].value
            else:
                continue
            calls.setdefault(method, []).append(node)
    return {method: tuple(found) for method, found in calls.items()}


def github_routes() -> list[tuple[str, re.Pattern[str]]]:
    """The emulator's API routes; not the log blobs it redirects to, which stand for GitHub's
    short-lived storage URLs (no API, no permission: the URL itself is the credential)."""
    return [(route.method, route.pattern) for route in GitHubEmulator().routes() if BLOBS not in route.pattern.pattern]


def routes_matching(endpoint: Endpoint) -> list[str]:
    return [
        f"{verb} {pattern.pattern}"
        for verb, pattern in github_routes()
        if verb == endpoint.verb and pattern.fullmatch(endpoint.example())
    ]


def merged(grants: Iterator[tuple[str, str]]) -> dict[str, str]:
    """The highest level asked for each permission."""
    needed: dict[str, str] = {}
    for permission, level in grants:
        if LEVELS[level] > LEVELS.get(needed.get(permission, ""), 0):
            needed[permission] = level
    return needed


# -- Slack ---------------------------------------------------------------------------------------
def test_the_slack_manifest_uses_only_keys_slacks_reference_defines() -> None:
    manifest = slack_manifest()
    for section, allowed in SLACK_KEYS.items():
        part: Any = manifest
        for key in filter(None, section.split(".")):
            part = part.get(key, {})
        assert isinstance(part, dict), section
        assert set(part) <= allowed, f"{section or 'top level'}: unknown keys {sorted(set(part) - allowed)}"
    assert {"display_information", "features", "oauth_config", "settings"} <= set(manifest)
    info = manifest["display_information"]
    assert 1 <= len(info["name"]) <= 35
    assert 1 <= len(info.get("description", "x")) <= 140
    assert 1 <= len(manifest["features"]["bot_user"]["display_name"]) <= 80
    for command in manifest["features"]["slash_commands"]:
        assert set(command) <= SLASH_COMMAND_KEYS
        assert re.fullmatch(r"/\S{1,31}", command["command"])
        assert command["description"]


def test_every_slack_request_url_is_the_one_events_endpoint() -> None:
    manifest = slack_manifest()
    settings = manifest["settings"]
    urls = [command["url"] for command in manifest["features"]["slash_commands"]]
    urls += [settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    assert urls == [SLACK_REQUEST_URL] * len(urls)
    assert settings["interactivity"]["is_enabled"] is True  # the Approve button
    assert settings["socket_mode_enabled"] is False  # opsbot takes HTTP requests, never opens a socket


def test_the_slash_command_is_the_one_the_handler_registers() -> None:
    commands = [command["command"] for command in slack_manifest()["features"]["slash_commands"]]
    assert commands == [SLASH_COMMAND] == ["/ops"]


def test_slack_events_are_those_the_handler_listens_to() -> None:
    source = (ROOT / "handlers" / "slack.py").read_text(encoding="utf-8")
    listened = set(re.findall(r'\.event\("([\w.]+)"\)', source))
    events = slack_manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert len(events) == len(set(events))
    assert "app_mention" in events
    families = {event.split(".")[0] for event in events}
    assert families == listened, f"subscribed {sorted(families)}, handled {sorted(listened)}"


def test_opsbot_hears_thread_replies_wherever_it_reads_threads() -> None:
    manifest = slack_manifest()
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    for scope, event in HISTORY_EVENTS.items():
        assert (scope in granted) == (event in events), f"{scope} and {event} go together"


def test_every_slack_method_opsbot_calls_has_its_scopes_in_the_table() -> None:
    called = slack_calls()
    assert called, "no Slack Web API call found in bot/ or handlers/"
    missing = sorted(set(called) - set(METHOD_SCOPES))
    assert not missing, f"add these to METHOD_SCOPES (and their scopes to the manifest): {missing}"


def test_every_slack_method_in_the_table_is_called() -> None:
    dead = sorted(set(METHOD_SCOPES) - set(slack_calls()))
    assert not dead, f"nothing in bot/ or handlers/ calls {dead}; drop them and their scopes"


def test_the_slack_emulator_serves_every_method_opsbot_calls() -> None:
    emulator = SlackEmulator()
    call = next(route for route in emulator.routes() if route.method == "POST" and "api" in route.pattern.pattern)
    for method in slack_calls():
        reply = call.handler(ApiRequest("POST", f"/api/{method}", {}, {}), method=method)
        assert reply.body.get("error") != "unknown_method", f"the Slack emulator lacks {method}"


def test_incident_channels_are_created_public_so_channels_manage_is_enough() -> None:
    for call in slack_calls()["conversations.create"]:
        keywords = {keyword.arg for keyword in call.keywords}
        assert "is_private" not in keywords, "a private channel needs groups:write: update METHOD_SCOPES"


def test_the_home_tab_is_on_exactly_when_opsbot_publishes_homes_and_hears_them_opened() -> None:
    manifest = slack_manifest()
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    publishes = "views.publish" in slack_calls()
    assert manifest["features"]["app_home"]["home_tab_enabled"] is publishes
    assert ("app_home_opened" in events) is publishes


def test_the_home_reads_only_channel_kinds_its_scopes_cover() -> None:
    from bot.clients.slack_home import CHANNEL_TYPES

    for call in slack_calls()["users.conversations"]:
        [types] = [keyword.value for keyword in call.keywords if keyword.arg == "types"]
        assert isinstance(types, ast.Name)
        assert types.id == "CHANNEL_TYPES"
    # im and mpim would need im:read and mpim:read: update METHOD_SCOPES first.
    assert set(CHANNEL_TYPES.split(",")) == {"public_channel", "private_channel"}


def test_slack_scopes_are_exactly_what_the_calls_events_and_command_need() -> None:
    manifest = slack_manifest()
    scopes = manifest["oauth_config"]["scopes"]
    assert set(scopes) == {"bot"}, "opsbot acts as its bot user only"
    granted = scopes["bot"]
    assert len(granted) == len(set(granted))
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) <= set(EVENT_SCOPES), f"add {sorted(set(events) - set(EVENT_SCOPES))} to EVENT_SCOPES"
    needed = {scope for method in slack_calls() for scope in METHOD_SCOPES[method]}
    needed |= {scope for event in events for scope in EVENT_SCOPES[event]}
    if manifest["features"].get("slash_commands"):
        needed.add(SLASH_COMMAND_SCOPE)
    assert set(granted) == needed, f"unused: {sorted(set(granted) - needed)}, missing: {sorted(needed - set(granted))}"


# -- GitHub --------------------------------------------------------------------------------------
def test_the_github_manifest_uses_only_the_manifest_flows_parameters() -> None:
    manifest = github_manifest()
    assert set(manifest) <= GITHUB_MANIFEST_KEYS, sorted(set(manifest) - GITHUB_MANIFEST_KEYS)
    assert manifest["url"].startswith("https://")  # the one parameter GitHub requires
    assert manifest["name"]
    assert manifest["public"] is False  # one organisation's bot, installed by its owner
    hook = manifest["hook_attributes"]
    assert set(hook) <= HOOK_KEYS
    assert hook["active"] is True
    assert set(manifest["default_permissions"].values()) <= set(LEVELS)


def test_github_delivers_to_the_webhook_route() -> None:
    assert github_manifest()["hook_attributes"]["url"] == GITHUB_WEBHOOK_URL


def test_github_events_are_those_the_webhook_handler_acts_on() -> None:
    # handlers/github_events.py parses exactly the events it names.
    parsed = github_events.HANDLED_EVENTS
    assert parsed - ALWAYS_SENT == HANDLED_EVENTS, f"the handler parses {sorted(parsed)}"
    for event in parsed:  # each one really is read: a body of the wrong shape is refused
        with pytest.raises(MalformedPayload):
            github_events.parse_event(event, b"[]")
    assert github_events.parse_event("push", b"[]") is None
    events = github_manifest()["default_events"]
    assert len(events) == len(set(events))
    assert set(events) == HANDLED_EVENTS


def test_every_github_emulator_route_has_its_permissions_in_the_table() -> None:
    for verb, pattern in github_routes():
        assert any(endpoint.verb == verb and pattern.fullmatch(endpoint.example()) for endpoint in ENDPOINTS), (
            f"add {verb} {pattern.pattern} to ENDPOINTS with the permission GitHub documents for it"
        )


def test_every_endpoint_in_the_table_is_one_emulator_route() -> None:
    for endpoint in ENDPOINTS:
        assert len(routes_matching(endpoint)) == 1, f"{endpoint.verb} {endpoint.path}: {routes_matching(endpoint)}"
    sources = "\n".join(source for _, source in python_sources())
    for endpoint, call in NOT_EMULATED:
        assert not routes_matching(endpoint), f"the emulator serves {endpoint.path} now: move it to ENDPOINTS"
        assert f".{call}(" in sources, f"nothing in bot/ calls {call}; drop {endpoint.path}"


def test_github_permissions_are_exactly_what_the_endpoints_and_events_need() -> None:
    endpoints = [*ENDPOINTS, *(endpoint for endpoint, _ in NOT_EMULATED)]
    grants = [grant for endpoint in endpoints for grant in endpoint.grants]
    grants += [(EVENT_PERMISSIONS[event], "read") for event in github_manifest()["default_events"]]
    assert github_manifest()["default_permissions"] == merged(iter(grants))


# -- both ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [SLACK_MANIFEST, GITHUB_MANIFEST], ids=lambda path: path.name)
def test_a_manifest_holds_no_secret(path: Path) -> None:
    assert not SECRET_LOOKALIKES.search(path.read_text(encoding="utf-8"))
    keys = {key for key, _ in walk(manifest_data(path)) if key is not None}
    assert not keys & CREDENTIAL_KEYS, "credentials come from the platform after install, never from the manifest"


@pytest.mark.parametrize("path", [SLACK_MANIFEST, GITHUB_MANIFEST], ids=lambda path: path.name)
def test_every_url_in_a_manifest_is_on_your_host(path: Path) -> None:
    urls = [value for _, value in walk(manifest_data(path)) if isinstance(value, str) and "://" in value]
    assert urls
    for url in urls:
        assert url == BASE_URL or url.startswith(f"{BASE_URL}/"), url

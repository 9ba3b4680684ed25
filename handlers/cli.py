"""``opsbot serve | worker | shell | check-config``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.config import OpsConfig
from bot.errors import ConfigError
from bot.memory.model import Memory
from bot.settings import Settings
from bot.store_url import is_sentinel_url, parse_sentinel_url
from bot.stores.redis import EMBEDDED_WARNING
from bot.telemetry.logs import configure_logging

log = logging.getLogger("opsbot")
# Seconds `opsbot serve` gives requests in flight after SIGTERM; the compose
# file's and the Kubernetes manifests' stop grace periods are longer.
HTTP_DRAIN_SECONDS = 25


def _settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"opsbot: {problem}", file=sys.stderr)
        raise SystemExit(1) from exc


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from handlers.app import build_runtime, build_web_app, settle_heap
    from handlers.http_slow_clients import guarded_protocol

    settings = _settings_or_exit()
    configure_logging(settings.secrets(), level=settings.log_level)
    runtime = build_runtime(settings)
    # Without Redis there is nobody else to run the jobs, so run them here.
    app, _ = build_web_app(runtime, run_worker=args.worker or runtime.embedded)
    settle_heap()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=HTTP_DRAIN_SECONDS,
        # opsbot never uses the client's address; believing X-Forwarded-For
        # would only let a caller claim to be someone else in our logs.
        proxy_headers=False,
        server_header=False,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        # httptools with deadlines on the request head and body and a cap on
        # open connections, which uvicorn doesn't have (see http_slow_clients).
        http=guarded_protocol(settings.http),
    )
    return 0


async def _run_worker(settings: Settings) -> None:
    from handlers.app import build_runtime, build_worker, recover_after_start, settle_heap, use_blocking_pool

    use_blocking_pool()
    runtime = build_runtime(settings)
    settle_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    recover_after_start(runtime)
    try:
        await build_worker(runtime).run(stop)
    finally:
        await runtime.close()


def worker(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    configure_logging(settings.secrets(), level=settings.log_level)
    if settings.redis_url is None:
        log.warning("a separate worker needs REDIS_URL; with the embedded store use `opsbot serve`")
        return 1
    asyncio.run(_run_worker(settings))
    return 0


async def run_shell(
    settings: Settings, user: str, channel: str, *, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> None:
    """The console's conversation, from ``stdin`` to ``out``, until EOF."""
    from handlers.app import build_integrations, build_runtime
    from handlers.console import ConsoleChat, ConsoleRooms, run_console

    interactive = stdin.isatty()
    integrations = build_integrations(settings)
    if integrations.rooms is None:
        integrations.rooms = ConsoleRooms()  # without Slack, incidents get rooms in the console
    cd = None
    if not integrations.forges:
        from handlers.sandbox.cd import SandboxCD
        from handlers.sandbox.forge import sandbox_forges

        cd = SandboxCD()
        integrations.forges.update(sandbox_forges(cd))
        print(
            "opsbot: no GitHub or GitLab credentials: deploys go to the sandbox forge in this process "
            "(refs main, v1.0.0 and broken, which fails)",
            file=sys.stderr,
        )
    if interactive:
        print("opsbot: /ops help lists the commands, /as <user> changes who is typing, Ctrl-D ends", file=sys.stderr)
    runtime = build_runtime(settings, extra_chats={"console": ConsoleChat(out, channel)}, integrations=integrations)
    if cd is not None:
        cd.relay_to(runtime.dispatcher)
    # On a terminal the sandbox CD moves deploys along in the background; piped input settles it line by line.
    background = asyncio.create_task(cd.run()) if cd is not None and interactive else None
    try:
        await run_console(
            runtime.chatops, user=user, channel=channel, bot_name=settings.bot_name, stdin=stdin, out=out,
            settle=cd.settle if cd is not None else None, interactive=interactive,
        )  # fmt: skip
    finally:
        if background is not None:
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await background
        await runtime.close()


def shell(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    # The console's own output is the conversation; logs stay terse on stderr.
    configure_logging(settings.secrets(), level="WARNING")
    if settings.redis_url is None:
        print(f"opsbot: {EMBEDDED_WARNING}", file=sys.stderr)
        logging.getLogger("bot.stores.redis").setLevel(logging.ERROR)  # said once, above
    try:
        if settings.config_path is not None:
            asyncio.run(run_shell(settings, args.user, args.channel))
            return 0
        from handlers.sandbox.example import example_config

        with example_config() as example:
            print(f"opsbot: no ops.yaml here: the example config is loaded ({example})", file=sys.stderr)
            asyncio.run(run_shell(replace(settings, config_path=example), args.user, args.channel))
        return 0
    except ConfigError as exc:  # an ops.yaml that doesn't read: its problems, not a traceback
        for problem in exc.problems:
            print(f"opsbot: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C on a terminal ends the console, as EOF does
        return 130


async def _memories(settings: Settings, restore: list[Memory] | None) -> tuple[list[Memory], int]:
    """Everything remembered, or (restoring) how many of ``restore`` were new."""
    from bot.memory.memories import Memories
    from bot.stores.memory import RedisMemoryStore
    from bot.stores.redis import connect

    client, _ = connect(settings.redis_url)
    try:
        memories = Memories(RedisMemoryStore(client), time.time)
        if restore is None:
            return await memories.export(), 0
        return [], await memories.import_(restore)
    finally:
        await client.aclose()


def memory(args: argparse.Namespace) -> int:
    settings = _settings_or_exit()
    configure_logging(settings.secrets(), level="WARNING")
    if settings.redis_url is None:
        print("opsbot: memory backups need REDIS_URL (the embedded store keeps nothing)", file=sys.stderr)
        return 1
    try:
        if args.action == "export":
            found, _ = asyncio.run(_memories(settings, None))
            text = json.dumps({"opsbot_memories": 1, "memories": [dict(vars(m)) for m in found]}, indent=2)
            if args.file == "-":
                sys.stdout.write(text + "\n")
            else:
                Path(args.file).write_text(text + "\n", encoding="utf-8")
            print(f"opsbot: exported {len(found)} memories", file=sys.stderr)
            return 0
        backup = json.loads(sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8"))
        if not isinstance(backup, dict) or backup.get("opsbot_memories") != 1:
            raise ValueError("not an opsbot memory backup")
        restore = [Memory(**entry) for entry in backup["memories"]]
        _, added = asyncio.run(_memories(settings, restore))
        print(f"opsbot: imported {added} memories ({len(restore) - added} already known)", file=sys.stderr)
        return 0
    except (OSError, ValueError, TypeError, KeyError) as exc:
        print(f"opsbot: {args.action} failed: {exc}", file=sys.stderr)
        return 1


def check_config(args: argparse.Namespace) -> int:
    problems: list[str] = []
    settings: Settings | None = None
    config: OpsConfig | None = None
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        problems.extend(exc.problems)
    if settings is not None:
        try:
            config = OpsConfig.load(settings.config_path)
        except ConfigError as exc:
            problems.extend(exc.problems)
        else:
            print(
                f"config: {settings.config_path or 'none (no ops.yaml found)'}; "
                f"{len(config.services)} services, {len(config.environments)} environments"
            )
            print(f"todos: mirror {config.todo_mirror}, at most {config.max_todo_issues} todo issues per conversation")
            source = "memory.writers" if config.memory_writers is not None else "the deployers and approvers"
            print(f"memory writers: {len(config.writers)} ({source})")
            alerts = config.alerts
            print(
                f"alerts: webhook {'on' if settings.alertmanager_webhook_enabled else 'off'}, "
                f"{len(alerts.routes)} routes, default channel {alerts.default_channel or 'none'}, "
                f"incidents for {', '.join(alerts.incident_severities) or 'no severity'}, "
                f"services by label {alerts.service_label!r}"
            )
        store = _redacted_url(settings.redis_url) if settings.redis_url else "embedded (nothing survives exit)"
        print(f"store: {store}")
        print(f"slack: {'on' if settings.slack_enabled else 'off'}")
        print(
            f"github: webhook {'on' if settings.github_webhook_enabled else 'off'}, "
            f"credentials {settings.github_credentials or 'none'}"
        )
        print(f"github redelivery: {_redelivery(settings)}")
        print(
            f"gitlab: webhook {'on' if settings.gitlab_webhook_enabled else 'off'}, "
            f"credentials {'token' if settings.gitlab_token else 'none'}"
        )
        assistant = f"on, model {settings.model}" if settings.assistant_enabled else "off (no ANTHROPIC_API_KEY)"
        print(f"assistant: {assistant}")
        if config is not None:
            from handlers.looks import tools_report  # brings the looks' clients: only when asked

            for line in tools_report(settings, config):
                print(line)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _redelivery(settings: Settings) -> str:
    """Whether webhooks refused during an outage are asked for again, from which hook, or why not."""
    hook, window = settings.github_hook, settings.github_redeliver_window
    if settings.github_redelivery is not None:
        which = (
            "the App's webhook" if hook is None else f"webhook {hook.id} of {hook.repo or hook.org} (with GITHUB_TOKEN)"
        )
        return f"on, {which}: deliveries refused in the last {window / 3600:g} h are asked for again after an outage"
    if not settings.github_webhook_enabled:
        return "off (the GitHub webhook is off)"
    if window == 0:
        return "off (OPSBOT_GITHUB_REDELIVER_WINDOW is 0)"
    if settings.github_token is not None:
        return (
            "off (a GITHUB_TOKEN alone names no webhook: set GITHUB_WEBHOOK_HOOK_ID with "
            "GITHUB_WEBHOOK_HOOK_REPO or GITHUB_WEBHOOK_HOOK_ORG)"
        )
    return "off (no GitHub credentials)"


def _redacted_url(url: str) -> str:
    """Where the store is, in words, with no password (not even a Sentinel's, which sits in the query)."""
    if is_sentinel_url(url):
        return parse_sentinel_url(url).describe()
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return f"Redis at {scheme}{sep}{rest}"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="opsbot", description="ChatOps for Slack, GitHub and GitLab.")
    sub = root.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run the HTTP app")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8080)
    p_serve.add_argument("--worker", action="store_true", help="also run a job worker in this process")
    p_serve.set_defaults(func=serve)
    sub.add_parser("worker", help="run a job worker").set_defaults(func=worker)
    p_shell = sub.add_parser("shell", help="talk to opsbot on the console")
    p_shell.add_argument("--user", default="U_SHELL")
    p_shell.add_argument("--channel", default="C_SHELL")
    p_shell.set_defaults(func=shell)
    sub.add_parser("check-config", help="validate the environment and ops.yaml").set_defaults(func=check_config)
    p_memory = sub.add_parser("memory", help="back up or restore what the Ops agent remembers (JSON)")
    p_memory.add_argument("action", choices=["export", "import"])
    p_memory.add_argument("file", nargs="?", default="-", help="a JSON file; - for stdout/stdin (default)")
    p_memory.set_defaults(func=memory)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

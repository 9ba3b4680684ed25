"""The words ``cluster_status`` answers with: rollout, replicas, pods not ready, warnings, a log tail.

Everything here is outside data (pod names, event messages, log lines): it is cut to a
length, never interpreted, and the whole summary stays within the look's size limit with
its most useful parts first. The rollout words follow ``kubectl rollout status``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.investigation.cluster import ClusterEvent, DeploymentState, PodState
from bot.investigation.looks import RESULT_LIMIT, bounded
from bot.redaction import redact

EVENTS_SHOWN = 10  # distinct warnings, newest first
NAMES_SHOWN = 3  # pods named per group of pods with the same problem
GROUPS_SHOWN = 8
MESSAGE_LIMIT = 240  # characters of one event message or waiting message
LOG_LINE_LIMIT = 300  # characters of one log line
LOG_LINES = 40
LOG_BUDGET = RESULT_LIMIT * 2 // 5  # characters of the answer the log tail may take
# Escape sequences of terminals (colours, cursor moves): noise to a reader, and a way to hide text.
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# The worse a pod's problem, the lower: the hint names the worst pod to read the log of.
SEVERITY = {
    "OOMKilled": 0,
    "CrashLoopBackOff": 1,
    "Error": 2,
    "ImagePullBackOff": 3,
    "ErrImagePull": 3,
    "CreateContainerConfigError": 4,
    "CreateContainerError": 4,
    "Pending": 5,
}
OTHER = 6


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    flat = " ".join(CONTROL.sub(" ", ANSI.sub("", text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def rollout(deployment: DeploymentState) -> str:
    """The rollout in words, as ``kubectl rollout status`` decides it."""
    progressing = deployment.condition("Progressing")
    if deployment.paused:
        return "paused (spec.paused is set: nothing rolls out until it is resumed)"
    if progressing is not None and progressing.reason == "ProgressDeadlineExceeded":
        return f"stuck: progress deadline exceeded ({one_line(progressing.message)})"
    if deployment.observed_generation < deployment.generation:
        return "progressing: the controller has not yet seen the latest change"
    if deployment.updated < deployment.desired:
        return f"progressing: {deployment.updated} of {deployment.desired} new replicas updated"
    if deployment.replicas > deployment.updated:
        return f"progressing: {deployment.replicas - deployment.updated} old replicas pending termination"
    if deployment.available < deployment.updated:
        return f"progressing: {deployment.available} of {deployment.updated} updated replicas available"
    return "complete"


@dataclass(frozen=True)
class Problem:
    """Why one pod is not ready, as one group key and the details that go with it."""

    key: str  # "CrashLoopBackOff (app)", "Pending: Unschedulable"
    severity: int
    detail: str  # "last exit OOMKilled (137)", the scheduler's message
    restarts: int
    container: str  # whose log tells most; "" for a pod that never started one


def problem(pod: PodState) -> Problem:
    scheduled = pod.condition("PodScheduled")
    if pod.phase == "Pending" and scheduled is not None and scheduled.status == "False":
        reason = scheduled.reason or "not scheduled"
        return Problem(f"Pending: {reason}", SEVERITY["Pending"], one_line(scheduled.message), 0, "")
    ranked = sorted(pod.containers, key=lambda c: (c.ready, _severity(c.waiting or c.last_terminated), -c.restarts))
    for container in ranked:
        if container.ready:
            break
        reason = container.waiting or container.terminated or ("not ready" if pod.phase == "Running" else pod.phase)
        # Why the last run ended is part of the group: seven pods crashing on an error and one killed
        # for its memory are two problems.
        key = f"{reason} ({container.name})"
        if container.last_terminated:
            code = "" if container.last_exit_code is None else f" ({container.last_exit_code})"
            key += f" — last exit {container.last_terminated}{code}"
        detail = ""
        if container.waiting_message and container.waiting != "CrashLoopBackOff":
            detail = one_line(container.waiting_message)
        severity = min(_severity(reason), _severity(container.last_terminated))
        return Problem(key, severity, detail, container.restarts, container.name)
    return Problem(f"{pod.phase}, not ready", OTHER, "", 0, pod.containers[0].name if pod.containers else "")


def _severity(reason: str) -> int:
    return SEVERITY.get(reason, OTHER)


def not_ready(pods: Sequence[PodState]) -> list[PodState]:
    return [p for p in pods if not p.ready and not p.deleting and p.phase != "Succeeded"]


def worst(pods: Sequence[PodState]) -> PodState | None:
    """The pod whose log is worth reading first: the worst problem, the most restarts."""
    candidates = not_ready(pods)
    if not candidates:
        return None
    return min(candidates, key=lambda p: (problem(p).severity, -problem(p).restarts, p.name))


def pod_lines(pods: Sequence[PodState]) -> list[str]:
    groups: dict[str, list[tuple[PodState, Problem]]] = defaultdict(list)
    for pod in not_ready(pods):
        found = problem(pod)
        groups[found.key].append((pod, found))
    ordered = sorted(groups.values(), key=lambda g: (min(p.severity for _, p in g), -len(g)))
    lines = []
    for members in ordered[:GROUPS_SHOWN]:
        names = sorted(pod.name for pod, _ in members)
        shown = ", ".join(one_line(n, 80) for n in names[:NAMES_SHOWN])
        more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
        first = members[0][1]
        restarts = max(p.restarts for _, p in members)
        facts = [f for f in (first.detail, f"up to {restarts} restarts" if restarts else "") if f]
        plural = "pod" if len(members) == 1 else "pods"
        said = f" — {'; '.join(facts)}" if facts else ""
        lines.append(f"- {len(members)} {plural} {one_line(first.key, 160)}{said}: {shown}{more}")
    if len(ordered) > GROUPS_SHOWN:
        lines.append(f"- … and {len(ordered) - GROUPS_SHOWN} other kinds of trouble")
    return lines


def event_lines(events: Iterable[ClusterEvent]) -> list[str]:
    """Warnings with the same reason and message on the same kind of object are one line, newest first."""
    merged: dict[tuple[str, str, str], list[ClusterEvent]] = defaultdict(list)
    for event in events:
        merged[(event.kind, event.reason, one_line(event.message))].append(event)

    def newest(group: list[ClusterEvent]) -> float:
        return max((e.last_seen.timestamp() for e in group if e.last_seen is not None), default=float("-inf"))

    ordered = sorted(merged.items(), key=lambda item: newest(item[1]), reverse=True)
    lines = []
    for (kind, reason, message), group in ordered[:EVENTS_SHOWN]:
        count = sum(max(1, e.count) for e in group)
        names = sorted({e.name for e in group})
        about = f"{kind}/{one_line(names[0], 80)}" + (f" and {len(names) - 1} more" if len(names) > 1 else "")
        seen = [e.last_seen for e in group if e.last_seen is not None]
        when = max(seen).strftime("%Y-%m-%d %H:%M:%SZ") if seen else "time unknown"
        lines.append(f"- {when} {one_line(reason, 60)} on {about} (×{count}): {message}")
    if len(ordered) > EVENTS_SHOWN:
        lines.append(f"- … and {len(ordered) - EVENTS_SHOWN} older distinct warnings")
    return lines


def log_lines(log: str, budget: int, lines: int = LOG_LINES) -> list[str]:
    """The last lines of a log, cleaned and redacted, as many as fit ``budget`` characters."""
    kept: list[str] = []
    used = 0
    for raw in reversed(log.splitlines()[-lines:]):
        line = "    " + redact(one_line(raw, LOG_LINE_LIMIT))
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    return list(reversed(kept))


def summary(
    deployment: DeploymentState,
    pods: Sequence[PodState],
    events: Iterable[ClusterEvent],
    log: tuple[str, str, bool, str] | None = None,
) -> str:
    """The whole answer; ``log`` is (pod, container, previous, text) when a pod's log was read."""
    head = [
        f"Deployment {deployment.name} in namespace {deployment.namespace}",
        f"Rollout: {rollout(deployment)}",
        f"Replicas: {deployment.ready}/{deployment.desired} ready, {deployment.updated} updated, "
        f"{deployment.available} available, {deployment.replicas} in all",
    ]
    available = deployment.condition("Available")
    if available is not None and available.status != "True":
        head.append(f"Available: {available.status} — {one_line(available.reason)}: {one_line(available.message)}")
    troubled = pod_lines(pods)
    head += [f"Pods not ready ({len(not_ready(pods))} of {len(pods)}):", *troubled] if troubled else ["All pods ready."]
    warnings = event_lines(events)
    head += ["Recent warning events:", *warnings] if warnings else ["No warning events."]
    if log is None:
        candidate = worst(pods)
        if candidate is not None:
            found = problem(candidate)
            head.append(f'Hint: the worst pod is {candidate.name} ({found.key}); ask again with "pod" to read its log.')
        return bounded("\n".join(head))
    pod, container, previous, text = log
    which = "previous run, before its last restart" if previous else "current run"
    title = f"Log of pod {one_line(pod, 80)}, container {one_line(container, 80)} ({which}), last lines:"
    # The log gets a fixed share; the head is cut first if it must be, so the crash's last lines fit.
    tail = log_lines(text, LOG_BUDGET) or ["    (the log is empty)"]
    body = "\n".join([title, *tail])
    return bounded("\n".join(head), RESULT_LIMIT - len(body) - 1) + "\n" + body

"""The few Kubernetes API endpoints ``cluster_status`` reads, served over HTTP for the official client.

Objects are stored as the API server returns them (apiVersion, kind, metadata, spec, status);
lists carry ``kind: …List`` and ``metadata.resourceVersion``; equality label selectors and the
event field selectors are applied; a missing object is a 404 ``Status``, a wrong token a 401 and,
when ``allowed`` is set, a request outside those RBAC rules a 403 worded as the API server words it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from starlette.responses import Response

from .base import Emulator, Reply, Route, route
from .faults import ApiRequest

EVENT_FIELDS = frozenset(
    {"type", "reason", "involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid"}
)


class TextReply(Reply):
    """A plain-text answer (a pod's log), which the JSON replies of the base can't carry."""

    def to_response(self) -> Response:
        return Response(str(self.body), status_code=self.status, media_type="text/plain")


def status(code: int, reason: str, message: str) -> Reply:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message}
    return Reply(code, {**body, "reason": reason, "code": code})


def _matches(labels: dict[str, str], selector: str) -> bool:
    wanted = [part.split("=", 1) for part in selector.split(",") if part]
    return all(labels.get(key) == value for key, value in wanted)


def _field(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part, {}) if isinstance(value, dict) else {}
    return value if isinstance(value, str) else ""


class KubernetesEmulator(Emulator):
    def __init__(self, token: str = "k8s-test-token") -> None:  # noqa: S107 - the emulator's own test token
        super().__init__()
        self.token = token
        self.allowed: set[tuple[str, str, str]] | None = None  # (group, resource, verb); None: anything
        self.reset_state()

    def reset_state(self) -> None:
        self.objects: dict[str, list[dict[str, Any]]] = {"deployments": [], "replicasets": [], "pods": [], "events": []}
        self.logs: dict[tuple[str, str, str, bool], str] = {}  # (namespace, pod, container, previous)
        self.allowed = None

    def kubeconfig(self, path: Path) -> Path:
        """A kubeconfig file pointing the official client at this emulator."""
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "emulated", "cluster": {"server": self.url}}],
            "users": [{"name": "opsbot", "user": {"token": self.token}}],
            "contexts": [{"name": "emulated", "context": {"cluster": "emulated", "user": "opsbot"}}],
            "current-context": "emulated",
        }
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        return path

    def add(self, resource: str, *objects: dict[str, Any]) -> None:
        with self._lock:
            self.objects[resource].extend(objects)

    def authenticate(self, request: ApiRequest) -> Reply | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return status(401, "Unauthorized", "Unauthorized")
        return None

    def error_reply(self, status_code: int, message: str | None = None) -> Reply:
        reasons = {404: "NotFound", 500: "InternalError", 503: "ServiceUnavailable", 429: "TooManyRequests"}
        return status(status_code, reasons.get(status_code, "Unknown"), message or f"the server answered {status_code}")

    def routes(self) -> list[Route]:
        return [
            route("GET", "/apis/apps/v1/namespaces/{ns}/deployments/{name}", self._deployment),
            route("GET", "/apis/apps/v1/namespaces/{ns}/replicasets", self._list("apps", "replicasets", "ReplicaSet")),
            route("GET", "/api/v1/namespaces/{ns}/pods", self._list("", "pods", "Pod")),
            route("GET", "/api/v1/namespaces/{ns}/events", self._list("", "events", "Event")),
            route("GET", "/api/v1/namespaces/{ns}/pods/{name}/log", self._log),
        ]

    def _forbidden(self, group: str, resource: str, verb: str, ns: str, name: str = "") -> Reply | None:
        if self.allowed is None or (group, resource, verb) in self.allowed:
            return None
        shown = f"{resource}.{group}" if group else resource
        who = 'User "system:serviceaccount:opsbot:opsbot"'
        in_group = f'in API group "{group}"'
        return status(
            403,
            "Forbidden",
            f'{shown} "{name}" is forbidden: {who} cannot {verb} resource "{resource}" {in_group} '
            f'in the namespace "{ns}"',
        )

    def _in(self, resource: str, ns: str) -> list[dict[str, Any]]:
        return [o for o in self.objects[resource] if o["metadata"]["namespace"] == ns]

    def _deployment(self, request: ApiRequest, ns: str, name: str) -> Reply:
        if (refused := self._forbidden("apps", "deployments", "get", ns, name)) is not None:
            return refused
        found = next((d for d in self._in("deployments", ns) if d["metadata"]["name"] == name), None)
        if found is None:
            return status(404, "NotFound", f'deployments.apps "{name}" not found')
        return Reply(200, found)

    def _list(self, group: str, resource: str, kind: str) -> Any:
        def handler(request: ApiRequest, ns: str) -> Reply:
            if (refused := self._forbidden(group, resource, "list", ns)) is not None:
                return refused
            items = self._in(resource, ns)
            if selector := request.query.get("labelSelector"):
                items = [o for o in items if _matches(o["metadata"].get("labels", {}), selector)]
            for part in filter(None, request.query.get("fieldSelector", "").split(",")):
                key, _, value = part.partition("=")
                if resource != "events" or key not in EVENT_FIELDS:
                    return status(400, "BadRequest", f"field label not supported: {key}")
                items = [o for o in items if _field(o, key) == value]
            version = "apps/v1" if group else "v1"
            return Reply(
                200,
                {"kind": f"{kind}List", "apiVersion": version, "metadata": {"resourceVersion": "4242"}, "items": items},
            )

        return handler

    def _log(self, request: ApiRequest, ns: str, name: str) -> Reply:
        if (refused := self._forbidden("", "pods/log", "get", ns, name)) is not None:
            return refused
        pod = next((p for p in self._in("pods", ns) if p["metadata"]["name"] == name), None)
        if pod is None:
            return status(404, "NotFound", f'pods "{name}" not found')
        containers = [c["name"] for c in pod["spec"]["containers"]]
        container = request.query.get("container") or (containers[0] if len(containers) == 1 else "")
        if container not in containers:
            return status(
                400, "BadRequest", f"a container name must be specified for pod {name}, choose one of: {containers}"
            )
        previous = request.query.get("previous") == "true"
        text = self.logs.get((ns, name, container, previous))
        if text is None and previous:
            return status(400, "BadRequest", f'previous terminated container "{container}" in pod "{name}" not found')
        lines = (text or "").splitlines(keepends=True)
        if "tailLines" in request.query:
            lines = lines[-int(request.query["tailLines"]) :] if int(request.query["tailLines"]) else []
        body = "".join(lines)
        if "limitBytes" in request.query:
            body = body.encode()[: int(request.query["limitBytes"])].decode(errors="ignore")
        return TextReply(200, body)

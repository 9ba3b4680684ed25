"""A deploy in flight: the one deploy of a service to an environment under way, and what a rival request hears.

In flight means: from the moment a request passes its checks until the forge
reports a final status, or until :data:`IN_FLIGHT_TIMEOUT` passes without any
status. A protected deploy waiting for its approval is in flight too (until
the approval expires), so a second request points at the waiting one instead
of opening a rival approval. The claim is one atomic compare-and-set in the
store, held under a token, so it doesn't depend on two requests' timing.
"""

from __future__ import annotations

from bot.deploys.model import InFlight
from bot.model import GitHubThread, GitLabThread, Place, SlackThread
from bot.text import channel

CREATION_WINDOW = 60.0  # seconds a claim lives while the forge is asked, in case the worker dies
IN_FLIGHT_TIMEOUT = 60 * 60.0  # seconds a created deploy stays in flight without hearing a status


def in_flight_text(holder: InFlight, sha: str) -> str:
    """The answer to a deploy asked while ``holder`` is in flight: who asked, which commit, where its status is."""
    what = f"`{holder.service}` `{holder.ref}` (`{holder.sha[:7]}`) to `{holder.environment}`"
    if holder.approval is not None:
        where = f"it is waiting for approval `{holder.approval}` (`approve {holder.approval}`)"
    else:
        where = f"its status is in {where_asked(holder.origin)}" + (
            f" · [details]({holder.url})" if holder.url and holder.url.startswith("https://") else ""
        )
    if holder.sha == sha:
        return f"{what} is already deploying, asked by {holder.requester.ref}; {where}. Nothing new was created."
    return (
        f"Another deploy is in flight: {what}, asked by {holder.requester.ref}; {where}. "
        "Nothing was deployed; ask again once it has finished."
    )


def where_asked(place: Place) -> str:
    if isinstance(place, SlackThread):
        return channel(place.channel) + (" (in a thread)" if place.thread_ts else "")
    if isinstance(place, GitHubThread):
        return f"{place.repo}#{place.number}"
    if isinstance(place, GitLabThread):
        return f"{place.project}{'!' if place.kind == 'merge_request' else '#'}{place.iid}"
    return f"the console ({place.channel})"

"""Every Redis key opsbot writes, in one place, so nothing collides.

The stores name keys only through this module: a family is a constant (a
whole key, or a prefix that ends in ":") and, where a key joins several
parts, a function that joins them. Existing data is found by these exact
strings: change one and it is lost.

MARK, MUTEX and SEEN are namespaces whose names the core chooses, since it
can't see this module: marks ``sent:`` (bot.conversation.replies),
``follow:`` (bot.conversation.following), ``todos-body:`` and ``todo-…:``
(bot.todos), ``agent-answer:`` and ``agent-action:`` (bot.agent), ``home-…:`` (bot.home), ``redeliver:``
(bot.redelivery); mutexes ``todos:``, ``alert-group:`` and ``webhook-recovery:``
(bot.todos, bot.alerts, bot.redelivery); dedupe keys ``slack:``, ``github:`` (named by
bot.redelivery.model), ``gitlab:``, ``alertmanager:``, ``console:`` (handlers) and
``incident-reminder:`` (bot.incidents).
"""

PREFIX = "opsbot:"
JOBS = PREFIX + "jobs"
JOBS_GROUP = "workers"  # the consumer group on JOBS (a group name, not a key)
JOBS_DELAYED = PREFIX + "jobs:delayed"
JOBS_DEAD = PREFIX + "jobs:dead"
SEEN = PREFIX + "seen:"  # + source:id, an inbound event already accepted
MARK = PREFIX + "mark:"  # + name, a short-lived fact
JOB_STATS = PREFIX + "stats:jobs"  # job outcomes, and the agent's requests to Claude
LOCK = PREFIX + "lock:"  # + environment:service ("*" for the whole environment), a hash
LOCKS = PREFIX + "locks"  # the set of lock keys, for listing
AUDIT = PREFIX + "audit"  # stream
DEPLOYMENT = PREFIX + "deployment:"  # + forge:repo:id, JSON
DEPLOY_HISTORY = PREFIX + "deploys:"  # + service:environment, sorted set of deployment keys by time
DEPLOYING = PREFIX + "deploying:"  # + service:environment, the deploy in flight there (JSON, a claim)
APPROVAL = PREFIX + "approval:"  # + id, JSON, expires with the approval
APPROVALS_AT = PREFIX + "approvals-at:"  # + thread, the newest open approval id there
MEMORY = PREFIX + "mem:"  # + id, a hash
MEMORY_WORDS = PREFIX + "mem-words:"  # + id, the words it is indexed under
MEMORIES = PREFIX + "mem-all:"  # + scope, sorted set of ids by creation
MEMORIES_OF_TYPE = PREFIX + "mem-type:"  # + scope:type, sorted set of ids by creation
MEMORY_DIGESTS = PREFIX + "mem-digest:"  # + scope, hash of content digest -> id
MEMORY_WORD = PREFIX + "mem-word:"  # + scope:word, set of ids (the word index)
MEMORY_SCOPES = PREFIX + "mem-scopes"  # every scope that has memories
MEMORIES_BY_USE = PREFIX + "mem-by-use:"  # + scope, sorted set of ids by recall count (then age): eviction order
TODOS = PREFIX + "todos:"  # + thread, the Ops agent's task list there (JSON)
TODO_THREADS = PREFIX + "todo-threads:"  # + Slack channel id, sorted set of thread ts with open todos, by last change
MUTEX = PREFIX + "mutex:"  # + name, held by one worker at a time (a random token)
INCIDENT = PREFIX + "incident:"  # + id, JSON
INCIDENT_TIMELINE = PREFIX + "incident-timeline:"  # + id, list of JSON events, oldest first
INCIDENT_EVENT_REFS = PREFIX + "incident-refs:"  # + id, set of event refs already on the timeline
INCIDENT_CHANNEL = PREFIX + "incident-channel:"  # + Slack channel id -> incident id
# + declare message id, or "alert-group:" + a digest of an alert group's key -> incident id
INCIDENT_REQUEST = PREFIX + "incident-request:"
INCIDENTS_OPEN = PREFIX + "incidents-open"  # set of open incident ids
ALERT_GROUP = PREFIX + "alert-group:"  # + digest of an Alertmanager group key, JSON
HOME_VIEWERS = PREFIX + "home-viewers"  # sorted set of Slack user ids by when their Home stops being kept fresh
HOME_REFRESH = PREFIX + "home-refresh"  # set while a refresh of every Home is scheduled


def alert_group(group_id: str) -> str:
    """``group_id`` is :func:`bot.alerts.ports.group_id`: group keys are of any length and any characters."""
    return ALERT_GROUP + group_id


def lock(environment: str, service: str | None) -> str:
    return f"{LOCK}{environment}:{service or '*'}"


def deploy_history(service: str, environment: str) -> str:
    return f"{DEPLOY_HISTORY}{service}:{environment}"


def deploying(service: str, environment: str) -> str:
    return f"{DEPLOYING}{service}:{environment}"


def memories(scope: str, type: str | None = None) -> str:
    """A scope's memories, or only those of one ``type``."""
    return f"{MEMORIES_OF_TYPE}{scope}:{type}" if type else MEMORIES + scope


def memory_words(scope: str) -> str:
    """The prefix of a scope's word index: + word."""
    return f"{MEMORY_WORD}{scope}:"


def todos(thread: str) -> str:
    """``thread`` is a :func:`bot.model.thread_key`."""
    return TODOS + thread


def todo_threads(channel: str) -> str:
    return TODO_THREADS + channel


def approvals_at(thread: str) -> str:
    """``thread`` is a :func:`bot.model.thread_key`."""
    return APPROVALS_AT + thread

"""Every Redis key opsbot writes, in one place, so nothing collides."""

PREFIX = "opsbot:"
JOBS = PREFIX + "jobs"
JOBS_GROUP = "workers"
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
DEPLOYING = PREFIX + "deploying:"  # + service:environment, the short creation mutex
APPROVAL = PREFIX + "approval:"  # + id, JSON, expires with the approval
APPROVALS_AT = PREFIX + "approvals-at:"  # + place, the newest open approval id there
MEMORY = PREFIX + "mem:"  # + id, a hash
MEMORY_WORDS = PREFIX + "mem-words:"  # + id, the words it is indexed under
MEMORIES = PREFIX + "mem-all:"  # + scope, sorted set of ids by creation
MEMORIES_OF_TYPE = PREFIX + "mem-type:"  # + scope:type, sorted set of ids by creation
MEMORY_DIGESTS = PREFIX + "mem-digest:"  # + scope, hash of content digest -> id
MEMORY_WORD = PREFIX + "mem-word:"  # + scope:word, set of ids (the word index)
MEMORY_SCOPES = PREFIX + "mem-scopes"  # every scope that has memories
TODOS = PREFIX + "todos:"  # + thread, the Ops agent's task list there (JSON)
MUTEX = PREFIX + "mutex:"  # + name, held by one worker at a time (a random token)

"""Key families: each names its own keys, and no key of one family can be read as another's."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from bot.stores import keys

FAMILIES = {
    name: value for name, value in vars(keys).items() if name.isupper() and name not in ("PREFIX", "JOBS_GROUP")
}
STORES = Path(keys.__file__).parent


def test_every_family_is_under_the_prefix() -> None:
    assert FAMILIES, "no key families found"
    for name, family in FAMILIES.items():
        assert family.startswith(keys.PREFIX), name
        assert family != keys.PREFIX, name


def test_no_familys_keys_can_be_taken_for_anothers() -> None:
    for a, b in itertools.permutations(sorted(FAMILIES), 2):
        assert FAMILIES[a] != FAMILIES[b], f"{a} and {b} are the same key"
        # A prefix family ends in ":"; another family starting with it would read as one of its
        # keys. A whole key is matched exactly, so "opsbot:jobs:delayed" beside "opsbot:jobs" is fine.
        if FAMILIES[a].endswith(":"):
            assert not FAMILIES[b].startswith(FAMILIES[a]), f"{b} reads as a key of {a}"


def test_the_check_catches_a_family_inside_another() -> None:
    families = {"A": "opsbot:mem:", "B": "opsbot:mem:words:"}
    clashes = [(a, b) for a, b in itertools.permutations(families, 2) if families[b].startswith(families[a])]
    assert clashes == [("A", "B")]


def test_the_stores_write_no_key_of_their_own() -> None:
    for module in STORES.glob("*.py"):
        if module.name == "keys.py":
            continue
        source = module.read_text()
        assert not re.search(r"""["']opsbot:""", source), f"{module.name} spells a key: name it in keys.py"


def test_joined_keys_read_as_they_always_have() -> None:
    # Existing data is found by these exact strings.
    assert keys.lock("production", None) == "opsbot:lock:production:*"
    assert keys.lock("production", "api") == "opsbot:lock:production:api"
    assert keys.deploy_history("api", "staging") == "opsbot:deploys:api:staging"
    assert keys.deploying("api", "staging") == "opsbot:deploying:api:staging"
    assert keys.memories("repo:acme/api") == "opsbot:mem-all:repo:acme/api"
    assert keys.memories("repo:acme/api", "runbook") == "opsbot:mem-type:repo:acme/api:runbook"
    assert keys.memory_words("global") + "redis" == "opsbot:mem-word:global:redis"
    assert keys.todos("C1:1.2:slack") == "opsbot:todos:C1:1.2:slack"
    assert keys.approvals_at("C1:1.2:slack") == "opsbot:approvals-at:C1:1.2:slack"

"""A compare of two commits, summarised to what a reader takes in at once, whatever its size.

The commits (newest first, capped), the authors with their counts, and the
changed files grouped by top directory with the ones of most churn named.
"""

from __future__ import annotations

from collections import Counter

from bot.investigation.forge_ports import ChangedFile, Comparison
from bot.investigation.looks import RESULT_LIMIT, bounded

MAX_COMMITS = 30
MAX_AUTHORS = 10
MAX_DIRECTORIES = 10
MAX_CHURN_FILES = 10
TITLE_LIMIT = 100
PATH_LIMIT = 120


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _directory(path: str) -> str:
    top, slash, _ = path.partition("/")
    return f"{top}/" if slash else "(top level)"


def _files(files: tuple[ChangedFile, ...], complete: bool) -> list[str]:
    if not files:
        return ["files: none changed"]
    added = sum(f.additions for f in files)
    removed = sum(f.deletions for f in files)
    shown = "" if complete else " (the first ones the forge lists)"
    lines = [f"files: {len(files)} changed{shown}, +{added:,} −{removed:,}"]
    directories = Counter(_directory(f.path) for f in files)
    lines.append(
        "  by directory: "
        + ", ".join(f"{name} {count}" for name, count in directories.most_common(MAX_DIRECTORIES))
        + (f", and {len(directories) - MAX_DIRECTORIES} more" if len(directories) > MAX_DIRECTORIES else "")
    )
    lines.append("  most churn:")
    for f in sorted(files, key=lambda f: (-f.churn, f.path))[:MAX_CHURN_FILES]:
        lines.append(f"    {_cut(f.path, PATH_LIMIT)} ({f.status}, +{f.additions} −{f.deletions})")
    return lines


def summarise(found: Comparison, range_line: str, limit: int = RESULT_LIMIT) -> str:
    """``range_line`` says what the two ends are (which deploys, which refs)."""
    if found.total_commits == 0 and not found.commits:
        return f"{range_line}\nNo commits between them: the same code."
    lines = [range_line, f"{found.total_commits:,} commit{'s' if found.total_commits != 1 else ''}, newest first:"]
    for commit in found.commits[:MAX_COMMITS]:
        lines.append(f"  {commit.sha[:8]} {_cut(commit.author, 40)}: {_cut(commit.title, TITLE_LIMIT)}")
    more = found.total_commits - min(len(found.commits), MAX_COMMITS)
    if more > 0:
        lines.append(f"  … and {more:,} more")
    authors = Counter(c.author for c in found.commits)
    read = "" if len(found.commits) >= found.total_commits else f" (of the newest {len(found.commits):,})"
    lines.append(
        f"authors{read}: "
        + ", ".join(f"{_cut(name, 40)} {count}" for name, count in authors.most_common(MAX_AUTHORS))
        + (f", and {len(authors) - MAX_AUTHORS} more" if len(authors) > MAX_AUTHORS else "")
    )
    lines += _files(found.files, found.files_complete)
    return bounded("\n".join(lines), limit)

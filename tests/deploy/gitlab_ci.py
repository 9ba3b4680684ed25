"""GitLab CI's ``rules: if:`` and variable expansion, for the parts the job in deploy/cd/ uses.

As GitLab's "CI/CD variable expressions" describe them: ``$VAR`` alone is true when the
variable is defined and not empty; ``$VAR == "text"`` and ``!=`` compare (an undefined
variable is null); ``&&`` binds tighter than ``||``; parentheses group. Anything else is
refused, so the job can't lean on something this reading would get wrong. Expansion in
``environment:name`` and ``resource_group`` replaces ``$VAR`` and ``${VAR}`` (undefined: empty).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

TOKEN = re.compile(r'\s*(?:(&&|\|\||==|!=|\(|\))|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?|"([^"]*)"|(null)\b)')
VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")

Value = str | bool | None


class Unsupported(ValueError):
    """An expression this reading does not understand."""


def variables_in(text: str) -> set[str]:
    """The names of the variables ``text`` refers to."""
    return {braced or bare for braced, bare in VARIABLE.findall(text)}


def expand(text: str, variables: Mapping[str, str]) -> str:
    return VARIABLE.sub(lambda found: variables.get(found.group(1) or found.group(2), ""), text)


def _tokens(text: str) -> list[tuple[str, Value]]:
    found: list[tuple[str, Value]] = []
    at = 0
    while text[at:].strip():
        match = TOKEN.match(text, at)
        if match is None:
            raise Unsupported(f"can't read {text[at:].strip()!r}")
        operator, variable, string, null = match.groups()
        if operator:
            found.append((operator, None))
        elif variable:
            found.append(("variable", variable))
        elif string is not None:
            found.append(("value", string))
        elif null:
            found.append(("value", None))
        at = match.end()
    return found


class _Expression:
    def __init__(self, text: str, variables: Mapping[str, str]) -> None:
        self._tokens = _tokens(text)
        self._variables = variables

    def _take(self, kind: str) -> bool:
        if self._tokens and self._tokens[0][0] == kind:
            self._tokens.pop(0)
            return True
        return False

    def result(self) -> bool:
        value = self._or()
        if self._tokens:
            raise Unsupported(f"unexpected {self._tokens[0][0]!r}")
        return value

    def _or(self) -> bool:
        value = self._and()
        while self._take("||"):
            value = self._and() or value
        return value

    def _and(self) -> bool:
        value = self._comparison()
        while self._take("&&"):
            value = self._comparison() and value
        return value

    def _comparison(self) -> bool:
        if self._take("("):
            value = self._or()
            if not self._take(")"):
                raise Unsupported("unbalanced parenthesis")
            return value
        left = self._operand()
        if self._take("=="):
            return left == self._operand()
        if self._take("!="):
            return left != self._operand()
        return bool(left)  # a variable alone: defined and not empty

    def _operand(self) -> Value:
        if not self._tokens:
            raise Unsupported("the expression ends too soon")
        kind, value = self._tokens.pop(0)
        if kind == "variable":
            return self._variables.get(str(value))
        if kind == "value":
            return value
        raise Unsupported(f"{kind!r} where a value belongs")


def rule_matches(expression: str, variables: Mapping[str, str]) -> bool:
    return _Expression(expression, variables).result()

"""Rule profiles: human-readable YAML conditions over features, evaluated safely (a small parser, no eval()).

A profile file::

    profile: south_american_fresh_fruit
    owner: douane-rotterdam-risk-team
    rules:
      - id: fresh-fruit-new-consignee
        version: 2
        owner: j.jansen                      # defaults to the profile owner
        rationale: Cover loads of bananas from Guayaquil to consignees that are new to us.
        valid_from: 2024-01-01
        valid_to: 2027-12-31   # optional
        weight: 0.6            # rule score in 0..1 when the rule hits
        when: place_of_loading in [ECGYE, ECPBO] and commodity_group == fresh_fruit and consignee_age_days<90

Grammar of ``when``: ``or``/``and``/``not``/parentheses over comparisons ``NAME op VALUE`` (op one of
``== != < <= > >=``), ``NAME in [..]``, ``NAME not in [..]``, ``NAME has_any [..]`` (for pipe-separated list
columns such as ``routing_countries``) and a bare ``NAME`` (true when non-zero). Values are numbers, quoted or
bare words, ``true``/``false``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mainport.errors import ValidationFailed

PROFILES_DIR = Path(__file__).parent / "profiles"

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<op>==|!=|<=|>=|<|>|\[|\]|\(|\)|,)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.\-]*))"
)
_KEYWORDS = {"and", "or", "not", "in", "has_any", "true", "false"}


class RuleSyntaxError(ValidationFailed):
    pass


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise RuleSyntaxError(f"cannot read the condition at {text[pos : pos + 20]!r}")
        pos = m.end()
        if m.group("num") is not None:
            num = m.group("num")
            out.append(("val", float(num) if "." in num else int(num)))
        elif m.group("str") is not None:
            out.append(("val", m.group("str")[1:-1]))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            word = m.group("word")
            out.append(("kw", word.lower()) if word.lower() in _KEYWORDS else ("name", word))
    return out


# The parsed condition is a tuple tree: ("and", a, b) | ("or", a, b) | ("not", a) | ("cmp", name, op, value)
# | ("in", name, values) | ("has_any", name, values) | ("truthy", name).
Node = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str | None = None, value: Any = None) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None or (kind and tok[0] != kind) or (value is not None and tok[1] != value):
            want = value or kind or "more"
            raise RuleSyntaxError(f"expected {want!r} but found {tok[1] if tok else 'the end'!r}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise RuleSyntaxError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek() == ("kw", "or"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.peek() == ("kw", "and"):
            self.take()
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.peek() == ("kw", "not"):
            self.take()
            return ("not", self.not_())
        if self.peek() == ("op", "("):
            self.take()
            node = self.or_()
            self.take("op", ")")
            return node
        return self.comparison()

    def value(self) -> Any:
        tok = self.take()
        if tok[0] == "val":
            return tok[1]
        if tok == ("kw", "true"):
            return True
        if tok == ("kw", "false"):
            return False
        if tok[0] == "name":  # bare words are strings: ECGYE, fresh_fruit
            return tok[1]
        raise RuleSyntaxError(f"expected a value, found {tok[1]!r}")

    def values(self) -> list[Any]:
        self.take("op", "[")
        vals = [self.value()]
        while self.peek() == ("op", ","):
            self.take()
            vals.append(self.value())
        self.take("op", "]")
        return vals

    def comparison(self) -> Node:
        name = self.take("name")[1]
        tok = self.peek()
        if tok == ("kw", "in"):
            self.take()
            return ("in", name, self.values())
        if tok == ("kw", "not") and self.i + 1 < len(self.toks) and self.toks[self.i + 1] == ("kw", "in"):
            self.take()
            self.take()
            return ("not", ("in", name, self.values()))
        if tok == ("kw", "has_any"):
            self.take()
            return ("has_any", name, self.values())
        if tok is not None and tok[0] == "op" and tok[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return ("cmp", name, tok[1], self.value())
        return ("truthy", name)


def parse_condition(text: str) -> Node:
    return _Parser(str(text)).parse()


def condition_names(node: Node) -> set[str]:
    if node[0] in ("and", "or"):
        return condition_names(node[1]) | condition_names(node[2])
    if node[0] == "not":
        return condition_names(node[1])
    return {node[1]}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        raise RuleSyntaxError(f"unknown feature {name!r} in rule condition")
    return frame[name]


def evaluate(node: Node, frame: pd.DataFrame) -> np.ndarray:
    """Boolean array, one per row; missing values never satisfy a comparison."""
    kind = node[0]
    if kind == "and":
        return evaluate(node[1], frame) & evaluate(node[2], frame)
    if kind == "or":
        return evaluate(node[1], frame) | evaluate(node[2], frame)
    if kind == "not":
        return ~evaluate(node[1], frame)
    col = _column(frame, node[1])
    if kind == "truthy":
        return np.asarray(col.fillna(0).astype(bool), dtype=bool)
    if kind == "in":
        return np.asarray(col.isin(node[2]).fillna(False), dtype=bool)
    if kind == "has_any":
        wanted = {str(v) for v in node[2]}
        parts = col.fillna("").astype(str).str.split("|")
        return np.fromiter((bool(wanted.intersection(p)) for p in parts), dtype=bool, count=len(col))
    op, value = node[2], node[3]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        col = pd.to_numeric(col, errors="coerce")
    ops: dict[str, Any] = {
        "==": col.__eq__,
        "!=": col.__ne__,
        "<": col.__lt__,
        "<=": col.__le__,
        ">": col.__gt__,
        ">=": col.__ge__,
    }
    res = ops[op](value)
    return np.asarray(pd.Series(res).fillna(False).astype(bool), dtype=bool) & np.asarray(col.notna())


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    owner: str
    rationale: str
    when: str
    weight: float
    valid_from: date
    valid_to: date | None
    profile: str
    condition: Node = field(compare=False, repr=False)

    @property
    def ref(self) -> str:
        return f"{self.id}@v{self.version}"

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _date(value: Any, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationFailed(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from exc


def parse_profile(text: str, *, known_features: Iterable[str] | None = None) -> list[Rule]:
    """Rules of one YAML profile; refuses missing owner, rationale or validity, and unknown features."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"rule profile is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list) or not doc.get("profile"):
        raise ValidationFailed("a rule profile needs `profile:` and a list of `rules:`")
    known = set(known_features) if known_features is not None else None
    rules = []
    for raw in doc["rules"]:
        rid = raw.get("id") if isinstance(raw, dict) else None
        if not rid:
            raise ValidationFailed("every rule needs an `id`")
        missing = [k for k in ("rationale", "valid_from", "when") if not raw.get(k)]
        owner = raw.get("owner") or doc.get("owner")
        if not owner:
            missing.append("owner")
        if missing:
            raise ValidationFailed(f"rule {rid!r} misses {', '.join(missing)}")
        try:
            condition = parse_condition(raw["when"])
        except RuleSyntaxError as exc:
            raise RuleSyntaxError(f"rule {rid!r}: {exc.message}") from exc
        if known is not None and (unknown := condition_names(condition) - known):
            raise ValidationFailed(f"rule {rid!r} uses unknown features: {', '.join(sorted(unknown))}")
        weight = float(raw.get("weight", 0.5))
        if not 0.0 < weight <= 1.0:
            raise ValidationFailed(f"rule {rid!r}: weight must be in (0, 1]")
        rules.append(
            Rule(
                id=str(rid),
                version=int(raw.get("version", 1)),
                owner=str(owner),
                rationale=str(raw["rationale"]).strip(),
                when=str(raw["when"]),
                weight=weight,
                valid_from=_date(raw["valid_from"], f"rule {rid!r} valid_from"),
                valid_to=_date(raw["valid_to"], f"rule {rid!r} valid_to") if raw.get("valid_to") else None,
                profile=str(doc["profile"]),
                condition=condition,
            )
        )
    return rules


def load_profiles(
    directory: Path = PROFILES_DIR, *, known_features: Iterable[str] | None = None
) -> list[Rule]:
    """All rules of the YAML profiles in ``directory`` (the shipped defaults when not given)."""
    if not directory.is_dir():
        raise FileNotFoundError(f"rule profile folder {directory} not found")
    rules: list[Rule] = []
    for path in sorted(directory.glob("*.yaml")):
        rules.extend(parse_profile(path.read_text(encoding="utf-8"), known_features=known_features))
    return rules


def latest_versions(rules: Iterable[Rule]) -> list[Rule]:
    """One rule per id: the highest version (a new version supersedes the old one)."""
    best: dict[str, Rule] = {}
    for rule in rules:
        if rule.id not in best or rule.version > best[rule.id].version:
            best[rule.id] = rule
    return list(best.values())


@dataclass
class RuleResult:
    score: np.ndarray  # noisy-or of the weights of the rules that hit, 0 when none
    hits: list[list[str]]  # rule refs per row, e.g. ["fresh-fruit-new-consignee@v2"]


def apply_rules(rules: Iterable[Rule], features: pd.DataFrame, *, on: date | None = None) -> RuleResult:
    """Evaluate the rules valid on ``on`` (all when None) over a feature frame."""
    n = len(features)
    miss = np.ones(n)
    hits: list[list[str]] = [[] for _ in range(n)]
    for rule in rules:
        if on is not None and not rule.valid_on(on):
            continue
        mask = evaluate(rule.condition, features)
        miss[mask] *= 1.0 - rule.weight
        for i in np.flatnonzero(mask):
            hits[i].append(rule.ref)
    return RuleResult(score=1.0 - miss, hits=hits)

"""One Statement per arithmetic expression found in a text: arithmetic written in English prose, checked exactly.

Notes on data rows, audit findings and caveats state arithmetic ("577/587 = 98.296%", "66255+6319 = 72574");
this module finds those statements and checks them with :class:`~fractions.Fraction`, never a float.

>>> [(s.text, s.kind, s.is_correct, s.expected) for s in find_statements("591/657 = 89.96%; 1 + 2 = 3")]
[('591/657 = 89.96%', 'ratio_percent', False, '89.9543...%'), ('1 + 2 = 3', 'sum', True, '3')]

Forms (numbers may carry thousands separators, "74,425"):

- ``k/n = p%`` (``ratio_percent``) and ``k/n = x`` (``ratio_decimal``): correct iff p (or x), at the decimals
  written, equals the exact value rounded half-up *or* truncated to that many decimals. Both conventions are
  used in prose (Chinese reports often truncate), so either is accepted: 591/657 = 89.954...%, so "90.0%" (half-up)
  and "89.9%" (truncation) are both correct and "89.96%" is wrong. "≈" is read like "=".
- ``a + b + c = s`` (``sum``): correct iff exact.
- ``p% of n is k`` / ``gives k`` / ``= k`` (``share_of``): correct iff p% of n is exactly k; with "is about k"
  (approximately, roughly, around) or "≈ k": iff k is a whole number and k/n gives p% by the rule above
  ("94.6% of 821 is 777" is wrong, 776.666; "is about 777" is right).
- ``a/b`` with numbers on both sides followed by a word stating a result ("implies", "gives", "is", "=",
  "makes", "equals", "≈", "about") that no form above covers (``unverifiable``, never correct): the reader cannot
  check it, so the curator should restate it. "is not"/"is no" state no result: "183/215 is not a closure
  rate" yields nothing, nor does a bare "183/215".

Digits glued to a letter, "-", "_" or "." are not numbers here (dates "2021-01-01", ranges
"2021-01-01..2021-09-28", ids "heping23-mediation-closed"); "577/n" with a letter is not a statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Statement", "find_statements", "arithmetic_problems"]

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_L = r"(?<![\w.,\-/])"  # the whole number, never the tail of a date, id or decimal
_R = r"(?![\w\-/]|[.,]\d)"  # ... nor its head
_RATIO = re.compile(rf"{_L}({_NUM})\s*/\s*({_NUM})\s*[=≈]\s*({_NUM})(?:(\s?%)|{_R})", re.ASCII)
_SUM = re.compile(rf"{_L}({_NUM}(?:\s*\+\s*{_NUM})+)\s*=\s*({_NUM}){_R}", re.ASCII)
_SHARE = re.compile(
    rf"{_L}({_NUM})\s?%\s+of\s+({_NUM})\s+(?:is(?:\s+(?:about|approximately|roughly|around))?|gives|equals|=|≈)"
    rf"\s+({_NUM}){_R}",
    re.ASCII,
)
_DIVISION = re.compile(
    rf"{_L}({_NUM})\s*/\s*({_NUM}){_R}\s*(?:[=≈]|(?:implies|gives|makes|equals|about|is(?!\s+not?\b))\b)"
    rf"(?:\s+about)?(?:\s+{_NUM}{_R})?",
    re.ASCII,
)


@dataclass(frozen=True)
class Statement:
    """An arithmetic statement: the span as written, its offset, its form and what exact arithmetic gives.

    ``expected`` ends in "..." when the exact value does not terminate within the places shown.
    """

    text: str
    start: int
    kind: str
    is_correct: bool
    expected: str


def _num(s: str) -> Fraction:
    return Fraction(s.replace(",", ""))


def _places(s: str) -> int:
    return len(s.partition(".")[2])


def _fixed(m: int, d: int) -> str:
    """The integer m read as m / 10**d, written with d decimals."""
    return f"{m // 10**d}.{m % 10**d:0{d}d}" if d else str(m)


def _show(q: Fraction, d: int) -> str:
    """q exactly if it terminates within d decimals (with as few as it needs), else truncated and marked "..."."""
    for p in range(d + 1):
        if (q * 10**p).denominator == 1:
            return _fixed(int(q * 10**p), p)
    return _fixed(int(q * 10**d), d) + "..."


def _conventions(q: Fraction, d: int) -> tuple[Fraction, Fraction]:
    """q (non-negative) to d decimals, rounded half-up and truncated."""
    scale = 10**d
    return Fraction(int(q * scale + Fraction(1, 2)), scale), Fraction(int(q * scale), scale)


def _gives(q: Fraction, d: int, unit: str) -> str:
    up, cut = (_fixed(int(v * 10**d), d) + unit for v in _conventions(q, d))
    if up == cut:
        return f"which gives {up} to {d} decimal(s) (half-up and truncation)"
    return f"which gives {up} to {d} decimal(s) (half-up) and {cut} (truncation)"


def _ratio(m: re.Match[str]) -> tuple[Statement, str]:
    k, n, written, pct = m[1], m[2], m[3], m[4]
    unit, kind = ("%", "ratio_percent") if pct else ("", "ratio_decimal")
    d = _places(written)
    if _num(n) == 0:
        return Statement(m[0], m.start(), kind, False, "undefined"), f"'{m[0]}' is wrong: {k}/{n} divides by zero"
    q = _num(k) / _num(n) * (100 if pct else 1)
    expected = _show(q, d + 2) + unit
    ok = _num(written) in _conventions(q, d)
    message = f"'{m[0]}' is wrong: {k}/{n} = {expected}, {_gives(q, d, unit)}"
    return Statement(m[0], m.start(), kind, ok, expected), message


def _sum(m: re.Match[str]) -> tuple[Statement, str]:
    terms = [t.strip() for t in m[1].split("+")]
    total = sum(map(_num, terms), Fraction(0))
    expected = _show(total, max(map(_places, terms)))
    ok = total == _num(m[2])
    return Statement(m[0], m.start(), "sum", ok, expected), f"'{m[0]}' is wrong: {m[1]} = {expected}"


def _share(m: re.Match[str]) -> tuple[Statement, str]:
    p, n, k = m[1], m[2], m[3]
    d, pq, nq, kq = _places(p), _num(p), _num(n), _num(k)
    # Half-up or truncation to p means p - half <= 100k/n < p + step: the whole k in that interval.
    half, step = Fraction(1, 2 * 10**d), Fraction(1, 10**d)
    lo, hi = -(-nq * (pq - half) / 100 // 1), -(-nq * (pq + step) / 100 // 1) - 1
    expected = "none" if lo > hi else str(lo) if lo == hi else f"{lo} to {hi}"
    # "is k", "= k", "gives k", "equals k" claim the product exactly; only "about"-words and "≈" allow rounding
    loose = re.search(r"(about|approximately|roughly|around|≈)", m[0]) is not None
    exact = pq * nq / 100
    ok = kq.denominator == 1 and lo <= kq <= hi if loose else kq == exact
    if not loose:
        expected = _show(exact, d + 3)
    ratio = "undefined" if nq == 0 else _show(kq / nq * 100, d + 2) + "%"
    share = f"{k}/{n} = {ratio}; {p}% of {n} = {_show(pq * nq / 100, d + 3)}"
    if not loose and not ok:
        fix = f"write 'is about {expected if lo > hi else lo}' or 'k/{n} = ...%' if the product is not exact"
    elif lo > hi:
        fix = f"no whole number k gives k/{n} = {p}% (half-up or truncation)"
    else:
        fix = f"k/{n} gives {p}% (half-up or truncation) only for k = {expected}"
    return Statement(m[0], m.start(), "share_of", ok, expected), f"'{m[0]}' is wrong: {share}, and {fix}"


def _unverifiable(m: re.Match[str]) -> tuple[Statement, str]:
    a, b = m[1], m[2]
    expected = "undefined" if _num(b) == 0 else _show(_num(a) / _num(b), 3)
    message = (
        f"'{m[0]}' cannot be checked: {a}/{b} = {expected}; write the result as '{a}/{b} = x' "
        f"(or 'k/n = p%', 'p% of n is k' with whole counts) so it can be verified"
    )
    return Statement(m[0], m.start(), "unverifiable", False, expected), message


def _scan(text: str) -> Iterator[tuple[Statement, str]]:
    found = [(m, f) for rx, f in ((_RATIO, _ratio), (_SUM, _sum), (_SHARE, _share)) for m in rx.finditer(text)]
    found.sort(key=lambda mf: mf[0].start())
    taken: list[tuple[int, int]] = []
    for m, _ in found:
        if all(m.end() <= a or m.start() >= b for a, b in taken):
            taken.append(m.span())
    found = [(m, f) for m, f in found if m.span() in taken]
    # A division inside a checkable statement is that statement, not a second, unverifiable one.
    found += [(m, _unverifiable) for m in _DIVISION.finditer(text) if all(m.start() < a or m.start() >= b for a, b in taken)]
    for m, f in sorted(found, key=lambda mf: mf[0].start()):
        yield f(m)


def find_statements(text: str) -> list[Statement]:
    """Every arithmetic statement in ``text``, in order of position.

    >>> find_statements("Number closed not given (94.6% of 821 is about 777).")
    [Statement(text='94.6% of 821 is about 777', start=25, kind='share_of', is_correct=True, expected='777')]
    >>> find_statements("2021-01-01..2021-09-28, heping23-mediation-closed; so 183/215 is not a closure rate")
    []
    """
    return [s for s, _ in _scan(text)]


def arithmetic_problems(text: str) -> list[str]:
    """One message per wrong or unverifiable statement, naming the statement and what the arithmetic gives.

    >>> arithmetic_problems("577/587 = 98.4%")
    ["'577/587 = 98.4%' is wrong: 577/587 = 98.296...%, which gives 98.3% to 1 decimal(s) (half-up) and 98.2% (truncation)"]
    >>> arithmetic_problems("(66255+6319+188+116 = 72878) and 577/587 = 98.2%")
    []
    """
    return [message for s, message in _scan(text) if not s.is_correct]

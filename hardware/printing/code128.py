"""CODE128 as the printer draws it: the symbols of a text (code set B, or B and C with digit pairs), the ESC/POS
``GS k 73`` data that asks for exactly those symbols, and the bars they make.

A printer draws ``11 * symbols + 35`` modules (start, check digit and stop included, no quiet zone), each
``GS w`` dots wide, and an Epson-compatible printer prints NOTHING for a barcode wider than its printable dots, so
the label works out the width before it asks for one (`fit`). The preview reads the same data back (`read_escpos`)
to draw what the printer would.
"""

from __future__ import annotations

from barcode.charsets.code128 import CODES, STOP

START_A, START_B, START_C = 103, 104, 105
CODE_A, CODE_B, CODE_C = 101, 100, 99  # the switch symbols (their values in code sets B/C; CODE_A is 101 in B and C)


def modules_for(symbols: int) -> int:
    """Modules of a CODE128 with `symbols` data symbols: start 11 + 11 each + check 11 + stop 13."""
    return 11 * symbols + 35


def _with_check(vals: list[int]) -> list[int]:
    """Start, data and switch symbols followed by the mod-103 check symbol (each weighted by its place)."""
    return [*vals, (vals[0] + sum(i * v for i, v in enumerate(vals[1:], 1))) % 103]


def _b_value(ch: str) -> int:
    return ord(ch) - 32


def plan(text: str, digit_pairs: bool = True) -> list[tuple[str, str]]:
    """The fewest symbols for printable-ASCII `text` as runs ``[(set, chars)]``, set "B" or "C" (C: an even number
    of digits, two per symbol). Without `digit_pairs`, one run in code set B."""
    if not digit_pairs:
        return [("B", text)]
    n = len(text)
    INF = 10**9
    # cost[i][s]: fewest symbols for text[i:] when the current set is s (0 = B, 1 = C), switches counted
    cost = [[INF, INF] for _ in range(n + 1)]
    step: list[list[tuple[int, int] | None]] = [[None, None] for _ in range(n + 1)]  # (chars taken, next set)
    cost[n] = [0, 0]
    for i in range(n - 1, -1, -1):
        for s in (0, 1):
            best, how = INF, None
            for t in (0, 1):
                sw = 0 if t == s else 1
                if t == 0:
                    c = sw + 1 + cost[i + 1][0]
                    take = 1
                elif text[i:i + 2].isdigit() and len(text[i:i + 2]) == 2 and text[i:i + 2].isascii():
                    c = sw + 1 + cost[i + 2][1]
                    take = 2
                else:
                    continue
                if c < best:
                    best, how = c, (take, t)
            cost[i][s], step[i][s] = best, how
    # the start symbol picks the first set for free
    s = 0 if cost[0][0] <= cost[0][1] else 1
    runs: list[tuple[str, str]] = []
    i = 0
    while i < n:
        take, s = step[i][s]  # type: ignore[misc]
        name = "BC"[s]
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + text[i:i + take])
        else:
            runs.append((name, text[i:i + take]))
        i += take
    return runs or [("B", "")]


def symbol_values(runs: list[tuple[str, str]]) -> list[int]:
    """Start symbol, data symbols and switches, and the check symbol (the stop is not a value)."""
    vals = [START_B if runs[0][0] == "B" else START_C]
    for k, (name, chars) in enumerate(runs):
        if k:
            vals.append(CODE_B if name == "B" else CODE_C)
        if name == "B":
            vals += [_b_value(c) for c in chars]
        else:
            vals += [int(chars[j:j + 2]) for j in range(0, len(chars), 2)]
    return _with_check(vals)


def modules(runs: list[tuple[str, str]]) -> int:
    return modules_for(len(symbol_values(runs)) - 2)


def escpos_data(runs: list[tuple[str, str]]) -> str:
    """``GS k 73`` data as python-escpos sends it (str.encode(): every character here is below 0x80): ``{B`` text
    with ``{`` written ``{{``; ``{C`` and one byte 0-99 per digit pair."""
    out = []
    for name, chars in runs:
        if name == "B":
            out.append("{B" + chars.replace("{", "{{"))
        else:
            out.append("{C" + "".join(chr(int(chars[j:j + 2])) for j in range(0, len(chars), 2)))
    return "".join(out)


def fit(text: str, dots: int, widths: tuple[int, ...] = (3, 2), quiet: int = 0
        ) -> tuple[int, list[tuple[str, str]]] | None:
    """The widest module width (dots) at which `text` fits `dots` (with `quiet` modules of quiet zone each side),
    and its runs: code set B alone where it fits as wide as digit pairs would, else with digit pairs; None when not
    even the narrowest width fits."""
    plain, packed = plan(text, False), plan(text)
    for w in widths:
        for runs in (plain, packed):
            if (modules(runs) + 2 * quiet) * w <= dots:
                return w, runs
    return None


def read_escpos(data: bytes) -> tuple[str, list[int]]:
    """`GS k 73` data back to (text, symbol values with check): the code sets switched by ``{A {B {C``, ``{{`` a
    literal brace. ValueError for data a printer would not take."""
    if len(data) < 2 or data[0] != 0x7B or chr(data[1]) not in "ABC":
        raise ValueError(f"CODE128 data must start with a code set ({{A, {{B or {{C}}): {data[:4]!r}")
    text: list[str] = []
    vals: list[int] = []
    cur = ""
    i = 0
    while i < len(data):
        b = data[i]
        if b == 0x7B and i + 1 < len(data) and data[i + 1] != 0x7B:
            nxt = chr(data[i + 1])
            if nxt not in "ABC":
                raise ValueError(f"CODE128 function {{{nxt} is not used on our labels")
            if not vals:
                vals.append({"A": START_A, "B": START_B, "C": START_C}[nxt])
            elif nxt != cur:
                vals.append({"A": CODE_A, "B": CODE_B, "C": CODE_C}[nxt])
            cur = nxt
            i += 2
            continue
        if b == 0x7B:  # "{{"
            i += 1
        if cur == "C":
            if b > 99:
                raise ValueError(f"code set C byte {b} is not a digit pair")
            vals.append(b)
            text.append(f"{b:02d}")
        elif cur == "B":
            if not 32 <= b < 128:
                raise ValueError(f"code set B byte {b}")
            vals.append(b - 32)
            text.append(chr(b))
        else:  # A: control characters and upper case
            if b >= 96:
                raise ValueError(f"code set A byte {b}")
            vals.append(b - 32 if b >= 32 else b + 64)
            text.append(chr(b))
        i += 1
    return "".join(text), _with_check(vals)


def bars(values: list[int]) -> str:
    """The modules, "1" black, start to stop (the stop's final 2-module bar included)."""
    return "".join(CODES[v] for v in values) + STOP + "11"

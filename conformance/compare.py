"""The judgement: a real client's outcome against certcheck's prediction for it.

- `skipped`: the client is not installed (or could not be driven here); never counted as passed.
- `no-prediction`: certcheck has no profile for this client (go, gnutls-cli, wget today)
  or gave no prediction for the case; the real outcome is still recorded.
- `error`: the case could not be served, so nothing was measured.
- `match`: the verdicts agree and, when both reject, the real client's words are contained in
  the predicted text (readings of the checking client's clock excepted: see `without_clock`).
- `mismatch`: the verdicts differ (`verdict`), or both reject and the words are not in the
  predicted text (`words`).
"""

from __future__ import annotations

import re

# The instant a client checks at is part of some texts (rustls: "verification time N (UNIX) ...
# (M seconds ago)", Go: "current time T is after N"); certcheck runs a moment before or after the
# client, so those clock readings are compared as placeholders, every other word as is.
_CLOCK = [
    (re.compile(r"verification time \d+ \(UNIX\)"), "verification time <now> (UNIX)"),
    (re.compile(r"\(\d+ seconds (ago|in future)\)"), r"(<n> seconds \1)"),
    (re.compile(r"current time \S+ is (after|before)"), r"current time <now> is \1"),
]


def without_clock(text: str) -> str:
    """`text` with the readings of the checking client's clock replaced by placeholders."""
    for pattern, placeholder in _CLOCK:
        text = pattern.sub(placeholder, text)
    return text


def judge(real: dict, predicted: dict | None) -> tuple[str, str | None]:
    """(status, why) for one client on one case; `real` is an Outcome's JSON, `predicted` certcheck's entry."""
    if real["status"] == "skipped":
        return "skipped", real.get("note")
    if real["status"] == "error":
        return "error", real.get("note")
    if predicted is None:
        return "no-prediction", None
    if bool(predicted["accepted"]) != bool(real["accepted"]):
        return "mismatch", "verdict"
    if real["accepted"]:
        return "match", None
    words = without_clock(real.get("words") or "")
    if words and words in without_clock(predicted.get("error") or ""):
        return "match", None
    return "mismatch", "words"

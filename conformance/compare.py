"""The judgement: a real client's outcome against certcheck's prediction for it.

- `skipped`: the client is not installed (or could not be driven here); never counted as passed.
- `no-prediction`: certcheck has no profile for this client (go, rustls, gnutls-cli, wget today)
  or gave no prediction for the case; the real outcome is still recorded.
- `error`: the case could not be served, so nothing was measured.
- `match`: the verdicts agree and, when both reject, the real client's words are contained in
  the predicted text.
- `mismatch`: the verdicts differ (`verdict`), or both reject and the words are not in the
  predicted text (`words`).
"""

from __future__ import annotations


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
    words = real.get("words") or ""
    if words and words in (predicted.get("error") or ""):
        return "match", None
    return "mismatch", "words"

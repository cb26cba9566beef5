"""The session's state and the actions that change it: the start scenario, uploads, pastes, relaxations.

State keys (``st.session_state``): ``lang``; ``base`` (the start scenario), ``base_ref`` (the
bundled scenario YAML diffs are written against) and ``base_source``; ``pins``; ``last_good``
(the last scenario the levers produced without error); upload messages; ``uploads`` (this
session's uploaded and pasted files, name → text: the only files besides the bundled ones that
an upload's ``extends:`` may name); ``lever_gen`` (bumped to
give the levers fresh widget keys when the start scenario changes).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import budgetsim as bs
from budgetsim.exceptions import BudgetsimError, ScenarioError
from budgetsim.present.compare import base_scenario
from budgetsim.present.labels import t
from budgetsim.scenario.reading import MAX_FILE_BYTES, decode

from .engine import bundled

MAX_UPLOADS_KEPT = 20


def init_state() -> None:
    ss = st.session_state
    ss.setdefault("lang", "zh")
    ss.setdefault("pins", {})  # name -> {"scenario", "objective", "base"}
    ss.setdefault("upload_errors", [])
    ss.setdefault("upload_notice", "")
    ss.setdefault("lever_gen", 0)
    ss.setdefault("last_upload_id", None)
    if "base" not in ss:
        scenarios = bundled()
        first = scenarios["baseline"] if "baseline" in scenarios else next(iter(scenarios.values()))
        set_base(first, first, f"bundled:{first.id}")
        ss["bundled_id"] = first.id


def set_base(s: bs.Scenario, ref: bs.Scenario | None, source: str) -> None:
    """Make ``s`` the start scenario; ``ref`` is the bundled scenario YAML diffs are written against."""
    ss = st.session_state
    ss["base"], ss["base_ref"], ss["base_source"] = s, ref, source
    ss["lever_gen"] += 1  # fresh widget keys: the levers start from the new scenario's values


def load_text(text: str | bytes, name: str = "uploaded") -> bool:
    """Load an uploaded or pasted scenario; on any problem keep the last good state.

    Returns True when loaded; otherwise ``upload_errors`` lists readable problems."""
    ss = st.session_state
    lang = ss["lang"]
    ss["upload_errors"], ss["upload_notice"] = [], ""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(raw) > MAX_FILE_BYTES:
        ss["upload_errors"] = [t("upload_too_big", lang, size=len(raw) // 1000, cap=MAX_FILE_BYTES // 1000)]
        return False
    stem = Path(name).stem or "uploaded"
    uploads = ss.setdefault("uploads", {})  # this session's own files: what `extends:` may name
    try:
        tf = decode(raw, name)
    except ScenarioError:
        ss["upload_errors"] = [t("upload_not_text", lang)]
        return False
    try:
        s = bs.load_scenario_text(tf.text, stem, uploads={k: v for k, v in uploads.items() if k != stem})
    except ScenarioError as err:
        ss["upload_errors"] = [str(p) for p in err.problems] or [str(err)]
        return False
    except BudgetsimError as err:
        ss["upload_errors"] = [str(err)]
        return False
    uploads.pop(stem, None)
    uploads[stem] = tf.text
    while len(uploads) > MAX_UPLOADS_KEPT:  # the oldest go first; each is at most MAX_FILE_BYTES
        uploads.pop(next(iter(uploads)))
    try:
        ref = base_scenario(s)
    except ScenarioError:
        ref = None
    set_base(s, ref, f"upload:{name}")
    ss["upload_notice"] = t("upload_ok", lang, title=s.title(lang))
    if tf.notice:
        ss["upload_notice"] += "  \n" + t("upload_encoding", lang, encoding=tf.encoding.upper())
    return True


def on_bundled_change(lang: str) -> None:
    ss = st.session_state
    sid = ss[f"bundled_choice_{lang}"]
    ss["bundled_id"] = sid
    s = bundled()[sid]
    set_base(s, s, f"bundled:{sid}")
    ss["upload_errors"], ss["upload_notice"] = [], ""


def on_paste() -> None:
    load_text(st.session_state.get("paste_text", ""), "pasted.yaml")


def on_reset() -> None:
    st.session_state["lever_gen"] += 1


def apply_relaxations(ex) -> None:
    """Make an impossible scenario's diagnosed relaxation the start scenario."""
    ss = st.session_state
    set_base(ex.relaxed_scenario(), ss["base_ref"], f"relaxed:{ex.scenario.id}")
    ss["upload_errors"], ss["upload_notice"] = [], t("diag_applied", ss["lang"], n=len(ex.conflicts))

"""The session's state and the actions that change it: the start scenario, uploads, pastes, relaxations.

State keys (``st.session_state``): ``lang``; ``base`` (the start scenario), ``base_ref`` (the
bundled scenario YAML diffs are written against) and ``base_source``; ``pins``; ``last_good``
(the last scenario the levers produced without error); upload messages; ``uploads`` (this
session's uploaded and pasted files, name → text: the only files besides the bundled ones that
an upload's ``extends:`` may name); ``lever_gen`` (bumped to
give the levers fresh widget keys when the start scenario changes).

Pins live in the scenario library (:mod:`budgetsim.library`), shared by every session and kept
across reloads and server restarts: :func:`sync_pins` rebuilds ``pins`` from it on every rerun.
When the library cannot be used (a damaged file), ``library_error`` says why and pins made now
are kept in ``session_pins`` (this page only).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import budgetsim as bs
from budgetsim.exceptions import BudgetsimError, LibraryError, ScenarioError
from budgetsim.present.compare import base_scenario
from budgetsim.present.labels import problem_text, t
from budgetsim.scenario.reading import MAX_FILE_BYTES, decode

from . import engine
from .engine import bundled

MAX_UPLOADS_KEPT = 20


def init_state() -> None:
    ss = st.session_state
    ss.setdefault("lang", "zh")
    ss.setdefault("pins", {})  # name -> {"scenario", "objective", "base", "id"}; rebuilt by sync_pins()
    ss.setdefault("session_pins", {})  # pins made while the library could not be used
    ss.setdefault("upload_errors", [])
    ss.setdefault("upload_notice", "")
    ss.setdefault("lever_gen", 0)
    ss.setdefault("last_upload_id", None)
    if "base" not in ss:
        scenarios = bundled()
        first = scenarios["baseline"] if "baseline" in scenarios else next(iter(scenarios.values()))
        set_base(first, first, f"bundled:{first.id}")
        ss["bundled_id"] = first.id
    sync_pins()


def sync_pins() -> None:
    """``pins`` from the library's pinned entries (oldest first), plus any pins kept in this page only."""
    ss = st.session_state
    pins: dict[str, dict] = {}
    ss["library_error"], ss["broken_entries"] = "", []
    try:
        entries = engine.library().entries("pin")
    except LibraryError as err:
        ss["library_error"], entries = str(err), []
    scenarios = bundled()
    for e in entries:
        try:
            scen = engine.saved_scenario(e.diff_yaml, e.name)
        except BudgetsimError as err:  # saved by another version, say: listed in the library tab, not compared
            ss["broken_entries"].append((e.name, str(err)))
            continue
        pin = {"scenario": scen, "objective": e.objective, "base": scenarios.get(e.base or ""), "id": e.id}
        if e.plan is not None:  # a user's own plan (我的方案), scored as given
            try:
                pin["plan"] = engine.saved_plan(e, scen)
            except BudgetsimError as err:
                ss["broken_entries"].append((e.name, str(err)))
                continue
        pins[e.name] = pin
    for name, pin in ss["session_pins"].items():
        pins.setdefault(name, pin)
    ss["pins"] = pins


def save_current(kind: str, name: str, notes: str = "", author: str = "") -> str:
    """Save the current scenario (the last one the levers produced without error) to the library as a
    pin or a draft; returns the message to show.  Without a library a pin is kept in this page."""
    ss = st.session_state
    lang = ss["lang"]
    scen, _ = ss.get("last_good", (ss["base"], {}))
    result = engine.solve(scen, ss["objective"])
    try:
        engine.library().save_result(result, name, ss["base_ref"], kind=kind, notes=notes, author=author)
    except LibraryError as err:
        if kind == "pin":
            ss["session_pins"][name] = {"scenario": scen, "objective": ss["objective"], "base": ss["base_ref"]}
        sync_pins()
        return t("lib_unavailable", lang, err=str(err))
    sync_pins()
    return ""


def pin_plan(name: str, scenario: bs.Scenario, x) -> str:
    """Pin a user's own plan (我的方案) into the comparison, saved in the library with its allocation;
    returns the message to show when the library cannot be used (then it is kept in this page)."""
    ss = st.session_state
    try:
        engine.library().save_result(engine.plan_result(scenario, x), name, ss.get("base_ref"), kind="pin")
    except LibraryError as err:
        ss["session_pins"][name] = {"scenario": scenario, "objective": "given", "base": ss.get("base_ref"),
                                    "plan": x.copy()}
        sync_pins()
        return t("lib_unavailable", ss["lang"], err=str(err))
    sync_pins()
    return ""


def remove_pin(name: str) -> None:
    ss = st.session_state
    pin = ss["pins"].get(name)
    ss["session_pins"].pop(name, None)
    if pin is not None and pin.get("id") is not None:
        try:
            engine.library().delete(pin["id"])
        except LibraryError as err:
            ss["library_notice"] = ("error", t("lib_failed", ss["lang"], err=str(err)))
    sync_pins()


def load_entry(entry_id: int) -> None:
    """Make a saved scenario the start scenario (the levers and the question follow)."""
    ss = st.session_state
    lang = ss["lang"]
    try:
        e = engine.library().get(entry_id)
        scen = engine.saved_scenario(e.diff_yaml, e.name)
    except BudgetsimError as err:
        ss["library_notice"] = ("error", t("lib_failed", ss["lang"], err=str(err)))
        return
    try:
        plan = engine.saved_plan(e, scen) if e.plan is not None else None
    except BudgetsimError as err:
        ss["library_notice"] = ("error", t("lib_failed", lang, err=str(err)))
        return
    set_base(scen, bundled().get(e.base or ""), f"library:{e.name}")
    if plan is not None:  # a user's own plan: it becomes the draft of the 我的方案 tab
        ss["mp_load"] = plan
    else:
        ss["objective"] = e.objective
    ss["upload_errors"], ss["upload_notice"] = [], ""
    ss["library_notice"] = ("success", t("lib_loaded", lang, name=e.name))


def rename_entry(entry_id: int, key: str) -> None:
    ss = st.session_state
    try:
        e = engine.library().rename(entry_id, ss.get(key) or "")
    except LibraryError as err:
        ss["library_notice"] = ("error", t("lib_failed", ss["lang"], err=str(err)))
        return
    ss["library_notice"] = ("success", t("lib_renamed", ss["lang"], name=e.name))
    sync_pins()


def delete_entry(entry_id: int, name: str) -> None:
    ss = st.session_state
    try:
        engine.library().delete(entry_id)
    except LibraryError as err:
        ss["library_notice"] = ("error", t("lib_failed", ss["lang"], err=str(err)))
        return
    ss["library_notice"] = ("success", t("lib_deleted", ss["lang"], name=name))
    sync_pins()


def source_label(source: str, lang: str) -> str:
    """Where the start scenario came from, in words (never a raw id such as ``bundled:baseline``)."""
    kind, _, rest = source.partition(":")
    if kind == "upload":
        return t("src_upload", lang, name=rest)
    if kind == "library":
        return t("src_library", lang, name=rest)
    return t({"bundled": "src_bundled", "paste": "src_paste", "relaxed": "src_relaxed"}.get(kind, "src_bundled"),
             lang)


def set_base(s: bs.Scenario, ref: bs.Scenario | None, source: str) -> None:
    """Make ``s`` the start scenario; ``ref`` is the bundled scenario YAML diffs are written against."""
    ss = st.session_state
    ss["base"], ss["base_ref"], ss["base_source"] = s, ref, source
    ss["lever_gen"] += 1  # fresh widget keys: the levers start from the new scenario's values


def load_text(text: str | bytes, name: str = "uploaded", source: str = "upload") -> bool:
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
        ss["upload_errors"] = [problem_text(p, lang) for p in err.problems] or [str(err)]
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
    set_base(s, ref, f"{source}:{name}")
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
    load_text(st.session_state.get("paste_text", ""), "pasted.yaml", source="paste")


def on_reset() -> None:
    st.session_state["lever_gen"] += 1


def apply_relaxations(ex) -> None:
    """Make an impossible scenario's diagnosed relaxation the start scenario."""
    ss = st.session_state
    set_base(ex.relaxed_scenario(), ss["base_ref"], f"relaxed:{ex.scenario.id}")
    ss["upload_errors"], ss["upload_notice"] = [], t("diag_applied", ss["lang"], n=len(ex.conflicts))

"""What one rerun renders: the :class:`Page` (language, scenario, question, result), and shared widgets."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

import budgetsim as bs
from budgetsim.present import charts
from budgetsim.present.labels import t

from .engine import CACHE_AGE, scenario_key


@dataclass(frozen=True)
class Page:
    """The page being drawn: every tab reads the same scenario and result."""

    lang: str
    scenario: bs.Scenario
    objective: str
    result: bs.Result
    changes: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        """Cache key of everything drawn from this plan (scenario content, question, language)."""
        return (scenario_key(self.scenario), self.objective, self.lang)


def wide(first: str, *others: str) -> dict:
    """Column settings that give text columns room: the first large, the others medium (numbers
    after them must stay in view without scrolling)."""
    return {first: st.column_config.TextColumn(width="large")} | {
        c: st.column_config.TextColumn(width="medium") for c in others}


CHART_SPECS = 256  # about five charts per plan on screen: the last fifty or so plans drawn


@st.cache_data(show_spinner=False, max_entries=CHART_SPECS, ttl=CACHE_AGE)
def _chart_spec(kind: str, key: tuple, _build) -> dict:
    """A chart's Vega-Lite spec, built once per (chart, plan, language, options).

    Building and validating Altair specs is most of a rerun's cost; the chart tests validate
    the same builders, so the app skips validation here."""
    return _build().to_dict(validate=False)


def chart_block(lang: str, kind: str, key: tuple, build, data: pd.DataFrame, name: str) -> None:
    """A chart with its data as CSV and the chart as PNG (rendered only when asked for)."""
    spec = _chart_spec(kind, key, build)
    st.vega_lite_chart(spec, width="stretch", theme=None)
    with st.container(horizontal=True, gap="small"):  # buttons as wide as their text, wrapping: never cut
        st.download_button(t("download_csv", lang), data.to_csv(index=False).encode("utf-8-sig"),
                           file_name=f"{name}.csv", mime="text/csv", key=f"csv_{name}", on_click="ignore",
                           icon=":material/download:")
        st.download_button(t("download_png", lang), lambda: charts.to_png(spec), file_name=f"{name}.png",
                           mime="image/png", key=f"png_{name}", on_click="ignore", icon=":material/download:")


def lang_choice(widget, label: str, options: list, *, name: str, lang: str, format_func, **kwargs):
    """A radio or select box whose option texts depend on the page language.

    The chosen value lives in ``st.session_state[name]``, whatever the language; the widget
    itself is one per language (key ``{name}_{lang}``), set from that value before it is drawn.
    One keyed widget across languages would change its labels under the browser, which then
    showed no option selected while the old choice was still in force."""
    ss = st.session_state
    if ss.get(name) not in options:
        ss[name] = options[0]
    wkey = f"{name}_{lang}"
    if ss.get(wkey) != ss[name]:
        ss[wkey] = ss[name]

    def sync() -> None:
        ss[name] = ss[wkey]

    widget(label, options, key=wkey, on_change=sync, format_func=format_func, **kwargs)
    return ss[name]


"""The page's look from 1280×720 up, and Streamlit's own widget texts in the page's language.

Streamlit writes a few texts of its own in English and offers no setting for them: the file
uploader's button ("Upload") and its limits line ("1MB per file • YAML, YML"), and the hint under
text and number inputs ("Press Enter to apply", "Press Ctrl+Enter to apply").  On the Chinese page
CSS hides those texts and shows ours in their place (the element stays, so it is still clickable and
keeps its accessible name); everything else Streamlit lets us set (labels, help, placeholders) is set
where the widget is drawn.  Texts still in English: the menus of tables (download, search, full
screen) and of charts, the uploader's message for a refused file type, and the "Running…" status —
Streamlit draws those with no hook for CSS or parameters.

Layout: less side padding in the wide layout, KPI values that shrink with the window instead of
being cut ("110.58 …" lost its unit at 1280 px), labels that wrap instead of ending in "…", tab titles
that wrap to a second row instead of hiding behind a scroll arrow (ten tabs in English at 1280 px).
"""

from __future__ import annotations

import streamlit as st

from budgetsim.present.labels import t

from .first_paint import KEY as FIRST_PAINT_KEY

_LAYOUT = """
[data-testid="stMainBlockContainer"] { padding-left: 2rem; padding-right: 2rem; padding-top: 3rem; }
[data-testid="stMetricValue"] { font-size: clamp(1.3rem, 2vw, 2.25rem); }
[data-testid="stMetricValue"] .stMarkdownEllipsis, [data-testid="stMetricValue"] p,
[data-testid="stMetricLabel"] .stMarkdownEllipsis, [data-testid="stMetricLabel"] p {
    white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: anywhere; }
[data-testid="stMetricLabel"] { height: auto; min-height: 1.5rem; }
[data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; row-gap: 0.25rem; }
"""

# CSS `content:` strings, escaped for a double-quoted CSS string
_REPLACED = """
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
    content: "{upload_button}"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; white-space: normal; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after { content: "{upload_limits}"; font-size: 0.875rem; }
[class*="st-key-mp_upload"] [data-testid="stFileUploaderDropzoneInstructions"] span::after {
    content: "{upload_limits_plan}"; }
[data-testid="InputInstructions"] > span { font-size: 0; }
[data-testid="InputInstructions"] > span::after { content: "{press_enter}"; font-size: 0.75rem; }
[data-testid="stTextArea"] [data-testid="InputInstructions"] > span::after { content: "{press_ctrl_enter}"; }
"""


# While a rerun is solving, Streamlit marks the answer's elements stale (data-stale) and only fades
# them; the figures still read like an answer.  Whenever a KPI tile is stale, a banner that never
# goes stale itself (a pseudo-element of <body>) says that a new answer is being solved; not in the
# run a new page asks for after its first tiles (the first-paint trigger is still on the page), which
# draws the rest of the page around the same answer.
_SOLVING = """
body:not(:has(.st-key-{first_paint})):has([data-stale="true"] [data-testid="stMetric"])::after,
body:not(:has(.st-key-{first_paint})):has([data-testid="stMetric"][data-stale="true"])::after {
    content: "{solving}"; position: fixed; top: 0.75rem; left: 50%; transform: translateX(-50%);
    z-index: 1000001; pointer-events: none; padding: 0.4rem 1.1rem; border-radius: 0.5rem;
    background: #fff4e5; color: #663c00; border: 1px solid #ffb74d; box-shadow: 0 1px 6px rgba(0, 0, 0, 0.18);
    font-size: 0.95rem; font-weight: 600; }
"""


def solving_css(lang: str) -> str:
    """The 'solving…' banner shown whenever the answer on the page is stale."""
    return _SOLVING.replace("{solving}", _css_string(t("solving_sign", lang))).replace("{first_paint}", FIRST_PAINT_KEY)


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def widget_text_css(lang: str) -> str:
    """The CSS that replaces Streamlit's own English widget texts (none on the English page)."""
    if lang == "en":
        return ""
    css = _REPLACED
    for key in ("upload_button", "upload_limits", "upload_limits_plan", "press_enter", "press_ctrl_enter"):
        css = css.replace("{" + key + "}", _css_string(t(f"st_{key}", lang)))
    return css


def apply_style(lang: str) -> None:
    """Inject the layout rules and, on the Chinese page, the replaced widget texts."""
    st.html(f"<style>{_LAYOUT}{widget_text_css(lang)}{solving_css(lang)}</style>")

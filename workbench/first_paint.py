"""A new page's first paint: the KPI tiles alone, then the rest of the page.

Streamlit's browser side shows a run's new elements together once every piece of JavaScript they
need has loaded (about a hundred files for the whole workbench, the charts' and tables' among
them).  A page opened fresh therefore showed its tiles only when the tabs' charts could be shown
too, ~0.8 s after the server had sent them.  So a session's first run draws the header and the
tiles and ends; a small component in the page waits until the tiles are on screen and then asks
for the run that draws everything (a lever move, or any later run, draws the whole page at once).
"""

from __future__ import annotations

import streamlit as st

from budgetsim.present.labels import t

# Runs in the page once mounted: when a KPI tile (or the warning that replaces the tiles) is in the
# document, it waits for that frame to be painted and sends the trigger that reruns the script.  The
# timeout sends it anyway, so the rest of the page never waits on a tile that is not coming.
_JS = """
export default function ({ setTriggerValue }) {
  const shown = () => document.querySelector('[data-testid=stMetricValue], [data-testid=stAlert]');
  let sent = false;
  const send = () => {
    if (sent) return;
    sent = true;
    observer.disconnect();
    clearTimeout(timer);
    requestAnimationFrame(() => setTimeout(() => setTriggerValue('painted', true), 0));
  };
  const observer = new MutationObserver(() => { if (shown()) send(); });
  observer.observe(document.body, { childList: true, subtree: true });
  const timer = setTimeout(send, %(timeout_ms)d);
  if (shown()) send();
  return () => { observer.disconnect(); clearTimeout(timer); };
}
"""

TIMEOUT_MS = 2000
_component = st.components.v2.component("budgetsim_first_paint", js=_JS % {"timeout_ms": TIMEOUT_MS})


PAINTED = "first_paint_done"  # session state: the page has shown its first tiles
KEY = "first_paint"  # the trigger's widget key (its element has the CSS class st-key-first_paint)


def _painted() -> None:
    st.session_state[PAINTED] = True


def wait_for_first_paint(lang: str) -> bool:
    """On a session's first run, mount the trigger and return True: the caller stops after the tiles.

    The sidebar gets a line of text meanwhile, so the tiles are laid out at their final width and do
    not move when the levers arrive."""
    if st.session_state.get(PAINTED):
        return False
    st.sidebar.caption(t("levers_loading", lang))
    _component(key=KEY, on_painted_change=_painted)
    return True

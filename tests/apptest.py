"""The workbench in Streamlit's AppTest as a browser opens it: the first run, then the one the page asks for."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from workbench.first_paint import PAINTED

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(timeout: float = 60) -> AppTest:
    """A new session: the first run (header and tiles only), then the run that draws the whole page.

    In a browser the page's first-paint component asks for the second run once the tiles show;
    AppTest runs no JavaScript, so the flag that component's callback sets is set here."""
    at = AppTest.from_file(APP, default_timeout=timeout).run()
    at.session_state[PAINTED] = True
    return at.run()

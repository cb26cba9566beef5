"""The Streamlit workbench: the screens over the budgetsim package (``app.py`` is the entry point).

This package imports Streamlit and the public ``budgetsim`` API; ``budgetsim/`` never imports
Streamlit or this package.  One module per part of the page:

* :mod:`.engine` — the cached engine calls (solves, explanations, simulations, bundled scenarios);
* :mod:`.state` — the session's state and what changes it (start scenario, uploads, relaxations);
* :mod:`.page` — the :class:`~workbench.page.Page` a rerun renders, and shared widgets (charts with downloads);
* :mod:`.sidebar` — language, start scenario, upload/paste, question and levers;
* :mod:`.header` — KPI tiles, the impossible-plan diagnosis, the pin bar (pins and drafts go to the library);
* :mod:`.style` — layout from 1280×720 up, and Streamlit's own widget texts in the page's language;
* :mod:`.tab_plan`, :mod:`.tab_explain`, :mod:`.tab_uncertainty`, :mod:`.tab_compare`, :mod:`.tab_library` — the tabs.
"""

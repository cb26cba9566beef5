"""Layer 6 — what people read: labels, tables, charts, text reports, comparisons and workbooks.

Words and number formats in Chinese and English (:mod:`.labels`), the workbench's levers
(:mod:`.levers`), Altair charts (:mod:`.charts`), side-by-side comparisons and their workbook
(:mod:`.compare`), the CLI's text report (:mod:`.report`) and reader-facing tables of
explanations and simulations (:mod:`.views`).  No Streamlit here.

May import: every layer below (runs, analyses, results, model, scenario, base modules).
"""

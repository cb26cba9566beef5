"""The calibration tab: fit the current scenario's curves to a bureau's records, read the report,
make the calibrated scenario the current one (``budgetsim.calibrate``)."""

from __future__ import annotations

import streamlit as st

from budgetsim.analysis.calibration import status_quo_records
from budgetsim.exceptions import BudgetsimError, ScenarioError
from budgetsim.present import calibration_report as report
from budgetsim.present.labels import label, t
from budgetsim.scenario.loading import BUNDLED_DIR
from budgetsim.scenario.records import MAX_RECORDS_BYTES, template_xlsx_bytes

from . import engine
from .page import Page
from .state import set_base

EXAMPLES = BUNDLED_DIR / "records"


def _apply(cal, name: str) -> None:
    ss = st.session_state
    set_base(cal.scenario, ss.get("base_ref"), f"calibrated:{name}")
    ss["upload_errors"], ss["upload_notice"] = [], t("cal_applied", ss["lang"], title=cal.scenario.title(ss["lang"]))


def render_calibration(p: Page) -> None:
    """Upload (or pick) a records file, calibrate the current scenario, show the report, apply it."""
    L, scenario = p.lang, p.scenario
    c = st.columns([2, 2, 1])
    up = c[0].file_uploader(t("cal_upload", L), type=["xlsx", "csv"], help=t("cal_upload_help", L),
                            key="cal_upload")
    examples = sorted(EXAMPLES.glob("*.csv")) if EXAMPLES.is_dir() else []
    pick = c[1].selectbox(t("cal_example", L), [None] + [e.name for e in examples], key="cal_example",
                          format_func=lambda v: t("cal_none", L) if v is None else v)
    c[2].download_button(t("cal_template_xlsx", L), lambda: template_xlsx_bytes(scenario, status_quo_records(scenario)),
                         file_name=f"{scenario.id}_records_template.xlsx", key="cal_template",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
    if up is not None:
        data, name = up.getvalue(), up.name
    elif pick is not None:
        data, name = (EXAMPLES / pick).read_bytes(), pick
    else:
        return
    if len(data) > MAX_RECORDS_BYTES:
        st.error(t("upload_too_big", L, size=len(data) // 1000, cap=MAX_RECORDS_BYTES // 1000))
        return
    try:
        with st.spinner(t("cal_running", L)):
            cal = engine.calibrate(scenario, data, name)
    except ScenarioError as err:
        st.error(t("cal_bad", L) + "\n" + "\n".join(f"- {p}" for p in err.problems))
        return
    except BudgetsimError as err:
        st.error(str(err))
        return
    n_fit = sum(f.fitted for f in cal.fits.values())
    n_prior = sum(f.fitted and f.prior_dominates for f in cal.fits.values())
    k = st.columns(4)
    k[0].metric(t("cal_years", L), f"{cal.years[0]}–{cal.years[-1]}")
    k[1].metric(t("cal_curves_fitted", L), n_fit)
    k[2].metric(t("cal_curves_prior", L), n_prior)
    if cal.plan_performance is not None:
        k[3].metric(t("cal_plan_index", L), f"{cal.plan_performance:.2f}")
    st.caption(t("cal_intro", L, records=cal.records.name, y0=cal.years[0], y1=cal.years[-1],
                 sha=cal.records.sha256[:16] + "…", scenario=scenario.title(L)))
    for w in cal.records.warnings:
        st.warning(w)
    b = st.columns([1, 1, 1, 2])
    b[0].button(t("cal_apply", L), type="primary", key="cal_apply", on_click=_apply, args=(cal, name))
    b[1].download_button(t("cal_download_yaml", L), cal.yaml_text(), file_name=f"{scenario.id}_calibrated.yaml",
                         mime="application/x-yaml", key="cal_dl_yaml", on_click="ignore")
    b[2].download_button(t("cal_download_html", L), lambda: report.calibration_html(cal, L),
                         file_name=f"{scenario.id}_calibration_{L}.html", mime="text/html", key="cal_dl_html",
                         on_click="ignore")
    st.subheader(t("cal_summary", L))
    st.caption(t("cal_band_note", L))
    st.dataframe(report.curves_table(cal, L), width="stretch", hide_index=True)
    if cal.channels:
        st.subheader(t("cal_channels", L))
        n_id = sum(ch.identified for ch in cal.channels)
        st.caption(t("cal_channels_intro", L, sd=report.CAPACITY_LOG_SD) + " "
                   + t("cal_caps_n", L, n=n_id, k=len(cal.channels) - n_id))
        st.dataframe(report.channels_table(cal, L), width="stretch", hide_index=True)
    st.subheader(t("cal_flips", L))
    if cal.flips is not None and len(cal.flips):
        st.caption(t("cal_flips_intro", L))
        st.dataframe(report.flips_table(cal, L), width="stretch", hide_index=True)
    else:
        st.success(t("cal_no_flips", L))
    st.subheader(t("cal_refs", L))
    st.dataframe(report.references_table(cal, L), width="stretch", hide_index=True)
    fitted = [key for key, f in cal.fits.items() if f.fitted]
    if not fitted:
        return
    key = st.selectbox(t("cal_curve", L), fitted, key="cal_curve",
                       format_func=lambda ci: f"{label(scenario, 'categories', ci[0], L)} · "
                                              f"{label(scenario, 'indicators', ci[1], L)}")
    f = cal.fits[key]
    (st.warning if f.prior_dominates else st.success)(report.verdict(f, L))
    if report.band_note(f, L):
        st.warning(report.band_note(f, L))
    left, right = st.columns([3, 2])
    with left:
        st.vega_lite_chart(report.curve_chart(cal, *key, lang=L).to_dict(validate=False), theme=None)
    with right:
        st.markdown(f"**{t('cal_elasticity', L)}**: {report.elasticity_text(f)}  \n"
                    f"**{t('cal_prior_elasticity', L)}**: {f.priors.elasticity[0]:.2f} ± {f.priors.elasticity[1]:.2f}"
                    f" ({f.priors.elasticity_source})  \n"
                    f"**{t('cal_data_weight', L)}**: {f.data_weight:.2f}  \n"
                    f"**{t('cal_output_cv', L)}**: {f.output_cv:.1%}")
        st.dataframe(report.residuals_table(f, L), width="stretch", hide_index=True)


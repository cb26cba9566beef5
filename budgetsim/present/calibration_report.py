"""The calibration report: what the records said about each response curve, for people to read.

One HTML page (Chinese or English) that needs no network to view: per curve, the number of points,
the fitted and prior parameters, the elasticity at current spending with its 90 % interval, how far
the data moved it (data weight, shift in prior sds, a "prior dominates" warning), the residuals, and
a chart of the observed points, the fitted curve, its band and the prior curve (inline SVG), and a
warning where the band over ±50 % of current spending is wider than ±10 %; overall, the channels'
absorptive capacities (fitted where the records identify them, else "scenario value kept"), the
index's new reference levels and the recommendations that flip within the bands.  Also the short text summary the CLI prints, the tables the workbench shows and the
same chart in Altair for the workbench.  The report's SVG is drawn directly: vl-convert took about a
second per chart, twenty seconds for a report of nineteen curves.
"""

from __future__ import annotations

import html
import math

import altair as alt
import pandas as pd

from ..analysis.calibration import CAPACITY_LOG_SD, Calibration, CurveFit
from .labels import label, t, unit

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"


def _num(x: float | None, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def _pct(x: float, signed: bool = True) -> str:
    if x is None or math.isnan(x):
        return "—"
    return f"{x * 100:+.1f} %" if signed else f"{x * 100:.1f} %"


BAND_PINNED = 0.10  # the recovery criterion: within 10 % of the truth over ±50 % of current spending


def verdict(f: CurveFit, lang: str) -> str:
    if not f.fitted:
        return t("cal_no_data", lang)
    if f.prior_dominates:
        return t("cal_prior_dominates", lang)
    return t("cal_data_moved_wide", lang) if f.band_halfwidth > BAND_PINNED else t("cal_data_moved", lang)


def band_note(f: CurveFit, lang: str) -> str | None:
    """The extrapolation warning of a fitted curve whose 90 % band over ±50 % of current spending is
    wider than ±10 % (None when it is not)."""
    if not f.fitted or not f.band_halfwidth > BAND_PINNED:
        return None
    return t("cal_band_wide", lang, lo=f.data_range[0], hi=f.data_range[1], w=f.band_halfwidth)


def channels_table(cal: Calibration, lang: str = "zh") -> pd.DataFrame:
    """One row per channel with a capacity: the scenario's and the calibrated value, and whether the
    records identified it."""
    s = cal.base
    rows = []
    for ch in cal.channels:
        rows.append({
            t("cal_channel", lang): f"{label(s, 'categories', ch.category, lang)} · {label(s, 'modes', ch.mode, lang)}",
            t("cal_cap_scenario", lang): f"{ch.prior_wan:,.0f}",
            t("cal_cap_fitted", lang): f"{ch.capacity_wan:,.0f}" if ch.identified else "—",
            t("cal_cap_interval", lang): f"{ch.interval[0]:,.0f}–{ch.interval[1]:,.0f}" if ch.identified else "—",
            t("cal_data_weight", lang): f"{ch.data_weight:.2f}",
            t("cal_cap_peak", lang): f"{ch.peak_use * 100:.0f} %",
            t("cal_cap_mix", lang): f"{ch.mix_spread:.2f}",
            t("cal_flag", lang): t(f"cal_cap_{ch.reason}", lang),
        })
    return pd.DataFrame(rows)


def elasticity_text(f: CurveFit) -> str:
    if not f.fitted:
        return "—"
    lo, hi = f.elasticity_interval
    return f"{f.elasticity:.2f} ({lo:.2f}–{hi:.2f})"


def curves_table(cal: Calibration, lang: str = "zh") -> pd.DataFrame:
    """One row per curve, with labels, for the report and the workbench."""
    s = cal.base
    rows = []
    for (c, i), f in cal.fits.items():
        rows.append({
            t("cal_category", lang): label(s, "categories", c, lang),
            t("cal_indicator", lang): label(s, "indicators", i, lang),
            t("cal_points", lang): f.n_points,
            t("cal_prior_elasticity", lang): "—" if not f.fitted else f"{f.prior_elasticity:.2f}",
            t("cal_elasticity", lang): elasticity_text(f),
            t("cal_data_weight", lang): "—" if not f.fitted else f"{f.data_weight:.2f}",
            t("cal_shift", lang): "—" if not f.fitted else f"{f.shift_sd:+.2f}",
            t("cal_level", lang): "—" if not f.fitted else _pct(f.level_change),
            t("cal_rmse", lang): "—" if not f.fitted else _pct(
                float((f.observed["residual"] ** 2).mean() ** 0.5), signed=False),
            t("cal_band_50", lang): "—" if not f.fitted else f"±{f.band_halfwidth * 100:.1f} %",
            t("cal_flag", lang): verdict(f, lang),
        })
    return pd.DataFrame(rows)


def references_table(cal: Calibration, lang: str = "zh") -> pd.DataFrame:
    s = cal.base
    y = cal.years[-1]
    return pd.DataFrame({
        t("cal_indicator", lang): [label(s, "indicators", i, lang) for i in cal.reference_levels["indicator"]],
        t("cal_ref_old", lang): [f"{v:,.0f} {unit(s, i, lang)}" for v, i in
                                 zip(cal.reference_levels["old"], cal.reference_levels["indicator"])],
        t("cal_ref_new", lang): [f"{v:,.0f} {unit(s, i, lang)}" for v, i in
                                 zip(cal.reference_levels["new"], cal.reference_levels["indicator"])],
        t("cal_ref_basis", lang): [t(f"cal_basis_{b}", lang, y=y) for b in cal.reference_levels["basis"]],
    })


def flips_table(cal: Calibration, lang: str = "zh") -> pd.DataFrame:
    s = cal.base
    f = cal.flips if cal.flips is not None else pd.DataFrame()
    if not len(f):
        return pd.DataFrame()
    return pd.DataFrame({
        t("cal_curve", lang): [f"{label(s, 'categories', c, lang)} · {label(s, 'indicators', i, lang)}"
                               for c, i in zip(f["category"], f["indicator"])],
        t("cal_end", lang): [f"{t('cal_end_' + e, lang)} {el:.2f}" for e, el in zip(f["end"], f["elasticity"])],
        t("cal_channel", lang): [f"{label(s, 'categories', c, lang)} · {label(s, 'modes', m, lang)}"
                                 for c, m in zip(f["channel_category"], f["channel_mode"])],
        t("cal_from_to", lang): [f"{t('cal_rec_' + a, lang)} → {t('cal_rec_' + b, lang)}"
                                 for a, b in zip(f["from"], f["to"])],
        t("cal_perf_change", lang): [f"{v:+.2f}" for v in f["performance_change"]],
    })


def residuals_table(f: CurveFit, lang: str = "zh") -> pd.DataFrame:
    o = f.observed
    return pd.DataFrame({
        t("cal_year", lang): o["year"].astype(int).astype(str),
        t("cal_effective", lang): [f"{v:,.0f}" for v in o["effective_wan"]],
        t("cal_observed", lang): [_num(v, 4) for v in o["value"]],
        t("cal_fitted", lang): [_num(v, 4) for v in o["fitted"]],
        t("cal_residual", lang): [_pct(v) for v in o["residual"]],
    })


# ----------------------------------------------------------------------------- chart


def curve_chart_data(f: CurveFit) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(band: effective_wan, fitted, low, high, prior;  points: year, effective_wan, value)."""
    return f.band.copy(), f.observed[["year", "effective_wan", "value"]].copy()


def curve_chart(cal: Calibration, category: str, indicator: str, lang: str = "zh") -> alt.LayerChart:
    """Observed points, the fitted curve with its 90 % band, the prior curve (dashed), current spending."""
    f = cal.fits[(category, indicator)]
    s = cal.base
    band, pts = curve_chart_data(f)
    x_title = t("cal_effective", lang)
    y_title = f"{label(s, 'indicators', indicator, lang)}（{unit(s, indicator, lang)}）" if lang == "zh" else \
        f"{label(s, 'indicators', indicator, lang)} ({unit(s, indicator, lang)})"
    long = band.melt("effective_wan", ["fitted", "prior"], "line", "y")
    long["line"] = long["line"].map({"fitted": t("cal_fitted", lang), "prior": t("cal_prior_curve", lang)})
    x = alt.X("effective_wan:Q", title=x_title, axis=alt.Axis(format=",.0f"))
    area = alt.Chart(band).mark_area(opacity=0.25, color="#2a9d8f").encode(
        x=x, y=alt.Y("low:Q", title=y_title), y2="high:Q")
    lines = alt.Chart(long).mark_line().encode(
        x=x, y="y:Q",
        color=alt.Color("line:N", title=None, scale=alt.Scale(
            domain=[t("cal_fitted", lang), t("cal_prior_curve", lang)], range=["#2a9d8f", "#888888"])),
        strokeDash=alt.StrokeDash("line:N", legend=None, scale=alt.Scale(
            domain=[t("cal_fitted", lang), t("cal_prior_curve", lang)], range=[[1, 0], [5, 4]])))
    points = alt.Chart(pts).mark_circle(size=70, color="#e76f51", opacity=0.9).encode(
        x=x, y="value:Q", tooltip=[alt.Tooltip("year:O", title=t("cal_year", lang)),
                                   alt.Tooltip("effective_wan:Q", title=x_title, format=",.0f"),
                                   alt.Tooltip("value:Q", title=t("cal_observed", lang), format=",.4g")])
    labels_ = alt.Chart(pts).mark_text(dy=-10, fontSize=10, color="#555").encode(
        x=x, y="value:Q", text="year:O")
    rule = alt.Chart(pd.DataFrame({"e0": [f.e0]})).mark_rule(strokeDash=[2, 2], color="#444").encode(x="e0:Q")
    title = t("cal_chart_title", lang, cat=label(s, "categories", category, lang),
              ind=label(s, "indicators", indicator, lang))
    chart = (area + lines + points + labels_ + rule).properties(title=title, width=460, height=260)
    return (chart.configure(font=FONT).configure_axis(labelFont=FONT, titleFont=FONT)
            .configure_legend(labelFont=FONT, orient="bottom").configure_title(font=FONT, fontSize=13, anchor="start")
            .configure_view(strokeWidth=0))


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    span = max(hi - lo, 1e-12)
    step = 10 ** math.floor(math.log10(span / n))
    for m in (1, 2, 2.5, 5, 10):
        if span / (m * step) <= n:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + k * step for k in range(int((hi - first) / step + 1e-9) + 1)]


def _text_width(text: str, size: float = 11) -> float:
    """About how wide ``text`` is drawn (CJK characters are square, Latin about 0.56 em)."""
    return sum(size if ord(ch) > 0x2E80 else 0.56 * size for ch in text)


def curve_svg(cal: Calibration, category: str, indicator: str, lang: str = "zh",
              width: int = 600, height: int = 300) -> str:
    """The curve chart as a small self-contained SVG: band, fitted and prior curves, observed points
    (labelled by year) and current spending.  Drawn directly (milliseconds per chart, no renderer);
    the browser sets the text, so Chinese shows in any system font."""
    f = cal.fits[(category, indicator)]
    s = cal.base
    band, pts = curve_chart_data(f)
    left, right, top, bottom = 64, 16, 34, 62
    pw, ph = width - left - right, height - top - bottom
    x_hi = float(band["effective_wan"].max())
    y_hi = max(float(band[["high", "fitted", "prior"]].to_numpy().max()),
               float(pts["value"].max()) if len(pts) else 0.0) * 1.05 or 1.0
    sx = lambda v: left + pw * v / x_hi  # noqa: E731
    sy = lambda v: top + ph * (1 - v / y_hi)  # noqa: E731

    def path(xs, ys) -> str:
        return " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in zip(xs, ys))

    esc = html.escape
    x = band["effective_wan"].to_numpy()
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family=\'{FONT}\' font-size="11" role="img">']
    title = f"{label(s, 'categories', category, lang)} · {label(s, 'indicators', indicator, lang)}"
    out.append(f'<title>{esc(title)}</title>')
    for v in _ticks(0, y_hi):
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" fill="#555">{_num(v, 4)}</text>')
    for v in _ticks(0, x_hi):
        out.append(f'<line x1="{sx(v):.1f}" x2="{sx(v):.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#888"/>'
                   f'<text x="{sx(v):.1f}" y="{top + ph + 16}" text-anchor="middle" fill="#555">{v:,.0f}</text>')
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#888"/>')
    poly = path(x, band["high"]) + " " + path(x[::-1], band["low"].to_numpy()[::-1])
    out.append(f'<polygon points="{poly}" fill="#2a9d8f" fill-opacity="0.22" stroke="none"/>')
    out.append(f'<polyline points="{path(x, band["prior"])}" fill="none" stroke="#888" stroke-width="1.5" '
               'stroke-dasharray="5,4"/>')
    out.append(f'<polyline points="{path(x, band["fitted"])}" fill="none" stroke="#2a9d8f" stroke-width="2"/>')
    out.append(f'<line x1="{sx(f.e0):.1f}" x2="{sx(f.e0):.1f}" y1="{top}" y2="{top + ph}" stroke="#444" '
               'stroke-dasharray="2,2"/>')
    for r in pts.itertuples():
        out.append(f'<circle cx="{sx(r.effective_wan):.1f}" cy="{sy(r.value):.1f}" r="4" fill="#e76f51">'
                   f'<title>{int(r.year)}: {_num(r.value, 4)}</title></circle>'
                   f'<text x="{sx(r.effective_wan):.1f}" y="{sy(r.value) - 7:.1f}" text-anchor="middle" '
                   f'font-size="9" fill="#666">{int(r.year)}</text>')
    y_title = (f"{label(s, 'indicators', indicator, lang)}（{unit(s, indicator, lang)}）" if lang == "zh" else
               f"{label(s, 'indicators', indicator, lang)} ({unit(s, indicator, lang)})")
    out.append(f'<text x="{left}" y="16" font-size="13" font-weight="bold">{esc(title)}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 28}" text-anchor="middle">'
               f'{esc(t("cal_effective", lang))}</text>')
    out.append(f'<text transform="translate(14,{top + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
               f'{esc(y_title)}</text>')
    legend = [("#2a9d8f", "", t("cal_fitted", lang)), ("#888", "5,4", t("cal_prior_curve", lang))]
    lx = left
    for color, dash, text in legend:
        out.append(f'<line x1="{lx}" x2="{lx + 22}" y1="{height - 10}" y2="{height - 10}" stroke="{color}" '
                   f'stroke-width="2" stroke-dasharray="{dash or "none"}"/><text x="{lx + 26}" y="{height - 6}">'
                   f'{esc(text)}</text>')
        lx += 34 + _text_width(text)
    out.append(f'<rect x="{lx}" y="{height - 15}" width="22" height="10" fill="#2a9d8f" fill-opacity="0.22"/>'
               f'<text x="{lx + 26}" y="{height - 6}">{esc(t("cal_band", lang))}</text>')
    lx += 34 + _text_width(t("cal_band", lang))
    out.append(f'<circle cx="{lx + 6}" cy="{height - 10}" r="4" fill="#e76f51"/><text x="{lx + 14}" '
               f'y="{height - 6}">{esc(t("cal_observed", lang))}</text>')
    lx += 24 + _text_width(t("cal_observed", lang))
    out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{height - 10}" y2="{height - 10}" stroke="#444" '
               f'stroke-dasharray="2,2"/><text x="{lx + 22}" y="{height - 6}">{esc(t("cal_current_short", lang))}</text>')
    out.append("</svg>")
    return "".join(out)


# ----------------------------------------------------------------------------- HTML and text


CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;max-width:1100px;margin:24px auto;
padding:0 16px;color:#222;line-height:1.5}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.warn{background:#fff4e5;border-left:4px solid #f4a261;padding:8px 12px;margin:8px 0}
.ok{background:#eef8f6;border-left:4px solid #2a9d8f;padding:8px 12px;margin:8px 0}
.curve{border-top:1px solid #ddd;margin-top:24px;padding-top:8px}
.facts td:first-child{color:#555;width:40%}
h1{font-size:24px} h2{font-size:19px;margin-top:28px} h3{font-size:16px}
"""


def _table(df: pd.DataFrame) -> str:
    if not len(df):
        return ""
    return df.to_html(index=False, escape=True, border=0)


def _params(p: dict[str, float]) -> str:
    return ", ".join(f"{k} = {_num(v, 4)}" for k, v in p.items())


def calibration_html(cal: Calibration, lang: str = "zh", charts: bool = True) -> str:
    """The whole report as one self-contained HTML page (charts inline as SVG)."""
    s = cal.base
    rec = cal.records
    esc = html.escape
    parts = [f"<!DOCTYPE html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head><meta charset=\"utf-8\">"
             f"<title>{esc(t('cal_title', lang))} — {esc(s.title(lang))}</title><style>{CSS}</style></head><body>",
             f"<h1>{esc(t('cal_title', lang))}</h1>",
             f"<p>{esc(t('cal_intro', lang, records=rec.name, y0=cal.years[0], y1=cal.years[-1], sha=rec.sha256[:16] + '…', scenario=s.title(lang)))}</p>"]
    if cal.plan_performance is not None:
        parts.append(f"<p>{esc(t('cal_plan_perf', lang, p=cal.plan_performance, y=cal.years[-1]))}</p>")
    n_fit = sum(f.fitted for f in cal.fits.values())
    n_prior = sum(f.fitted and f.prior_dominates for f in cal.fits.values())
    parts.append(f"<p>{esc(t('cal_fitted_n', lang, n=n_fit, k=len(cal.years)))}；"
                 f"{esc(t('cal_prior_dominates_n', lang, n=n_prior))}</p>" if lang == "zh" else
                 f"<p>{esc(t('cal_fitted_n', lang, n=n_fit, k=len(cal.years)))}; "
                 f"{esc(t('cal_prior_dominates_n', lang, n=n_prior))}.</p>")
    parts.append(f"<p>{esc(t('cal_year_corr', lang, rho=cal.year_correlation))}</p>")
    if rec.warnings:
        parts.append(f"<div class='warn'><b>{esc(t('cal_record_warnings', lang))}</b><ul>"
                     + "".join(f"<li>{esc(w)}</li>" for w in rec.warnings) + "</ul></div>")
    parts += [f"<h2>{esc(t('cal_summary', lang))}</h2>", f"<p>{esc(t('cal_band_note', lang))}</p>",
              _table(curves_table(cal, lang))]
    if cal.channels:
        n_id = sum(ch.identified for ch in cal.channels)
        parts += [f"<h2>{esc(t('cal_channels', lang))}</h2>",
                  f"<p>{esc(t('cal_channels_intro', lang, sd=CAPACITY_LOG_SD))}</p>",
                  f"<p>{esc(t('cal_caps_n', lang, n=n_id, k=len(cal.channels) - n_id))}</p>",
                  _table(channels_table(cal, lang))]
    parts += [f"<h2>{esc(t('cal_refs', lang))}</h2>", _table(references_table(cal, lang)),
              f"<h2>{esc(t('cal_flips', lang))}</h2>"]
    if cal.flips is None:
        parts.append(f"<p>{esc(t('cal_flips_skipped', lang))}</p>")
    elif not len(cal.flips):
        parts.append(f"<div class='ok'>{esc(t('cal_no_flips', lang))}</div>")
    else:
        parts += [f"<p>{esc(t('cal_flips_intro', lang))}</p>", _table(flips_table(cal, lang))]
    for (c, i), f in cal.fits.items():
        head = f"{label(s, 'categories', c, lang)} · {label(s, 'indicators', i, lang)}"
        parts.append(f"<div class='curve'><h3>{esc(head)}</h3>")
        if not f.fitted:
            parts.append(f"<p>{esc(t('cal_no_data', lang))}</p></div>")
            continue
        box = "warn" if f.prior_dominates else "ok"
        parts.append(f"<div class='{box}'>{esc(verdict(f, lang))}"
                     + "".join(f"<br>{esc(w)}" for w in f.warnings) + "</div>")
        if band_note(f, lang):
            parts.append(f"<div class='warn'>{esc(band_note(f, lang))}</div>")
        facts = [
            (t("cal_points", lang), f"{f.n_points}"),
            (t("cal_current", lang), f"{f.e0:,.0f} 万元"),
            (t("cal_params", lang), f"{f.kind}: {_params(f.params)}"),
            (t("cal_prior_params", lang), f"{f.kind}: {_params(f.prior_params)}"),
            (t("cal_elasticity", lang), elasticity_text(f)),
            (t("cal_prior_elasticity", lang), f"{f.priors.elasticity[0]:.2f} ± {f.priors.elasticity[1]:.2f} "
                                               f"({t('cal_prior_source', lang)}: {f.priors.elasticity_source})"),
        ]
        if f.saturation is not None:
            prior_sat = (f" — {t('cal_prior_source', lang)}: {f.priors.saturation[0]:.2f} ± {f.priors.saturation[1]:.2f}"
                         f" ({f.priors.saturation_source})" if f.priors.saturation else "")
            facts.append((t("cal_saturation", lang), f"{f.saturation:.2f}{prior_sat}"))
        facts += [
            (t("cal_data_weight", lang), f"{f.data_weight:.2f}"),
            (t("cal_shift", lang), f"{f.shift_sd:+.2f}"),
            (t("cal_level", lang), _pct(f.level_change)),
            (t("cal_noise", lang), _pct(f.noise_cv, signed=False)),
            (t("cal_output_cv", lang), _pct(f.output_cv, signed=False)),
            (t("cal_band_50", lang), f"±{f.band_halfwidth * 100:.1f} %"),
        ]
        parts.append("<table class='facts'>" + "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>"
                                                       for k, v in facts) + "</table>")
        parts.append(f"<b>{esc(t('cal_residuals', lang))}</b>" + _table(residuals_table(f, lang)))
        if charts:
            parts.append(curve_svg(cal, c, i, lang))
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def calibration_text(cal: Calibration, lang: str = "zh") -> str:
    """A short summary for the terminal: one line per curve, the reference levels, the flips."""
    s = cal.base
    lines = [f"{t('cal_title', lang)}: {cal.records.name} ({cal.years[0]}–{cal.years[-1]})"]
    for (c, i), f in cal.fits.items():
        name = f"{label(s, 'categories', c, lang)} · {label(s, 'indicators', i, lang)}"
        if not f.fitted:
            lines.append(f"  {name}: {t('cal_no_data', lang)}")
            continue
        lines.append(f"  {name}: n={f.n_points}, {t('cal_elasticity', lang)} {elasticity_text(f)}, "
                     f"{t('cal_prior_elasticity', lang)} {f.prior_elasticity:.2f}, "
                     f"{t('cal_data_weight', lang)} {f.data_weight:.2f}"
                     + (f" — {t('cal_prior_dominates', lang)}" if f.prior_dominates else ""))
    if cal.channels:
        lines.append(f"{t('cal_channels', lang)}: " + t("cal_caps_n", lang, n=sum(ch.identified for ch in cal.channels),
                                                         k=sum(not ch.identified for ch in cal.channels)))
        for ch in cal.channels:
            name = f"{label(s, 'categories', ch.category, lang)} · {label(s, 'modes', ch.mode, lang)}"
            val = (f"{ch.prior_wan:,.0f} → {ch.capacity_wan:,.0f}" if ch.identified else f"{ch.prior_wan:,.0f}")
            lines.append(f"  {name}: {val} 万元, {t('cal_data_weight', lang)} {ch.data_weight:.2f} — "
                         f"{t('cal_cap_' + ch.reason, lang)}")
    lines.append(t("cal_refs", lang) + ":")
    for r in cal.reference_levels.itertuples():
        lines.append(f"  {label(s, 'indicators', r.indicator, lang)}: {r.old:,.0f} → {r.new:,.0f} "
                     f"{unit(s, r.indicator, lang)} ({t('cal_basis_' + r.basis, lang, y=cal.years[-1])})")
    if cal.flips is not None:
        lines.append(t("cal_flips", lang) + ":")
        if not len(cal.flips):
            lines.append("  " + t("cal_no_flips", lang))
        for row in flips_table(cal, lang).itertuples(index=False):
            lines.append("  " + " | ".join(str(v) for v in row))
    if cal.plan_performance is not None:
        lines.append(t("cal_plan_perf", lang, p=cal.plan_performance, y=cal.years[-1]))
    return "\n".join(lines) + "\n"

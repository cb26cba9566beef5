"""An independent check that a plan obeys every enabled rule, computed from result tables
(not from the solver's own rows)."""

from __future__ import annotations

import numpy as np

TOL = 1e-6


def violations(r) -> list[str]:
    s = r.scenario
    out: list[str] = []
    a = r.allocation
    on = a[a["on_budget"]]
    # cash out per year (a guidance fund's amount is a commitment; its cash is the pay-ins)
    spend = on.groupby("year")["cash_wan"].sum().reindex(s.years).to_numpy()
    cat = on.pivot_table(index="category", columns="year", values="cash_wan", aggfunc="sum").reindex(
        index=s.categories, columns=s.years).fillna(0.0)
    mode = a.pivot_table(index="mode", columns="year", values="cash_wan", aggfunc="sum").reindex(
        index=s.modes, columns=s.years).fillna(0.0)
    tol = lambda v: TOL * max(1.0, abs(v))  # noqa: E731

    def check(ok: bool, what: str) -> None:
        if not ok:
            out.append(what)

    if (rule := s.rule("budget_envelope")) is not None:
        for t, y in enumerate(s.years):
            b = s.budget_wan[t]
            check(spend[t] <= b + tol(b), f"budget exceeded {y}: {spend[t]} > {b}")
            if rule.full_allocation and r.objective == "max-performance":
                check(abs(spend[t] - b) <= 1e-4 * b, f"budget not fully allocated {y}")
    sq = s.spec.status_quo
    from_base = sq.base_year < s.years[0]  # continuity rules tie the first plan year to the status-quo year
    if (rule := s.rule("budget_growth_floor")) is not None:
        for t in range(1, len(s.years)):
            check(spend[t] >= (1 + rule.min_growth) * spend[t - 1] - tol(spend[t]), f"growth floor {s.years[t]}")
        if from_base:
            check(spend[0] >= (1 + rule.min_growth) * sq.budget_wan - tol(spend[0]), f"growth floor {s.years[0]}")
    for rid, table in (("category_share_min", cat), ("mode_share_min", mode)):
        if (rule := s.rule(rid)) is not None:
            for k, sh in rule.shares.items():
                for t, y in enumerate(s.years):
                    check(table.loc[k, y] >= sh * spend[t] - tol(spend[t]), f"{rid} {k} {y}")
    for rid, table in (("category_share_max", cat), ("mode_share_max", mode)):
        if (rule := s.rule(rid)) is not None:
            for k, sh in rule.shares.items():
                for t, y in enumerate(s.years):
                    check(table.loc[k, y] <= sh * spend[t] + tol(spend[t]), f"{rid} {k} {y}")
    if (rule := s.rule("stable_competitive_band")) is not None:
        st = {m for m in s.modes if s.mode(m).support_type == "stable" and s.mode(m).on_budget}
        co = {m for m in s.modes if s.mode(m).support_type == "competitive" and s.mode(m).on_budget}
        for y in s.years:
            sv = mode.loc[list(st), y].sum()
            both = sv + mode.loc[list(co), y].sum()
            check(rule.stable_share_min * both - tol(both) <= sv <= rule.stable_share_max * both + tol(both),
                  f"stable band {y}")
    if (rule := s.rule("leverage_floor")) is not None:
        ratios = s.per_year(rule.min_ratio)
        lev = r.leverage
        for t, y in enumerate(s.years):
            if not np.isnan(ratios[t]):
                check(lev["external_wan"][t] >= ratios[t] * lev["fiscal_wan"][t] - tol(lev["fiscal_wan"][t]),
                      f"leverage floor {y}")
    if (rule := s.rule("indicator_targets")) is not None:
        tot = r.indicator_totals.set_index("indicator")
        for iid, target in rule.targets.items():
            check(tot.loc[iid, "plan_total"] >= target - tol(target), f"target {iid}")
    if (rule := s.rule("category_smoothing")) is not None:
        for c in s.categories:
            for t in range(1, len(s.years)):
                prev, cur = cat.loc[c, s.years[t - 1]], cat.loc[c, s.years[t]]
                check(abs(cur - prev) <= rule.max_change * prev + tol(prev), f"smoothing {c} {s.years[t]}")
            if from_base:
                prev = sum(sq.split.get(c, {}).values()) * sq.budget_wan
                cur = cat.loc[c, s.years[0]]
                check(abs(cur - prev) <= rule.max_change * prev + tol(prev), f"smoothing {c} {s.years[0]}")
    # decisions per channel and year, with the status-quo year's in front
    dec = a.pivot_table(index=["category", "mode"], columns="year", values="amount_wan", aggfunc="sum")
    for (c, m) in s.channels:
        base = sq.split.get(c, {}).get(m, 0.0) * sq.budget_wan
        row = [base] + [dec.loc[(c, m), y] for y in s.years]
        on = s.mode(m).on_budget
        if (rule := s.rule("channel_band")) is not None and on:
            for t in range(1, len(row)):
                if t == 1 and not from_base:
                    continue
                prev, cur = row[t - 1], row[t]
                hi = rule.start_wan if (t == 1 and prev <= 0) else (1 + rule.max_change) * prev
                check((1 - rule.max_change) * prev - tol(prev) <= cur <= hi + tol(hi),
                      f"channel band {c}.{m} {s.years[t - 1]}: {prev} → {cur}")
        if (rule := s.rule("stable_support_continuity")) is not None and on and s.mode(m).support_type == "stable":
            for t in range(1, len(row)):
                if t == 1 and not from_base:
                    continue
                check(row[t] >= rule.min_keep * row[t - 1] - tol(row[t - 1]), f"stable support {c}.{m} {s.years[t - 1]}")
    if (rule := s.rule("status_quo_band")) is not None:
        sq = a[a["on_budget"]].pivot_table(index="category", columns="year", values="status_quo_cash_wan", aggfunc="sum")
        for c in s.categories:
            for y in s.years:
                lv = sq.loc[c, y]
                check((1 - rule.band) * lv - tol(lv) <= cat.loc[c, y] <= (1 + rule.band) * lv + tol(lv),
                      f"status quo band {c} {y}")
    if (rule := s.rule("contingent_liability_cap")) is not None and len(r.pools):
        caps = s.per_year(rule.cap_wan)
        liab = r.pools.groupby("year")["contingent_liability_wan"].sum()
        for t, y in enumerate(s.years):
            check(liab[y] <= caps[t] + tol(caps[t]), f"liability cap {y}")
    if (rule := s.rule("priority_floor")) is not None:
        for t, y in enumerate(s.years):
            check(cat.loc[rule.categories, y].sum() >= rule.share_min * spend[t] - tol(spend[t]), f"priority {y}")
    if (rule := s.rule("tax_expenditure_cap")) is not None:
        caps = s.per_year(rule.cap_wan)
        tax = r.budget["tax_forgone_wan"].to_numpy()
        for t, y in enumerate(s.years):
            check(tax[t] <= caps[t] + tol(caps[t]), f"tax cap {y}")
    if (rule := s.rule("lumpy_funding")) is not None:
        for pu in rule.projects:
            amts = a[(a["category"] == pu.category) & (a["mode"] == pu.mode)]["amount_wan"]
            for v in amts:
                k = v / pu.unit_wan
                check(abs(k - round(k)) < 1e-5, f"whole projects {pu.category}.{pu.mode}: {v}")
        for mt in rule.min_tickets:
            amts = a[(a["category"] == mt.category) & (a["mode"] == mt.mode)]["amount_wan"]
            for v in amts:
                check(v < 1e-6 or v >= mt.min_wan - 1e-6, f"min ticket {mt.category}.{mt.mode}: {v}")
    if (rule := s.rule("tax_entitlement")) is not None:
        top = s.per_year(rule.top_up_max_wan)
        for c, by_mode in rule.forecast_wan.items():
            for m, value in by_mode.items():
                fc = s.per_year(value)
                for t, y in enumerate(s.years):
                    if np.isnan(fc[t]):
                        continue
                    v = dec.loc[(c, m), y]
                    check(fc[t] - tol(fc[t]) <= v <= fc[t] + np.nan_to_num(top[t]) + tol(fc[t]),
                          f"tax entitlement {c}.{m} {y}: {v} vs forecast {fc[t]}")
    if (rule := s.rule("risk_appetite")) is not None:
        losses = r.cash_flows["expected_losses_wan"].to_numpy()
        for t, y in enumerate(s.years):
            cap = rule.max_loss_share * s.budget_wan[t]
            check(losses[t] <= cap + tol(cap), f"risk appetite {y}")
    if (rule := s.rule("post_plan_commitments")) is not None:
        check(r.due_after_plan_wan <= rule.cap_wan + tol(rule.cap_wan), "post-plan commitments")
    check((a["amount_wan"] >= -1e-9).all(), "negative allocation")
    return out

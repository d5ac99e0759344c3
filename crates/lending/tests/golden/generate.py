#!/usr/bin/env python3
"""Independent golden-file generator for the agririsk loan-schedule engine.

Computes repayment schedules from the written specification only (no Rust code
was consulted) and writes one JSON file per case next to this script.

Standard library only. All money arithmetic uses decimal.Decimal at precision
50 (never floats). Every rounded amount is additionally cross-checked against
an exact rational (pure integer) computation, so a result can never be off by
one fen because of a finite-precision artefact near a half-fen tie.

Conventions (see README.md):
  * amounts are held internally as integer fen; output as yuan with 2 decimals
  * rounding is round-half-even to whole fen unless stated otherwise
  * add_months clamps to the last day of a shorter month; due dates are always
    anchored on the start date (start + k months), never chained

Regenerate with:  python3 generate.py
"""

import calendar
import datetime
import json
import os
from decimal import ROUND_HALF_EVEN, Decimal, getcontext

getcontext().prec = 50

HERE = os.path.dirname(os.path.abspath(__file__))
FREQ = {"monthly": 1, "quarterly": 3}

# Places where an exact half-fen tie occurred (round-half-even mattered).
TIES = []


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def parse_date(s):
    return datetime.date.fromisoformat(s)


def add_months(d, k):
    m0 = d.month - 1 + k
    y = d.year + m0 // 12
    m = m0 % 12 + 1
    day = min(d.day, calendar.monthrange(y, m)[1])
    return datetime.date(y, m, day)


def to_fen(yuan_str):
    fen = Decimal(yuan_str) * 100
    assert fen == fen.to_integral_value(), f"principal {yuan_str} is not whole fen"
    return int(fen)


def fmt_yuan(fen):
    assert isinstance(fen, int) and fen >= 0, fen
    return f"{fen // 100}.{fen % 100:02d}"


def round_fen(dec_value, exact_num, exact_den, what):
    """Round half-even to whole fen.

    dec_value is the Decimal (prec 50) computation; exact_num/exact_den is the
    same quantity as an exact rational. Both must agree.
    """
    dec = int(dec_value.to_integral_value(rounding=ROUND_HALF_EVEN))
    assert exact_den > 0
    q, r = divmod(exact_num, exact_den)
    if 2 * r < exact_den:
        ex = q
    elif 2 * r > exact_den:
        ex = q + 1
    else:
        ex = q if q % 2 == 0 else q + 1
        TIES.append(what)
    assert dec == ex, f"{what}: Decimal gives {dec}, exact gives {ex}"
    return ex


def interest_months(b, annual, m, what):
    """round(b * (annual/12) * m), b in fen."""
    if m == 0 or b == 0 or annual == 0:
        return 0
    dec = Decimal(b) * annual * m / 12
    an, ad = annual.as_integer_ratio()
    return round_fen(dec, b * an * m, ad * 12, what)


def interest_days(b, annual, days, what):
    """round(b * annual * days / 360)  (ACT/360), b in fen."""
    if days == 0 or b == 0 or annual == 0:
        return 0
    dec = Decimal(b) * annual * days / 360
    an, ad = annual.as_integer_ratio()
    return round_fen(dec, b * an * days, ad * 360, what)


def level_payment(B, annual, n, what):
    """A = round(B * r * q / (q - 1)), q = (1 + r)^n, r = annual / 12."""
    if annual == 0:
        return round_fen(Decimal(B) / n, B, n, what)
    r = annual / 12
    q = (1 + r) ** n
    dec = Decimal(B) * r * q / (q - 1)
    # exact: r = an/D with D = 12*ad, q = P^n / D^n with P = D + an
    an, ad = annual.as_integer_ratio()
    D = 12 * ad
    P = D + an
    return round_fen(dec, B * an * P ** n, D * (P ** n - D ** n), what)


def periodic_dates(start, f, limit, G):
    """add_months(start, j*f), j = 1, 2, ... while < limit, keeping j*f > G."""
    out = []
    j = 1
    while True:
        d = add_months(start, j * f)
        if d >= limit:
            break
        if j * f > G:
            out.append(d)
        j += 1
    return out


# --------------------------------------------------------------------------
# products
# --------------------------------------------------------------------------
def equal_installment(t, name):
    B = to_fen(t["principal"])
    annual = Decimal(t["annual_rate"])
    start = parse_date(t["start"])
    n = t["term_months"]
    G = t.get("grace_months", 0)
    A = level_payment(B, annual, n, f"{name}: level payment")
    rows = []
    b = B
    for k in range(1, n + 1):
        due = add_months(start, G + k)
        m = G + 1 if k == 1 else 1
        interest = interest_months(b, annual, m, f"{name}#{k} interest")
        if k < n:
            p = A - interest_months(b, annual, 1, f"{name}#{k} one-month interest")
            p = max(0, min(p, b))
        else:
            p = b
        rows.append((due, p, interest))
        b -= p
    return rows, A


def equal_principal(t, name):
    B = to_fen(t["principal"])
    annual = Decimal(t["annual_rate"])
    start = parse_date(t["start"])
    n = t["term_months"]
    G = t.get("grace_months", 0)
    share = B // n  # floor; B >= 0 so this is also toward zero
    rows = []
    b = B
    for k in range(1, n + 1):
        due = add_months(start, G + k)
        m = G + 1 if k == 1 else 1
        interest = interest_months(b, annual, m, f"{name}#{k} interest")
        p = share if k < n else b
        rows.append((due, p, interest))
        b -= p
    return rows, None


def bullet(B, annual, start, maturity, f, G, free_days, name):
    free_until = start + datetime.timedelta(days=free_days)
    dates = periodic_dates(start, f, maturity, G) + [maturity]
    rows = []
    prev = start
    for i, due in enumerate(dates):
        days = max(0, (due - max(prev, free_until)).days)
        interest = interest_days(B, annual, days, f"{name}#{i + 1} interest")
        p = B if i == len(dates) - 1 else 0
        rows.append((due, p, interest))
        prev = due
    return rows


def interest_only(t, name):
    B = to_fen(t["principal"])
    annual = Decimal(t["annual_rate"])
    start = parse_date(t["start"])
    maturity = add_months(start, t["term_months"])
    f = FREQ[t.get("interest_every", "monthly")]
    return bullet(B, annual, start, maturity, f, t.get("grace_months", 0),
                  t.get("interest_free_days", 0), name), None


def harvest_maturity(start, M, days_after=30):
    Y = start.year if M > start.month else start.year + 1
    end = datetime.date(Y, M, calendar.monthrange(Y, M)[1])
    return end + datetime.timedelta(days=days_after)


def harvest_bullet(t, name):
    B = to_fen(t["principal"])
    annual = Decimal(t["annual_rate"])
    start = parse_date(t["start"])
    maturity = harvest_maturity(start, t["harvest_month"])
    f = FREQ[t.get("interest_every", "monthly")]
    return bullet(B, annual, start, maturity, f, t.get("grace_months", 0),
                  t.get("interest_free_days", 0), name), None


def livestock_batch(t, name):
    B = to_fen(t["principal"])
    annual = Decimal(t["annual_rate"])
    start = parse_date(t["start"])
    batches = t["batch_months"]
    assert all(a < b for a, b in zip(batches, batches[1:])) and batches[0] > 0
    f = FREQ[t.get("interest_every", "quarterly")]
    G = t.get("grace_months", 0)
    free_until = start + datetime.timedelta(days=t.get("interest_free_days", 0))
    pdates = [add_months(start, m) for m in batches]
    count = len(pdates)
    share = B // count
    principal_at = {d: share for d in pdates[:-1]}
    principal_at[pdates[-1]] = B - share * (count - 1)
    dates = sorted(set(pdates) | set(periodic_dates(start, f, pdates[-1], G)))
    rows = []
    b = B
    prev = start
    for i, due in enumerate(dates):
        days = max(0, (due - max(prev, free_until)).days)
        interest = interest_days(b, annual, days, f"{name}#{i + 1} interest")
        p = principal_at.get(due, 0)
        rows.append((due, p, interest))
        b -= p
        prev = due
    assert b == 0
    return rows, None


PRODUCTS = {
    "equal-installment": equal_installment,
    "equal-principal": equal_principal,
    "interest-only": interest_only,
    "harvest-bullet": harvest_bullet,
    "livestock-batch": livestock_batch,
}

# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------
CASES = [
    # 1
    ("equal-installment-100k",
     {"product": "equal-installment", "principal": "100000", "annual_rate": "0.0435",
      "start": "2026-03-01", "term_months": 12}),
    # 2
    ("equal-installment-35k-jan31",
     {"product": "equal-installment", "principal": "35000", "annual_rate": "0.0615",
      "start": "2026-01-31", "term_months": 24}),
    # 3
    ("equal-installment-50k-grace3",
     {"product": "equal-installment", "principal": "50000", "annual_rate": "0.05",
      "start": "2026-04-15", "term_months": 12, "grace_months": 3}),
    # 4
    ("equal-principal-1k",
     {"product": "equal-principal", "principal": "1000.00", "annual_rate": "0.0435",
      "start": "2026-03-01", "term_months": 12}),
    # 5
    ("equal-principal-80k-18m",
     {"product": "equal-principal", "principal": "80000", "annual_rate": "0.0528",
      "start": "2026-05-20", "term_months": 18}),
    # 6
    ("interest-only-60k-quarterly",
     {"product": "interest-only", "principal": "60000", "annual_rate": "0.045",
      "start": "2026-02-28", "term_months": 12, "interest_every": "quarterly"}),
    # 7
    ("interest-only-100k-free60-grace2",
     {"product": "interest-only", "principal": "100000", "annual_rate": "0.0435",
      "start": "2026-03-01", "term_months": 12, "grace_months": 2,
      "interest_free_days": 60, "interest_every": "monthly"}),
    # 8
    ("harvest-bullet-50k-oct",
     {"product": "harvest-bullet", "principal": "50000", "annual_rate": "0.05",
      "start": "2026-03-10", "harvest_month": 10, "interest_every": "monthly"}),
    # 9
    ("harvest-bullet-30k-jun-quarterly",
     {"product": "harvest-bullet", "principal": "30000", "annual_rate": "0.0465",
      "start": "2026-11-05", "harvest_month": 6, "interest_every": "quarterly"}),
    # 10
    ("livestock-batch-90k",
     {"product": "livestock-batch", "principal": "90000", "annual_rate": "0.055",
      "start": "2026-04-01", "batch_months": [6, 12, 18], "interest_every": "quarterly"}),
    # extra edge cases
    # 11: 36 months, 31st start, passes through leap day 2028-02-29
    ("equal-installment-250k-36m-jul31",
     {"product": "equal-installment", "principal": "250000", "annual_rate": "0.0475",
      "start": "2026-07-31", "term_months": 36}),
    # 12: zero rate, principal not divisible by n
    ("equal-installment-zero-rate",
     {"product": "equal-installment", "principal": "10000", "annual_rate": "0",
      "start": "2026-03-15", "term_months": 7}),
    # 13: monthly interest-only from a 31 January start (month-end clamping)
    ("interest-only-20k-jan31-monthly",
     {"product": "interest-only", "principal": "20000", "annual_rate": "0.04",
      "start": "2026-01-31", "term_months": 6, "interest_every": "monthly"}),
    # 14: equal-principal with grace, 31 August start
    ("equal-principal-24k-grace2-aug31",
     {"product": "equal-principal", "principal": "24000.01", "annual_rate": "0.048",
      "start": "2026-08-31", "term_months": 6, "grace_months": 2}),
]


def main():
    level = {}
    for name, terms in CASES:
        rows, A = PRODUCTS[terms["product"]](terms, name)
        B = to_fen(terms["principal"])
        # invariants
        assert sum(p for _, p, _ in rows) == B, f"{name}: principal parts do not sum"
        assert all(p >= 0 and i >= 0 for _, p, i in rows), name
        assert all(a[0] < b[0] for a, b in zip(rows, rows[1:])), f"{name}: dates not increasing"
        assert rows[-1][1] > 0, f"{name}: last installment carries no principal"
        if A is not None:
            level[name] = A
        doc = {
            "name": name,
            "terms": terms,
            "installments": [
                {"seq": k, "due_date": d.isoformat(), "principal": fmt_yuan(p),
                 "interest": fmt_yuan(i)}
                for k, (d, p, i) in enumerate(rows, start=1)
            ],
        }
        with open(os.path.join(HERE, name + ".json"), "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        print(f"wrote {name}.json ({len(rows)} installments)")

    # spec-mandated checks
    assert level["equal-installment-100k"] == 853099, level["equal-installment-100k"]
    assert harvest_maturity(datetime.date(2026, 3, 10), 10) == datetime.date(2026, 11, 30)
    assert harvest_maturity(datetime.date(2026, 11, 5), 6) == datetime.date(2027, 7, 30)

    for name, A in level.items():
        print(f"level payment {name}: {fmt_yuan(A)}")
    if TIES:
        print("exact half-fen ties (round-half-even applied):")
        for t in TIES:
            print("  " + t)
    else:
        print("no exact half-fen ties occurred")


if __name__ == "__main__":
    main()

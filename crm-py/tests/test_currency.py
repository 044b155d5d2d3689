"""Currencies: dated rates, exact conversion, the forecast and aggregates in two currencies, unknown codes."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

import crm_engine as crm


def deal(db: crm.Crm, name: str, amount: str, currency: str, close: date) -> dict:
    return db.create(
        "Potentials",
        {"potentialname": name, "amount": Decimal(amount), "currency": currency, "sales_stage": "Prospecting", "closingdate": close},
    )


@pytest.fixture
def book(db: crm.Crm) -> crm.Crm:
    db.add_currency("EUR", name="Euro", symbol="€", rate=Decimal("0.92"))
    db.set_currency_rate("EUR", Decimal("0.95"), valid_from=date(2027, 1, 1))
    db.add_currency("JPY", rate=Decimal("150"))
    return db


def test_currencies_and_rates(book: crm.Crm) -> None:
    assert book.base_currency()["code"] == "USD"
    assert [c["code"] for c in book.currencies()] == ["USD", "EUR", "JPY"]
    jpy = next(c for c in book.currencies() if c["code"] == "JPY")
    assert (jpy["name"], jpy["decimals"], jpy["rounding"]) == ("Japan, Yen", 0, "half_up")
    assert book.currency_rates("EUR") == [
        {"code": "EUR", "rate": Decimal("0.92"), "valid_from": None},
        {"code": "EUR", "rate": Decimal("0.95"), "valid_from": date(2027, 1, 1)},
    ]
    assert book.convert(Decimal("100"), "EUR", "USD", on=date(2026, 12, 31)) == Decimal("108.70")
    assert book.convert(Decimal("100"), "EUR", "USD", on=date(2027, 3, 31)) == Decimal("105.26")
    assert str(book.convert(Decimal("100"), "EUR", "JPY", on=date(2027, 3, 31))) == "15789"
    log = book.currency_log()
    assert log[-1]["code"] == "JPY" and any(e["what"] == "rate" and e["after"] == Decimal("0.95") for e in log)
    with pytest.raises(crm.NotFoundError):
        book.convert(Decimal("1"), "XYZ", "USD", on=date(2027, 1, 1))


def test_forecast_in_two_currencies(book: crm.Crm) -> None:
    deal(book, "A", "1000", "USD", date(2026, 12, 31))
    deal(book, "B", "1000", "Euro", date(2026, 12, 31))
    deal(book, "C", "1000", "€", date(2027, 1, 1))
    deal(book, "D", "100000", "JPY", date(2027, 3, 31))
    usd = book.forecast("Potentials", currency="USD")
    assert (usd[0]["amount"], usd[0]["currency"]) == (Decimal("3806.26"), "USD")  # 1000 + 1086.96 + 1052.63 + 666.67
    eur = book.forecast("Potentials", currency="EUR", subtotals=True)
    assert eur[0]["amount"] == Decimal("3553.33")  # 920.00 + 1000 + 1000 + 633.33
    assert [(s["currency"], s["amount"]) for s in eur[0]["subtotals"]] == [
        ("EUR", Decimal("2000.00")),
        ("JPY", Decimal("100000.00")),
        ("USD", Decimal("1000.00")),
    ]
    assert book.forecast("Potentials")[0]["amount"] == Decimal("3806.26")
    assert book.aggregate("Potentials", sums=["amount"], currency="EUR")[0]["amount"] == Decimal("3553.33")
    # A rate edit refreshes the base-currency values.
    book.set_currency_rate("EUR", Decimal("0.90"), valid_from=date(2027, 1, 1))
    assert book.forecast("Potentials")[0]["amount"] == Decimal("3864.74")
    # Filters and sorts compare base-currency values.
    big = book.find("Potentials", [("amount", ">", "1050")])
    assert sorted(r["potentialname"] for r in big) == ["B", "C"]


def test_unknown_currency_and_preference(book: crm.Crm) -> None:
    with pytest.raises(crm.ValidationError) as e:
        deal(book, "X", "1", "XYZ", date(2027, 1, 1))
    assert e.value.errors[0]["field"] == "currency" and e.value.errors[0]["code"] == "unknown_currency"
    book.set_user_currency("admin", "EUR")
    assert book.user_currency("admin") == "EUR"
    r = book.create("Potentials", {"potentialname": "P", "sales_stage": "Prospecting", "closingdate": date(2027, 1, 1)})
    assert r["currency"] == "EUR"
    deal(book, "M", "5", "USD", date(2027, 1, 1))
    with pytest.raises(crm.ConflictError):
        book.set_base_currency("EUR")


def test_analytics_and_the_past_pipeline_in_a_requested_currency(book: crm.Crm) -> None:
    a = deal(book, "A", "1000", "USD", date(2026, 12, 31))
    b = deal(book, "B", "1000", "Euro", date(2026, 12, 31))
    deal(book, "C", "1000", "€", date(2027, 1, 1))
    deal(book, "D", "100000", "JPY", date(2027, 3, 31))
    # The analytics forecast: 920.00 + 1000 + 1000 + 633.33 EUR; 150000 + 163043 + 157895 + 100000 JPY.
    eur = book.forecast("Potentials", by="forecast_category", currency="EUR")
    assert (eur[0]["forecast_category"], eur[0]["currency"], eur[0]["amount"]) == ("Pipeline", "EUR", Decimal("3553.33"))
    assert book.forecast("Potentials", by=["total"], currency="JPY")[0]["amount"] == Decimal("570938")
    per = book.forecast("Potentials", by="currency")
    assert [(r["currency"], r["amount"]) for r in per] == [("EUR", Decimal("2000")), ("JPY", Decimal("100000")), ("USD", Decimal("1000"))]
    # Closed deals: A won (1000 USD = 920.00 EUR), B lost (1000 EUR = 163043 JPY).
    book.update(a["id"], {"sales_stage": "Closed Won"})
    book.update(b["id"], {"sales_stage": "Closed Lost", "lost_reason": "Price"})
    w = book.win_rate("2026", currency="EUR")[0]
    assert (w["currency"], w["won_amount"], w["lost_amount"]) == ("EUR", Decimal("920.00"), Decimal("1000.00"))
    assert book.lost_reasons("2026", currency="JPY")[0]["amount"] == Decimal("163043")
    assert book.sales_velocity("2026", currency="EUR")[0]["average_won_amount"] == Decimal("920.00")
    book.set_quota("admin", "2026", Decimal("2000"))
    at = book.attainment("2026", currency="EUR")[0]
    assert (at["quota"], at["won_amount"], at["attainment"]) == (Decimal("1840.00"), Decimal("920.00"), Decimal("0.5000"))
    # The pipeline as of a day converts each deal too (as of today: today's pipeline), with subtotals.
    today = datetime.now(timezone.utc).date()
    past = book.forecast("Potentials", as_of=today, currency="EUR", subtotals=True)
    assert past[0]["amount"] == book.forecast("Potentials", currency="EUR")[0]["amount"]
    assert [s["currency"] for s in past[0]["subtotals"]] == ["EUR", "JPY", "USD"]
    rows = book.pipeline_as_of(today, "total", currency="JPY")
    assert (rows[0]["currency"], rows[0]["amount"]) == ("JPY", Decimal("570938"))
    assert book.pipeline_as_of(today, "total")[0]["amount"] == Decimal("3806.26")
    with pytest.raises(crm.NotFoundError):
        book.win_rate("2026", currency="XYZ")

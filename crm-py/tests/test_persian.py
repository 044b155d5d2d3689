"""What Persian users need: Jalali forecast periods and date ranges, Windows-1256 and UTF-16 files, Persian
digits and Jalali dates in exports, Arabic and Persian letter variants found as the same text."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import crm_engine as crm

HEADER = "Opportunity Name,Amount,Sales Stage,Expected Close Date\r\n"


def _deal(db: crm.Crm, name: str, amount: str, close: date) -> None:
    db.create("Potentials", {"potentialname": name, "amount": Decimal(amount), "sales_stage": "Prospecting", "closingdate": close})


def test_jalali_quarters_across_nowruz(db: crm.Crm) -> None:
    _deal(db, "a", "100", date(2027, 3, 20))  # 29 Esfand 1405
    _deal(db, "b", "200", date(2027, 3, 21))  # 1 Farvardin 1406
    _deal(db, "c", "400", date(2027, 6, 21))  # 31 Khordad 1406
    rows = db.forecast("Potentials", by="quarter", calendar="jalali")
    assert [(r["key"], r["label"], r["count"], r["amount"]) for r in rows] == [
        ("1405-Q4", "زمستان ۱۴۰۵", 1, Decimal("100.00")),
        ("1406-Q1", "بهار ۱۴۰۶", 2, Decimal("600.00")),
    ]
    assert [r["key"] for r in db.forecast("Potentials", by="quarter")] == ["2027-Q1", "2027-Q2"]
    assert db.forecast("Potentials", by="quarter")[0]["label"] == "2027-Q1"


def test_this_jalali_month_in_tehran(db: crm.Crm) -> None:
    # The clock is the system clock here (the 23:30-on-the-last-day case is in crm-core's tests): a deal
    # closing today in Tehran is in this Jalali month, deals 40 days away are not (a month has 29 to 31 days).
    db.set_time_zone("Asia/Tehran")
    db.set_view_settings({**db.view_settings(), "calendar": "jalali"})
    assert db.view_settings()["calendar"] == "jalali"
    today = datetime.now(timezone(timedelta(hours=3, minutes=30))).date()
    _deal(db, "today", "1", today)
    _deal(db, "later", "1", today + timedelta(days=40))
    _deal(db, "earlier", "1", today - timedelta(days=40))
    db.save_filter("Potentials", {"name": "This month", "std_filter": {"field": "closingdate", "range": "thismonth"}})
    assert [r["potentialname"] for r in db.find("Potentials", filter="This month")] == ["today"]


def test_windows_1256_and_utf16_import(db: crm.Crm, tmp_path: Path) -> None:
    text = HEADER + "شرکت کيان,12000,Prospecting,2027-03-31\r\n"
    p1256 = tmp_path / "1256.csv"
    p1256.write_bytes(text.encode("cp1256"))
    r = db.import_csv(p1256, "Potentials", encoding="windows-1256")
    assert (r.created, r.failed) == (1, 0)
    p16 = tmp_path / "utf16.csv"
    p16.write_bytes(text.replace("کيان", "آرش").encode("utf-16"))  # with a BOM, as Excel writes it
    r = db.import_csv(p16, "Potentials")
    assert (r.created, r.failed) == (1, 0)
    # The Windows-1256 name was written with Arabic yeh; a Persian keyboard's yeh finds it.
    assert db.search("Potentials", "شرکت کیان")["total"] == 1
    assert db.search("Potentials", "شركت آرش")["total"] == 1


def test_export_bom_persian_digits_jalali_dates(db: crm.Crm, tmp_path: Path) -> None:
    _deal(db, "نوروز", "1500.5", date(2027, 3, 21))
    out = tmp_path / "out.csv"
    n = db.export_csv(out, "Potentials", columns=["potentialname", "amount", "closingdate"], bom=True, digits="persian", date_format="jalali")
    assert n == 1
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "نوروز,۱۵۰۰٫۵۰,۱۴۰۶/۰۱/۰۱" in data.decode("utf-8-sig")


def test_labels_follow_the_acting_user_then_the_store(db: crm.Crm, tmp_path: Path) -> None:
    assert db.languages() == ["en_us", "fa_ir"]
    db.add_user("sara", language="fa_ir")

    def label(field: str) -> str:
        return next(f["label"] for f in db.fields("Potentials") if f["name"] == field)

    assert label("sales_stage") == "Sales Stage"
    _deal(db, "قرارداد", "100", date(2027, 3, 31))
    db.update(db.find("Potentials")[0]["id"], {"sales_stage": "برنده"})  # a value in Persian is stored as vtiger's
    assert db.find("Potentials")[0]["sales_stage"] == "Closed Won"
    db.set_user("sara")
    assert db.language() == "fa_ir"
    assert label("sales_stage") == "مرحله فروش"
    assert db.forecast("Potentials", by="sales_stage")[0]["label"] == "برنده"
    with pytest.raises(crm.ValidationError, match="مرحله فروش الزامی است"):
        db.create("Potentials", {"potentialname": "x", "closingdate": date(2027, 1, 1)})
    db.set_label("fa_ir", "Sales Stage", "مرحله")
    assert label("sales_stage") == "مرحله" and db.custom_labels("fa_ir") == {"Sales Stage": "مرحله"}
    # Sara's export: Persian headers and values; imported back by an English user with no mapping.
    out = tmp_path / "fa.csv"
    db.export_csv(out, "Potentials", columns=["potentialname", "sales_stage", "amount", "closingdate"])
    assert out.read_text(encoding="utf-8").splitlines()[0] == "نام فرصت,مرحله,مقدار,تاریخ پیش بینی بسته شدن"
    db.set_label("fa_ir", "Sales Stage", "")
    db.export_csv(out, "Potentials", columns=["potentialname", "sales_stage", "amount", "closingdate"])
    cp1256 = tmp_path / "fa-1256.csv"
    cp1256.write_bytes(out.read_text(encoding="utf-8").replace("ی", "ي").encode("cp1256"))
    db.set_user("admin")
    r = db.import_csv(cp1256, "Potentials", encoding="windows-1256")
    assert (r.created, r.failed) == (1, 0)
    assert [f for _, f in r.mapping] == ["potentialname", "sales_stage", "amount", "closingdate"]
    assert all(d["sales_stage"] == "Closed Won" for d in db.find("Potentials"))
    db.set_language("fa")
    assert label("sales_stage") == "مرحله فروش"
    db.set_user_language("admin", "en_us")
    assert label("sales_stage") == "Sales Stage"
    with pytest.raises(crm.InvalidArgumentError, match="language: unknown value 'xx'"):
        db.set_language("xx")


def test_the_time_zone_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "tz.db"
    with crm.Crm(str(path)) as first:
        first.set_time_zone("Asia/Tehran")
    with crm.Crm(str(path)) as again:
        assert again.time_zone() == "Asia/Tehran"  # a handle opened later uses the stored zone



def test_import_notes_list_views_and_default_workflows_in_persian(db: crm.Crm, tmp_path: Path) -> None:
    db.add_user("sara", language="fa_ir")
    src = tmp_path / "deals.csv"
    src.write_text("Opportunity Name,Sales Stage,Expected Close Date,Foo\na,Closed Won,2027-01-01,x\n\nb,Prospecting\n", encoding="utf-8")
    english = db.import_csv(src, "Potentials", dry_run=True)
    assert "columns that match no field are ignored: Foo" in english.warnings
    db.set_user("sara")
    r = db.import_csv(src, "Potentials")
    assert (r.created, r.skipped, r.failed) == (1, 1, 1)
    assert "ستون‌هایی که با هیچ فیلدی جور نیستند نادیده گرفته شدند: Foo" in r.warnings
    notes = [p["message"] for row in r.row_reports for p in row["problems"]]
    assert "سطر خالی" in notes and any(n.startswith("4 ستون انتظار می‌رفت و 2 ستون یافت شد") for n in notes), notes
    # A list view shows picklist values in the reader's language; the stored value stays vtiger's.
    row = db.list_view("Potentials", "All")["records"][0]
    assert row["sales_stage"] == "برنده"
    assert db.get(row["id"])["sales_stage"] == "Closed Won"
    # The default workflows no one edited follow the store's language; an edited one stays as it is.
    db.set_user("admin")
    db.set_language("fa_ir")
    names = [w["name"] for w in db.workflows("Potentials")]
    assert names == ["محاسبه یا به روز رسانی مبلغ پیش بینی", "ارسال ایمیل به کاربران هنگام ایجاد فرصت فروش"]
    _deal(db, "c", "10", date(2027, 3, 21))
    assert db.outbox()[-1]["subject"] == "درباره واگذاری فرصت فروش"
    db.set_language("en_us")
    assert [w["name"] for w in db.workflows("Potentials")][1] == "Send Email to users on Potential creation"

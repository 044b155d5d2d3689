"""Arrow out: records and reports as Arrow built in Rust and handed over through the PyCapsule stream
interface; every column's pyarrow type; pandas and polars round trips with exact Decimals; the stream read
directly by pyarrow and polars; a clear ImportError when an optional package is missing."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal

pa = pytest.importorskip("pyarrow")


def typed_deals(db: crm.Crm, org: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """A custom field of each kind, a deal with every one set and a deal with them empty."""
    names = {
        "D": db.add_field("Potentials", label="D", type="decimal", precision=10, scale=3)["name"],
        "I": db.add_field("Potentials", label="I", type="integer")["name"],
        "Dt": db.add_field("Potentials", label="Dt", type="date_time")["name"],
        "Ti": db.add_field("Potentials", label="Ti", type="time")["name"],
        "Cb": db.add_field("Potentials", label="Cb", type="checkbox")["name"],
        "Mp": db.add_field("Potentials", label="Mp", type="multi_picklist", values=["A", "B", "C"])["name"],
    }
    full = deal(
        db, org, "A full", "12000.50", probability=Decimal("12.5"),
        **{names["D"]: Decimal("-1234567.125"), names["I"]: 42, names["Dt"]: datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
           names["Ti"]: time(13, 45, 30), names["Cb"]: True, names["Mp"]: ["A", "C"]},
    )
    empty = db.create("Potentials", {"potentialname": "B empty", "sales_stage": "Prospecting", "closingdate": date(2027, 4, 1)})
    return names, full, empty


def test_every_column_has_its_arrow_type_and_value(db: crm.Crm, org: dict[str, Any]) -> None:
    n, full, empty = typed_deals(db, org)
    t = db.to_arrow("Potentials", order_by="potentialname")
    assert isinstance(t, pa.Table) and t.num_rows == 2
    assert t.column_names[:4] == ["id", "label", "version", "potentialname"]
    types = {f.name: f.type for f in t.schema}
    assert types["id"] == pa.int64() and types["version"] == pa.int64() and types["label"] == pa.string()
    assert types["amount"] == pa.decimal128(14, 2)
    assert types["probability"] == pa.decimal128(7, 3)
    assert types["forecast_amount"].scale == 4
    assert types[n["D"]] == pa.decimal128(10, 3)
    assert types[n["I"]] == pa.int64()
    assert types["closingdate"] == pa.date32()
    assert types["createdtime"] == pa.timestamp("us", tz="UTC")
    assert types[n["Dt"]] == pa.timestamp("us", tz="UTC")
    assert types[n["Ti"]] == pa.time64("us")
    assert types[n["Cb"]] == pa.bool_()
    assert types[n["Mp"]] == pa.list_(pa.string())
    assert types["related_to"] == pa.int64() and types["assigned_user_id"] == pa.int64()
    assert types["sales_stage"] == pa.string() and types["potentialname"] == pa.string()
    assert t.schema.metadata[b"crm.module"] == b"Potentials"
    assert t.schema.field("amount").metadata[b"crm.type"] == b"currency"
    rows = t.to_pylist()
    a, b = rows
    assert a["id"] == full["id"] and b["id"] == empty["id"]
    assert a["amount"] == Decimal("12000.50") and b["amount"] is None
    assert a["probability"] == Decimal("12.500")
    assert a[n["D"]] == Decimal("-1234567.125")
    assert a[n["I"]] == 42
    assert a["closingdate"] == date(2027, 3, 31)
    assert a[n["Dt"]] == datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert a[n["Dt"]].tzinfo is not None
    assert a["createdtime"] == full["createdtime"]
    assert a[n["Ti"]] == time(13, 45, 30)
    assert a[n["Cb"]] is True
    assert a[n["Mp"]] == ["A", "C"]
    assert a["related_to"] == org["id"] and b["related_to"] is None
    for k in ("D", "I", "Dt", "Ti", "Cb", "Mp"):
        assert b[n[k]] is None
    # the same values as find, field by field
    found = {r["id"]: r for r in db.find("Potentials")}
    for row in rows:
        rec = found[row["id"]]
        for k, v in row.items():
            want = rec[k] if k in rec else None
            assert v == want, (k, v, want)


def test_columns_where_order_and_batches(db: crm.Crm, org: dict[str, Any]) -> None:
    for i in range(5):
        deal(db, org, f"Deal {i}", f"{100 + i}.25")
    t = db.to_arrow("Potentials", where=[("amount", ">", "101")], columns=["potentialname", "Amount", "id"], order_by="-amount")
    assert t.column_names == ["potentialname", "amount", "id"]
    assert t.column("potentialname").to_pylist() == ["Deal 4", "Deal 3", "Deal 2", "Deal 1"]
    assert t.column("amount").to_pylist() == [Decimal("104.25"), Decimal("103.25"), Decimal("102.25"), Decimal("101.25")]
    reader = pa.RecordBatchReader.from_stream(db.arrow("Potentials", columns=["potentialname"], batch_size=2))
    assert [b.num_rows for b in reader] == [2, 2, 1]
    assert db.to_arrow("Potentials", columns=["id"], limit=2, offset=1).num_rows == 2
    with pytest.raises(crm.InvalidArgumentError, match="nope"):
        db.arrow("Potentials", columns=["nope"])
    with pytest.raises(crm.NotFoundError):
        db.arrow("Nope")
    empty = db.to_arrow("Potentials", where=[("potentialname", "=", "nothing")])
    assert empty.num_rows == 0 and empty.schema.field("amount").type == pa.decimal128(14, 2)


def test_the_stream_is_read_directly_and_once(db: crm.Crm, org: dict[str, Any]) -> None:
    deal(db, org, "One", "1.50")
    s = db.arrow("Potentials", columns=["potentialname", "amount"])
    assert isinstance(s, crm.ArrowStream)
    t = pa.table(s)  # pyarrow reads __arrow_c_stream__ itself
    assert t.column("amount").to_pylist() == [Decimal("1.50")]
    with pytest.raises(crm.InvalidArgumentError, match="already read"):
        s.__arrow_c_stream__()
    capsule = db.arrow("Potentials").__arrow_c_stream__()
    assert type(capsule).__name__ == "PyCapsule"
    del capsule  # released unread: nothing leaks, nothing breaks
    assert db.count("Potentials") == 1


def test_pandas_round_trip_is_exact(db: crm.Crm, org: dict[str, Any]) -> None:
    pd = pytest.importorskip("pandas")
    n, full, _ = typed_deals(db, org)
    df = db.to_pandas("Potentials", order_by="potentialname")
    assert list(df["potentialname"]) == ["A full", "B empty"]
    assert df["amount"].iloc[0] == Decimal("12000.50") and isinstance(df["amount"].iloc[0], Decimal)
    assert pd.isna(df["amount"].iloc[1])
    assert df[n["D"]].iloc[0] == Decimal("-1234567.125")
    assert str(df["createdtime"].dtype) == "datetime64[us, UTC]"
    assert df["createdtime"].iloc[0] == full["createdtime"]
    assert df[n["Dt"]].iloc[0].to_pydatetime() == datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert list(df[n["Mp"]].iloc[0]) == ["A", "C"]
    assert df["closingdate"].iloc[0] == date(2027, 3, 31)
    # DataFrame → back to Arrow keeps the exact decimal type
    back = pa.Table.from_pandas(df[["amount"]], preserve_index=False)
    assert back.column("amount").to_pylist()[0] == Decimal("12000.50")


def test_polars_round_trip_is_exact(db: crm.Crm, org: dict[str, Any]) -> None:
    pl = pytest.importorskip("polars")
    n, full, _ = typed_deals(db, org)
    df = db.to_polars("Potentials", order_by="potentialname")
    assert isinstance(df, pl.DataFrame)
    assert df.schema["amount"] == pl.Decimal(14, 2)
    assert df["amount"].to_list() == [Decimal("12000.50"), None]
    assert df[n["D"]].to_list()[0] == Decimal("-1234567.125")
    assert df.schema["createdtime"] == pl.Datetime("us", "UTC")
    assert df["createdtime"].to_list()[0] == full["createdtime"]
    assert df.schema["closingdate"] == pl.Date
    assert df.schema[n["Mp"]] == pl.List(pl.String)
    assert df[n["Mp"]].to_list()[0] == ["A", "C"]
    assert df.schema["related_to"] == pl.Int64
    # polars reads the capsule without pyarrow
    assert pl.DataFrame(db.arrow("Potentials", columns=["id"])).height == 2
    assert df.to_arrow().column("amount").to_pylist()[0] == Decimal("12000.50")


def test_reports_have_an_arrow_form(db: crm.Crm, org: dict[str, Any]) -> None:
    deal(db, org, "A", "100.10")
    deal(db, org, "B", "200.20")
    deal(db, org, "C", "50", stage="Closed Won")
    p = db.report_arrow("pipeline", by="sales_stage").to_arrow()
    assert p.column_names == ["key", "count", "amount", "forecast_amount", "label"]
    assert p.schema.field("count").type == pa.int64()
    assert p.schema.field("amount").type == pa.decimal128(38, 2)
    rows = {r["key"]: r for r in p.to_pylist()}
    assert rows["Prospecting"]["count"] == 2 and rows["Prospecting"]["amount"] == Decimal("300.30")
    assert rows["Prospecting"]["amount"] == next(r for r in db.forecast(by="sales_stage") if r["key"] == "Prospecting")["amount"]
    a = db.report_arrow("aggregate", group_by="sales_stage", sums=["amount"], where=[("amount", ">", "60")]).to_arrow()
    assert a.column_names == ["sales_stage", "count", "amount"]
    assert a.to_pylist() == [{"sales_stage": "Prospecting", "count": 2, "amount": Decimal("300.30")}]
    by_day = db.report_arrow("aggregate", group_by="closingdate", sums=["amount"]).to_arrow()
    assert by_day.schema.field("closingdate").type == pa.date32()
    f = db.report_arrow("forecast", period="2027").to_arrow()
    assert "forecast_category" in f.column_names and f.schema.field("amount").type.scale == 2
    w = db.report_arrow("win_rate", period="2027")
    assert pa.table(w).schema.field("won").type == pa.int64()
    with pytest.raises(crm.InvalidArgumentError):
        db.report_arrow("pipeline", bogus=1)
    with pytest.raises(crm.InvalidArgumentError):
        db.report_arrow("nope")


def test_a_missing_package_is_named(db: crm.Crm, org: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    deal(db, org, "One", "1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now raises ImportError
    with pytest.raises(ImportError, match="'pyarrow'.*pip install pyarrow"):
        db.to_arrow("Potentials")
    with pytest.raises(ImportError, match="pyarrow"):
        db.arrow("Potentials").to_arrow()
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="'pandas'"):
        db.to_pandas("Potentials")
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ImportError, match="'polars'"):
        db.to_polars("Potentials")
    with pytest.raises(ImportError, match="'polars'"):
        db.report_arrow("pipeline").to_polars()
    # the stream itself needs none of them
    assert db.arrow("Potentials").__arrow_c_stream__() is not None

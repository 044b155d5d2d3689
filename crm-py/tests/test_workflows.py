"""Workflows: definitions in both shapes, forecast amount, dry runs, scheduler, outbox, Python functions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal

SAMPLE = Path(__file__).parent / "data" / "vtiger_workflows.json"

BIG_DEAL = {
    "workflowname": "Big deal alert",
    "summary": "Alert the team about deals over 10000",
    "module_name": "Potentials",
    "execution_condition": 1,
    "test": json.dumps([{"fieldname": "amount", "operation": "greater than", "value": "10000", "valuetype": "rawtext", "joincondition": "", "groupid": "0"}]),
    "status": 1,
    "tasks": [
        {
            "summary": "Email sales managers",
            "active": True,
            "task_type": "VTEmailTask",
            "fromEmail": "crm@example.com",
            "recepient": "sales-managers@example.com",
            "subject": "Big deal: $potentialname ($amount)",
            "content": "Worth $amount",
        }
    ],
}


def test_forecast_amount_is_computed_by_the_default_workflow(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Big deal", "1000", probability=Decimal("20"))
    assert rec["forecast_amount"] == Decimal("200.00")
    rec = db.update(rec["id"], {"amount": Decimal("2500")})
    assert rec["forecast_amount"] == Decimal("500")
    names = [w["name"] for w in db.workflows("Potentials")]
    assert names == ["Calculate or Update forecast amount", "Send Email to users on Potential creation"]
    assert all(w["default"] for w in db.workflows())


def test_add_workflow_in_vtiger_shape_dict_and_text(db: crm.Crm, org: dict[str, Any]) -> None:
    wid = db.add_workflow(BIG_DEAL)
    assert isinstance(wid, int)
    wf = db.get_workflow(wid)
    assert wf["name"] == "Big deal alert" and wf["module"] == "Potentials" and wf["trigger"] == {"on": "first_save"}
    before = len(db.outbox())
    deal(db, org, "small", "500")
    deal(db, org, "huge", "20000")
    mails = db.outbox()[before:]
    assert [m["subject"] for m in mails if m["to"] == ["sales-managers@example.com"]] == ["Big deal: huge (20000.00)"]
    ids = db.add_workflow(SAMPLE.read_text())
    assert isinstance(ids, list) and len(ids) == len(json.loads(SAMPLE.read_text()))
    assert len(db.workflows("Potentials")) == 3 + len(ids)
    text_id = db.add_workflow(json.dumps({**BIG_DEAL, "workflowname": "From text"}))
    assert db.get_workflow(text_id)["name"] == "From text"


def test_typed_shape_update_activate_delete(db: crm.Crm, org: dict[str, Any]) -> None:
    wid = db.add_workflow(
        {
            "module": "Potentials",
            "name": "Tag next step",
            "trigger": {"on": "every_save"},
            "tasks": [{"summary": "set", "action": {"type": "update_fields", "updates": [{"fieldname": "nextstep", "value": "Call"}]}}],
        }
    )
    assert deal(db, org, "a", "1")["nextstep"] == "Call"
    wf = db.get_workflow(wid)
    assert db.workflows("Potentials")[-1] == wf
    db.set_workflow_active(wid, False)
    assert db.get_workflow(wid)["active"] is False
    assert deal(db, org, "b", "1")["nextstep"] is None
    db.set_workflow_active(wid)
    wf["name"] = "Renamed"
    assert db.update_workflow(wid, wf)["name"] == "Renamed"
    assert db.update_workflow(wid, {**BIG_DEAL, "workflowname": "Now vtiger"})["name"] == "Now vtiger"
    db.delete_workflow(wid)
    with pytest.raises(crm.NotFoundError):
        db.get_workflow(wid)
    with pytest.raises(crm.InvalidArgumentError):
        db.add_workflow("{not json")
    with pytest.raises(crm.InvalidArgumentError):
        db.add_workflow({**BIG_DEAL, "module_name": "Nope"})


def test_dry_run_and_run_workflow(db: crm.Crm, org: dict[str, Any]) -> None:
    db.add_workflow(BIG_DEAL)
    dr = db.dry_run("Potentials", {"potentialname": "x", "amount": 50000, "sales_stage": "Prospecting", "closingdate": "2027-01-01", "related_to": org["id"]})
    assert dr["record"]["forecast_amount"] == Decimal("5000")
    fired = {t["name"]: t["fired"] for t in dr["workflows"]}
    assert fired["Big deal alert"] is True
    assert db.count("Potentials") == 0 and db.outbox() == []
    rec = deal(db, org, "small", "10")
    dr = db.dry_run(rec, {"amount": 20})
    assert dr["record"]["id"] == rec["id"] and dr["record"]["forecast_amount"] == Decimal("2")
    assert db.get(rec["id"])["amount"] == Decimal("10")
    forecast_wf = db.workflows("Potentials")[0]["id"]
    trace = db.run_workflow(forecast_wf, rec["id"])
    assert trace["fired"] is True and trace["workflow"] == forecast_wf


def test_outbox_delivery_with_a_python_mailer(db: crm.Crm, org: dict[str, Any]) -> None:
    db.add_user("sam", full_name="Sam", email="sam@example.com")
    deal(db, org, "one", "1", assigned_user_id="sam")
    deal(db, org, "two", "2", assigned_user_id="sam")
    mails = db.outbox()
    assert len(mails) == 2 and all(m["status"] == "queued" and m["to"] == ["sam@example.com"] for m in mails)
    seen: list[str] = []

    def mailer(mail: dict[str, Any]) -> None:
        if "two" in mail["body"]:
            raise ConnectionError("smtp down")
        seen.append(mail["subject"])

    assert db.deliver_outbox(mailer) == {"sent": 1, "failed": 1, "given_up": []}
    status = {m["id"]: m for m in db.outbox()}
    failed = [m for m in status.values() if m["status"] == "failed"]
    assert len(failed) == 1 and "smtp down" in failed[0]["error"]
    assert failed[0]["attempts"] == 1 and failed[0]["next_attempt"] is not None
    # The failed mail waits for its back-off (60 s): not tried again at once.
    assert db.deliver_outbox(lambda m: None) == {"sent": 0, "failed": 0, "given_up": []}
    db.mark_failed(failed[0]["id"], "bounced")
    assert {m["id"]: m for m in db.outbox()}[failed[0]["id"]]["error"] == "bounced"
    db.mark_sent(failed[0]["id"])
    with pytest.raises(crm.NotFoundError):
        db.mark_sent(999999)
    with pytest.raises(TypeError):
        db.deliver_outbox(3)  # type: ignore[arg-type]


def test_outbox_pages_by_status_and_purges_sent_mail(db: crm.Crm, org: dict[str, Any]) -> None:
    db.add_user("sam", email="sam@example.com")
    for n in range(3):
        deal(db, org, f"d{n}", "1", assigned_user_id="sam")
    ids = [m["id"] for m in db.outbox()]
    assert len(ids) == 3
    db.mark_sent(ids[0])
    first = db.outbox_page(limit=2)
    assert [m["id"] for m in first] == ids[:2]
    assert [m["id"] for m in db.outbox_page(after_id=first[-1]["id"], limit=2)] == ids[2:]
    assert [m["id"] for m in db.outbox_page("sent")] == ids[:1]
    assert [m["id"] for m in db.outbox_page("queued", limit=10)] == ids[1:]
    assert db.outbox_page("failed") == []
    with pytest.raises(ValueError):
        db.outbox_page("lost")
    with pytest.raises(OverflowError):
        db.outbox_page(limit=-1)
    assert db.purge_outbox(datetime(2000, 1, 1)) == 0
    assert db.purge_outbox(datetime.now() + timedelta(days=1)) == 1
    assert [m["id"] for m in db.outbox()] == ids[1:]
    with pytest.raises(TypeError):
        db.purge_outbox("yesterday")  # type: ignore[arg-type]


def test_mailer_calling_back_into_the_crm_fails_the_mail_instead_of_deadlocking(db: crm.Crm, org: dict[str, Any]) -> None:
    db.add_user("sam", email="sam@example.com")
    deal(db, org, "one", "1", assigned_user_id="sam")
    assert db.deliver_outbox(lambda m: db.count("Potentials")) == {"sent": 0, "failed": 1, "given_up": []}
    assert "reentrant" in db.outbox()[0]["error"] or "cannot be used" in db.outbox()[0]["error"]


FUNCTION_WF = {
    "module": "Potentials",
    "name": "Python scoring",
    "trigger": {"on": "every_save"},
    "tasks": [{"summary": "score", "action": {"type": "custom_function", "name": "score"}}],
}


def test_register_function_in_python(db: crm.Crm, org: dict[str, Any]) -> None:
    calls: list[dict[str, Any]] = []

    def score(rec: dict[str, Any]) -> dict[str, Any] | None:
        calls.append(rec)
        return {"nextstep": f"score {rec['amount'] * 2}"} if rec.get("amount") else None

    db.register_function("score", score)
    db.add_workflow(FUNCTION_WF)
    rec = deal(db, org, "scored", "21")
    assert rec["nextstep"] == "score 42.00"
    assert calls[-1]["potentialname"] == "scored" and calls[-1]["module"] == "Potentials"

    def boom(rec: dict[str, Any]) -> None:
        raise RuntimeError("no scoring today")

    db.register_function("score", boom)
    with pytest.raises(crm.InvalidArgumentError, match="no scoring today"):
        deal(db, org, "fails", "1")
    assert db.count("Potentials", {"potentialname": "fails"}) == 0


def test_function_calling_back_into_the_crm_raises_instead_of_deadlocking(db: crm.Crm, org: dict[str, Any]) -> None:
    errors: list[BaseException] = []

    def nosy(rec: dict[str, Any]) -> None:
        try:
            db.count("Potentials")
        except crm.CrmError as e:
            errors.append(e)
            raise

    db.register_function("score", nosy)
    db.add_workflow(FUNCTION_WF)
    with pytest.raises(crm.CrmError, match="reentrant|cannot be used"):
        deal(db, org, "x", "1")
    assert errors and errors[0].code == "reentrant"  # type: ignore[attr-defined]
    db.register_function("score", lambda r: None)
    assert deal(db, org, "y", "1")["potentialname"] == "y"  # the handle still works


def test_scheduled_workflow_and_delayed_tasks_run_with_run_due(db: crm.Crm, org: dict[str, Any]) -> None:
    db.add_workflow(
        {
            "module": "Potentials",
            "name": "Nightly",
            "trigger": {"on": "schedule", "every": "daily", "at": "02:00:00"},
            "tasks": [{"summary": "flag", "action": {"type": "update_fields", "updates": [{"fieldname": "nextstep", "value": "Reviewed"}]}}],
        }
    )
    db.add_workflow(
        {
            "module": "Potentials",
            "name": "Day after close",
            "trigger": {"on": "first_save"},
            "tasks": [
                {
                    "summary": "later",
                    "delay": {"days": 1, "field": "closingdate"},
                    "action": {"type": "update_fields", "updates": [{"fieldname": "description", "value": "followed up"}]},
                }
            ],
        }
    )
    rec = deal(db, org, "old", "1")
    assert rec["nextstep"] is None
    queued = db.queued_tasks()
    assert len(queued) == 1 and queued[0]["record"] == rec["id"]
    rep = db.run_due(datetime.utcnow() + timedelta(days=2))
    assert rep["workflows"] == 1 and rep["records"] == 1 and rep["delayed_tasks"] == 0
    assert db.get(rec["id"])["nextstep"] == "Reviewed"
    rep = db.run_due(datetime(2027, 4, 2, 12, 0))
    assert rep["delayed_tasks"] == 1
    assert db.get(rec["id"])["description"] == "followed up"
    assert db.queued_tasks() == []
    with pytest.raises(TypeError):
        db.run_due("tomorrow")  # type: ignore[arg-type]


def test_time_zone_and_site_url(db: crm.Crm) -> None:
    db.set_time_zone("Europe/Berlin")
    assert db.time_zone() == "Europe/Berlin"
    with pytest.raises(crm.InvalidArgumentError):
        db.set_time_zone("Mars/Olympus")
    db.set_site_url("https://crm.example.com")


def test_workflows_persist_in_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "wf.db")
    with crm.Crm(path) as db:
        wid = db.add_workflow(BIG_DEAL)
        db.set_workflow_active(wid, False)
    with crm.Crm(path) as db:
        assert db.get_workflow(wid)["active"] is False
        assert len(db.workflows()) == 3


def test_unregistered_functions_lists_what_active_workflows_miss(db: crm.Crm) -> None:
    wf_id = db.add_workflow(
        {
            "module": "Potentials",
            "name": "Hosted",
            "trigger": {"on": "every_save"},
            "tasks": [{"summary": "f", "action": {"type": "custom_function", "name": "scoreDeal"}}],
        }
    )
    assert db.unregistered_functions() == [(wf_id, "scoreDeal")]
    db.register_function("scoreDeal", lambda r: None)
    assert db.unregistered_functions() == []


def test_run_due_reports_failures_and_runs_the_rest(db: crm.Crm, org: dict[str, Any]) -> None:
    wf_id = db.add_workflow(
        {
            "module": "Potentials",
            "name": "Later",
            "trigger": {"on": "first_save"},
            "tasks": [
                {
                    "summary": "bad",
                    "delay": {"days": 1, "field": "closingdate"},
                    "action": {"type": "update_fields", "updates": [{"fieldname": "sales_stage", "value": "Nonsense"}]},
                },
                {
                    "summary": "good",
                    "delay": {"days": 1, "field": "closingdate"},
                    "action": {"type": "update_fields", "updates": [{"fieldname": "nextstep", "value": "ping"}]},
                },
            ],
        }
    )
    rec = deal(db, org, "Delayed", "1")
    rep = db.run_due(datetime(2027, 4, 2, 12, 0))
    assert rep["delayed_tasks"] == 1
    assert len(rep["failures"]) == 1, rep
    failure = rep["failures"][0]
    assert (failure["workflow"], failure["record"], failure["task"]) == (wf_id, rec["id"], 0)
    assert "sales_stage" in failure["error"]
    assert db.get(rec["id"])["nextstep"] == "ping"
    assert db.queued_tasks() == []
    assert db.run_due(datetime(2027, 4, 2, 12, 0))["failures"] == []

"""The example alert rules and dashboard in deploy/monitoring ask only for metrics Koppel exports, and the rules are
well formed: a misspelt metric would make an alert that can never fire."""
import json
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"


def exported_names() -> set[str]:
    """Every metric name Koppel writes: the literals of its measurements, and one gauge per backlog measure."""
    sources = [*(ROOT / "Sources/KoppelStore/Operations").glob("*.swift"), *(ROOT / "Sources/KoppelServer/Operations").glob("*.swift")]
    names = {name for path in sources for name in re.findall(r'"(koppel_[a-z_]+)"', path.read_text())}
    backlog = (ROOT / "schema/0021_operations_backlog.sql").read_text()
    names |= {f"koppel_{measure}" for measure in re.findall(r"SELECT '([a-z_]+)'", backlog)}
    return names


def asked_for(expression: str) -> set[str]:
    """The Koppel metrics an expression reads, without a histogram's _bucket, _count or _sum."""
    return {re.sub(r"_(bucket|count|sum)$", "", name) for name in re.findall(r"\bkoppel_[a-z_]+", expression)}


def rules():
    return [rule for group in yaml.safe_load((MONITORING / "alerts.yaml").read_text())["groups"] for rule in group["rules"]]


def test_the_exported_names_are_found():
    names = exported_names()
    assert {"koppel_http_requests_total", "koppel_reveals_total", "koppel_outbox_oldest_webhooks_seconds"} <= names


def test_every_alert_is_complete_and_reads_exported_metrics():
    names = exported_names()
    alerts = rules()
    assert len(alerts) >= 8
    for rule in alerts:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert re.fullmatch(r"[0-9]+[smh]", rule["for"]), rule["alert"]
        assert asked_for(rule["expr"]) <= names, f"{rule['alert']} reads {asked_for(rule['expr']) - names}, which Koppel does not export"


def test_a_misspelt_metric_is_caught():
    assert asked_for("max(koppel_outbox_oldest_webhook_seconds) > 300") - exported_names() == {"koppel_outbox_oldest_webhook_seconds"}


def test_every_dashboard_panel_reads_exported_metrics():
    names = exported_names()
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    panels = dashboard["panels"]
    assert len(panels) >= 8 and len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        for target in panel["targets"]:
            asked = asked_for(target["expr"])
            assert asked and asked <= names, f"{panel['title']} reads {asked - names}"

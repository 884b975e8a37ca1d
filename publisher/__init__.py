"""publisher: turn scraped news articles into clean feeds, an e-mail digest and an archive."""

"""repd_feed -- the modules of scripts/repd-feed (feedback ingestion into repd)."""

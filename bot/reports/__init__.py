"""Reports and exports as files and text: the report in text, JSON and CSV, its chart (PNG),
and the streamed CSV / JSONL writer of exports. What is computed is `bot/domain/reports.py`'s
and `bot/services/reports.py`'s; this package only renders it."""

"""Incident broadcasts: paced, recorded per channel, resumable after a crash."""

"""Request triage: tells a customer's request from chatter and names its category.

Pure CPU, no Slack, no database: trained from the labelled file in `data/` plus the team's own
labelled examples, and kept once per process (and on disk) so starting the app stays cheap.
"""

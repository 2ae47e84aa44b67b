"""Request triage: tells a customer's request from chatter and names its category.

Pure CPU, no Slack, no database: trained from the labelled file in `data/` plus the team's own
labelled examples, and kept in the app's model cache (memory and disk) so starting stays cheap.
"""

"""Request templates per category, for the train split only (bench/triage_corpus/build.py)."""

from __future__ import annotations

import random

SURFACES = [
    "the dashboard",
    "the API",
    "the web app",
    "login",
    "search",
    "the inbox",
    "webhooks",
    "the mobile app",
    "reports",
    "file uploads",
    "the admin console",
    "sync",
    "the widget",
]
SCOPES = [
    "all our users",
    "everyone at Initech",
    "our whole EU team",
    "every agent",
    "all regions",
    "the entire org",
    "all 300 seats",
    "every customer of ours",
    "everybody in the office",
]
ERRORS = [
    "500s",
    "502 errors",
    "503 Service Unavailable",
    "timeouts",
    "gateway errors",
    "blank pages",
]
SINCE = ["since 9am", "for the last hour", "since 14:20 UTC", "since the deploy", "all morning", ""]
FEATURES = [
    "CSV export",
    "date filter",
    "bulk edit",
    "report builder",
    "Salesforce sync",
    "calendar view",
    "search box",
    "PDF preview",
    "tag picker",
    "comment editor",
    "Jira integration",
    "chart widget",
    "notification settings",
    "import wizard",
    "kanban board",
    "audit log page",
]
SYMPTOMS = [
    "shows duplicate rows",
    "drops the last column",
    "freezes after a few seconds",
    "returns the wrong totals",
    "ignores the time zone",
    "throws an error",
    "saves nothing",
    "shows yesterday's data",
    "crashes the tab",
    "loses my changes",
    "displays garbled characters",
    "sorts in the wrong order",
]
WHEN = [
    "when I click apply",
    "after the last update",
    "in Chrome only",
    "for records with accents",
    "on the second page",
    "since Tuesday's release",
    "if the name is long",
    "",
]
PEOPLE = ["Ana", "our new hire Dev", "j.smith@globex.io", "<@U0NEWBIE1>", "the contractor", "Mo"]
ROLES = ["admin", "editor", "viewer", "owner", "billing", "read-only", "guest"]
IDPS = ["Okta", "Azure AD", "Google", "OneLogin", "SAML", "our SSO", "Microsoft"]
MONTHS = ["January", "Feb", "march", "April", "Q2", "last quarter", "September", "November"]
PLANS = ["Enterprise", "the Business plan", "Pro", "the annual plan", "the analytics add-on"]
CAPABILITIES = [
    "a Gantt view",
    "custom fonts in reports",
    "webhooks for comments",
    "a Teams integration",
    "saved filters shared across the team",
    "export to Google Sheets",
    "SSO with Ping Identity",
    "an undo button for bulk edits",
    "a public status API",
    "multi-language surveys",
    "a CLI for admins",
    "per-project notification rules",
    "recurring exports to S3",
]
TASKS = [
    "change the default currency",
    "add a second admin",
    "export last year's reports",
    "set up a webhook",
    "rename a workspace",
    "connect BigQuery",
    "change the reporting week start",
    "limit who can see a dashboard",
    "restore a deleted project",
    "set working hours",
]
MEETINGS = ["a call next week", "a QBR", "an onboarding session", "a roadmap review", "a workshop"]
DOCUMENTS = [
    "your SOC 2 Type II report",
    "the signed MSA",
    "a W-8BEN",
    "your subprocessor list",
    "the pen test letter",
    "the DPA",
    "your business continuity plan",
    "the meeting notes",
]
RECORDS = ["main contact", "company name", "legal address", "escalation contact", "renewal owner"]

TEMPLATES: dict[str, list[str]] = {
    "outage": [
        "{surface} is down for {scope} {since}",
        "{scope} getting {error} on {surface} {since}",
        "is there an incident? {surface} not loading for {scope}",
        "any ETA on {surface} coming back? {scope} blocked",
        "{surface} unreachable for {scope}, please confirm status",
        "Seeing {error} across the board {since}, is something down?",
        "Outage on your side? {surface} dead for {scope}",
        "still down: {surface}, {scope} affected, need an update",
    ],
    "bug": [
        "the {feature} {symptom} {when}",
        "Bug report: {feature} {symptom}",
        "Found an issue, the {feature} {symptom} {when}",
        "{feature} {symptom}, can you look?",
        "Not sure if known but the {feature} {symptom} {when}",
        "our {feature} {symptom} {when}, screenshot attached",
    ],
    "access": [
        "please give {person} {role} access",
        "can't log in with {idp}, it says access denied",
        "{person} needs the {role} role on our workspace",
        "please deactivate {person}, they left",
        "locked out after {idp} login, can you unlock me",
        "reset 2FA for {person} please",
        "{idp} sign-in broken for new users, says not provisioned",
        "can you invite {person} as {role}",
        "{person} lost permission to {task}",
    ],
    "billing": [
        "need the invoice for {month}",
        "please send a receipt for {month}",
        "we were overcharged in {month}, please check",
        "quote for {plan} please",
        "how much is {plan} for 40 seats",
        "please refund the {month} charge",
        "invoice for {month} has the wrong PO",
        "update the card on file before the {month} charge",
        "can we move to {plan} and get a prorated invoice",
    ],
    "feature_request": [
        "would be great to have {capability}",
        "any plans to support {capability}?",
        "please add {capability}",
        "feature request: {capability}",
        "we'd love {capability}, is it on the roadmap",
        "could you build {capability}",
        "+1 for {capability}, our team asks weekly",
    ],
    "question": [
        "how do I {task}",
        "is it possible to {task}?",
        "what's the best way to {task}",
        "quick q: can we {task} ourselves",
        "where in the settings do I {task}",
        "does the {feature} support time zones",
        "any docs on how to {task}?",
        "how does the {feature} work with filters",
    ],
    "other": [
        "can we schedule {meeting}",
        "please send {document}",
        "please update our {record} in your records",
        "could you share {document} for our audit",
        "can we book {meeting} with your team",
        "who is our contact for {meeting}",
        "any update on ticket #{number}?",
        "following up on {document}, still waiting",
    ],
}


def generate(category: str, rng: random.Random, count: int) -> list[str]:
    """`count` distinct messages of `category` from its templates."""
    made: set[str] = set()
    while len(made) < count:
        text = rng.choice(TEMPLATES[category]).format(
            surface=rng.choice(SURFACES),
            scope=rng.choice(SCOPES),
            error=rng.choice(ERRORS),
            since=rng.choice(SINCE),
            feature=rng.choice(FEATURES),
            symptom=rng.choice(SYMPTOMS),
            when=rng.choice(WHEN),
            person=rng.choice(PEOPLE),
            role=rng.choice(ROLES),
            idp=rng.choice(IDPS),
            month=rng.choice(MONTHS),
            plan=rng.choice(PLANS),
            capability=rng.choice(CAPABILITIES),
            task=rng.choice(TASKS),
            meeting=rng.choice(MEETINGS),
            document=rng.choice(DOCUMENTS),
            record=rng.choice(RECORDS),
            number=rng.randint(1000, 9999),
        )
        text = " ".join(text.split())
        made.add(text[0].upper() + text[1:] if rng.random() < 0.5 else text)
    return sorted(made)


# Chatter that names the product: praise, good news, updates that need nothing from anyone.
CHATTER_TEMPLATES = [
    "{surface} works again for us {emoji}",
    "the {feature} is great, {thanks}",
    "{feature} fix confirmed on our side {emoji}",
    "Just a note: we switched on the {feature} for {scope} today",
    "Love the new {feature} {emoji}",
    "{surface} is back to normal here, {thanks}",
    "our team started using the {feature} this week, going well",
    "FYI we'll demo the {feature} to {scope} next week",
    "Nice, the {feature} looks much better now",
    "All good with {surface} since yesterday {emoji}",
    "{thanks}, {surface} is stable now",
    "how was the {event}?",
    "who's going to the {event}?",
    "hope the {event} went well {emoji}",
]
EMOJI = ["🎉", "🙌", "👍", ":tada:", ":raised_hands:", "😄", "", "✅"]
THANKS = ["thanks", "thank you", "cheers", "much appreciated", "thx team"]
EVENTS = ["offsite", "conference", "team dinner", "hackathon", "holiday party", "summit", "trip"]


def generate_chatter(rng: random.Random, count: int) -> list[str]:
    """`count` distinct chatter messages that mention the product but ask for nothing."""
    made: set[str] = set()
    while len(made) < count:
        text = rng.choice(CHATTER_TEMPLATES).format(
            surface=rng.choice(SURFACES),
            feature=rng.choice(FEATURES),
            scope=rng.choice(SCOPES),
            emoji=rng.choice(EMOJI),
            thanks=rng.choice(THANKS),
            event=rng.choice(EVENTS),
        )
        text = " ".join(text.split())
        made.add(text[0].upper() + text[1:] if rng.random() < 0.5 else text)
    return sorted(made)

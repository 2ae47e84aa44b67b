"""The `desk.yml` file: schema, cross-checks and line-precise errors.

One representation: the validated pydantic models (frozen) are what the services read for the
team, the accounts and the incident cadence. What the pure domain computes with (calendars,
SLA targets, ladder steps, triage rules) stays free of pydantic and is derived from the models
in exactly one place, `_resolve`, which `DeskConfig` then holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from bot.config.llm import LlmSettings
from bot.config.pacing import EDITS_BUDGET, POSTS_BUDGET
from bot.config.yaml_lines import line_of, load_with_lines
from bot.domain.calendar import Calendar
from bot.domain.csat import DEFAULT_LOW_SCORE, MAX_DELAY, CsatPolicy
from bot.domain.digests import DigestSchedule, parse_weekly
from bot.domain.durations import parse_duration
from bot.domain.health import HealthRules
from bot.domain.incidents import DEFAULT_UPDATE_EVERY, Severity
from bot.domain.knowledge import DEFAULT_THRESHOLD
from bot.domain.ladder import EscalationStep, StepTime
from bot.domain.policy import SlaPolicy, SlaTargets
from bot.domain.tickets import Priority
from bot.domain.triage import FrustrationRule, TriageRule

ALWAYS_OPEN = "24/7"
NOTIFY_BUILTINS = ("owner", "managers", "escalation_channel")
DEFAULT_KB = "kb"


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"'{value}' has no unit (use forms like 90s, 15m, 4h, 2d)")
    return parse_duration(str(value))


def _step_time(value: Any) -> StepTime:
    return value if isinstance(value, StepTime) else StepTime.parse(str(value))


def _str_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
At = Annotated[StepTime, BeforeValidator(_step_time)]
StrList = Annotated[tuple[str, ...], BeforeValidator(_str_list)]
StrSet = Annotated[frozenset[str], BeforeValidator(_str_list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def _weekly(value: Any) -> tuple[int, time] | None:
    if value is False or value is None or str(value).casefold() == "off":
        return None
    if isinstance(value, tuple):
        return value
    return parse_weekly(str(value))


def _zone_name(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not a time zone (use a name like Europe/Berlin)") from None
    return str(value)


Weekly = Annotated[tuple[int, time] | None, BeforeValidator(_weekly)]
ZoneName = Annotated[str, BeforeValidator(_zone_name)]


class DigestModel(_Strict):
    """`team.digest`: when managers get the weekly digest and the monthly report."""

    weekly: Weekly = (0, time(9, 0))  # "Mon 09:00"; off to send none
    monthly: bool = True  # on the 1st, at the weekly digest's time of day


class TeamConfig(_Strict):
    """Who counts as internal, who manages, where escalations go, the team's own clock."""

    internal_team_ids: StrSet = frozenset()
    managers: StrList = Field(min_length=1)
    escalation_channel: str
    groups: dict[str, StrList] = Field(default_factory=dict)
    timezone: ZoneName = "UTC"  # for digests and report periods
    digest: DigestModel = DigestModel()

    def digest_schedule(self) -> DigestSchedule:
        """The team's digest times as the domain computes with them."""
        weekly = self.digest.weekly
        return DigestSchedule(
            timezone=self.timezone,
            weekday=weekly[0] if weekly else 0,
            at=weekly[1] if weekly else time(9, 0),
            weekly=weekly is not None,
            monthly=self.digest.monthly,
        )


class WorkspaceTeamModel(_Strict):
    """`team` for one workspace installed by OAuth; what it leaves out comes from `team`."""

    internal_team_ids: StrSet | None = None
    managers: StrList | None = Field(default=None, min_length=1)
    escalation_channel: str | None = None
    groups: dict[str, StrList] | None = None
    timezone: ZoneName | None = None
    digest: DigestModel | None = None

    def over(self, team: TeamConfig) -> TeamConfig:
        """`team` with what this workspace sets instead."""
        changes = self.model_dump(exclude_none=True)
        if not self.escalation_channel:
            changes.pop("escalation_channel", None)
        return team.model_copy(update=changes)


class CalendarModel(_Strict):
    timezone: str = "UTC"
    hours: str | dict[str, str | list[str]] = ALWAYS_OPEN
    holidays: str | None = None
    subdivision: str | None = None
    extra_dates: list[date] = Field(default_factory=list)


class TargetsModel(_Strict):
    first_response: Duration
    next_response: Duration
    resolution: Duration


class StepModel(_Strict):
    at: At
    notify: StrList = Field(min_length=1)
    repeat: Duration | None = None


def _default_ladder() -> list[StepModel]:
    return [
        StepModel.model_validate({"at": "75%", "notify": ["owner"]}),
        StepModel.model_validate({"at": "100%", "notify": ["managers", "escalation_channel"]}),
    ]


class TierModel(_Strict):
    calendar: str = ALWAYS_OPEN
    renewal_watch: bool = False
    priorities: dict[Priority, TargetsModel]
    ladder: list[StepModel] = Field(default_factory=_default_ladder)
    # The satisfaction survey asked in the thread of a resolved ticket (`on` / `off`).
    csat: bool = True
    csat_delay: Duration | None = None
    csat_low_score: int = DEFAULT_LOW_SCORE
    # The bot answers new requests from the knowledge base when an article covers enough of
    # the question (`on` / `off`, off by default); a person is one press away.
    auto_answer: bool = False
    auto_answer_threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0, le=1)

    @field_validator("csat", "auto_answer", mode="before")
    @classmethod
    def _on_or_off(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        words = {"on": True, "off": False, "true": True, "false": False}
        if isinstance(value, str) and value.strip().lower() in words:
            return words[value.strip().lower()]
        raise ValueError(f"'{value}' is not on or off")

    @field_validator("csat_delay")
    @classmethod
    def _sane_delay(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value > MAX_DELAY:
            raise ValueError("the survey delay can be at most 7d (it asks about a fresh answer)")
        return value

    @field_validator("csat_low_score", mode="before")
    @classmethod
    def _a_score(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValueError(f"'{value}' is not a score from 1 to 5 (answers at or below it alert)")
        return value


class AccountSpec(_Strict):
    """A customer account as configured in `desk.yml`."""

    name: str = Field(min_length=1, max_length=80)
    tier: str
    shared_channels: StrList = ()
    internal_channel: str
    owners: StrList = ()
    renewal_date: date | None = None
    arr: float | None = Field(default=None, ge=0)
    receipts: bool = True
    calendar: str | None = None
    # The workspace (team id, or org id for an org-wide install) the account is served from;
    # needed only when several workspaces install the app by OAuth.
    workspace: str | None = None


class TriageRuleModel(_Strict):
    priority: Priority
    keywords: StrList = Field(min_length=1)


class FrustrationModel(_Strict):
    # A VADER compound score (-1 .. 1): a customer message below it is frustrated.
    below: float = Field(default=-0.5, ge=-1.0, le=1.0)
    tiers: StrList = Field(min_length=1)
    raise_to: Priority = Priority.P1


class TriageModel(_Strict):
    default_priority: Priority = Priority.P3
    rules: list[TriageRuleModel] = Field(default_factory=list)
    # Off unless configured: a frustrated message on these tiers raises the priority.
    frustration: FrustrationModel | None = None


class BudgetModel(_Strict):
    calls: int = Field(ge=1, le=10_000)
    per: Duration

    @classmethod
    def of(cls, budget: tuple[int, float]) -> BudgetModel:
        """A (calls, seconds) default as a model."""
        calls, seconds = budget
        return cls(calls=calls, per=timedelta(seconds=seconds))


class PacingModel(_Strict):
    # The defaults are bot/config/pacing.py's.
    posts: BudgetModel = Field(default_factory=lambda: BudgetModel.of(POSTS_BUDGET))
    edits: BudgetModel = Field(default_factory=lambda: BudgetModel.of(EDITS_BUDGET))


class IncidentSettings(_Strict):
    """When customers are told to expect the next update, per severity."""

    update_every: dict[Severity, Duration] = Field(
        default_factory=lambda: dict(DEFAULT_UPDATE_EVERY)
    )

    @field_validator("update_every")
    @classmethod
    def _defaults_for_the_rest(cls, value: dict[Severity, timedelta]) -> dict[Severity, timedelta]:
        return {**DEFAULT_UPDATE_EVERY, **value}


class DeskFile(_Strict):
    team: TeamConfig
    # Per-workspace overrides of `team`, keyed by team id (or org id), for OAuth installs.
    workspaces: dict[str, WorkspaceTeamModel] = Field(default_factory=dict)
    incidents: IncidentSettings = Field(default_factory=IncidentSettings)
    pacing: PacingModel = Field(default_factory=PacingModel)
    grouping_window: Duration = timedelta(minutes=5)
    calendars: dict[str, CalendarModel] = Field(default_factory=dict)
    tiers: dict[str, TierModel] = Field(min_length=1)
    accounts: list[AccountSpec] = Field(default_factory=list)
    triage: TriageModel = Field(default_factory=TriageModel)
    # A folder of Markdown articles (relative to the config file); default `kb/` beside it.
    knowledge_base: str | None = None
    # Reply drafts from an OpenAI-compatible endpoint (bot/config/llm.py); absent: off.
    llm: LlmSettings | None = None
    # Account health's weights and thresholds, by HealthRules' names (bot/domain/health.py).
    health: dict[str, float] = Field(default_factory=dict)


@dataclass(frozen=True)
class Budget:
    """At most `calls` calls in any window of `per`."""

    calls: int
    per: timedelta


@dataclass(frozen=True)
class Pacing:
    """Workspace-wide budgets for every chat.postMessage and every chat.update."""

    posts: Budget = Budget(POSTS_BUDGET[0], timedelta(seconds=POSTS_BUDGET[1]))
    edits: Budget = Budget(EDITS_BUDGET[0], timedelta(seconds=EDITS_BUDGET[1]))


@dataclass(frozen=True)
class Tier:
    """A service tier as the domain computes with it: per-priority targets, its calendar and
    escalation ladder (derived from the tier's model by `_resolve`)."""

    name: str
    calendar: str
    targets: dict[Priority, SlaTargets]
    ladder: tuple[EscalationStep, ...]
    renewal_watch: bool = False
    csat: CsatPolicy = CsatPolicy()
    # The least share of a question's words the best article must cover to answer it; None:
    # the tier never answers from the knowledge base.
    auto_answer: float | None = None


@dataclass(frozen=True)
class DeskConfig:
    """The whole validated desk configuration: the file's models and the domain values."""

    team: TeamConfig
    calendars: dict[str, Calendar]
    tiers: dict[str, Tier]
    accounts: tuple[AccountSpec, ...]
    triage_rules: tuple[TriageRule, ...]
    default_priority: Priority
    grouping_window: timedelta
    incidents: IncidentSettings = field(default_factory=IncidentSettings)
    pacing: Pacing = field(default_factory=Pacing)
    source: str = field(default="desk.yml", compare=False)
    frustration: FrustrationRule | None = None
    # `team` as each OAuth-installed workspace overrides it (keyed by its install key).
    workspaces: dict[str, TeamConfig] = field(default_factory=dict)
    # The knowledge base's folder; None: no knowledge base (none set, no `kb/` beside the file).
    knowledge_base: Path | None = None
    # Where reply drafts are asked for; None (the default): nothing is ever sent to a model.
    llm: LlmSettings | None = None
    health: HealthRules = field(default_factory=HealthRules)

    def team_for(self, workspace: str) -> TeamConfig:
        """Who is internal, the managers and the escalation channel of one install."""
        return self.workspaces.get(workspace, self.team)

    def accounts_for(self, workspace: str, *, one_workspace: bool) -> tuple[AccountSpec, ...]:
        """The configured accounts served from an install: those naming it, and, when the app
        serves one workspace by token, those naming none."""
        return tuple(
            a
            for a in self.accounts
            if a.workspace == workspace or (a.workspace is None and one_workspace)
        )

    def policy(self, tier: str, priority: Priority, calendar: str | None = None) -> SlaPolicy:
        """The SLA policy for a tier and priority, with an optional account calendar override."""
        spec = self.tiers[tier]
        return SlaPolicy(
            tier=tier,
            priority=priority,
            targets=spec.targets[priority],
            calendar=calendar or spec.calendar,
            ladder=spec.ladder,
        )

    def csat(self, tier: str) -> CsatPolicy:
        """The survey settings of a tier (a tier no longer configured: the defaults)."""
        known = self.tiers.get(tier)
        return known.csat if known is not None else CsatPolicy()

    @property
    def default_tier(self) -> str:
        """The tier given to accounts linked without one: the last (least demanding) listed."""
        return list(self.tiers)[-1]


class ConfigError(Exception):
    """`desk.yml` is wrong; `problems` are `file:line: where: what` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_desk_config(path: str | Path) -> DeskConfig:
    """Read and validate a desk config file; ConfigError lists every problem with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the config file ({exc.strerror})"]) from None
    return parse_desk_config(text, source=str(path), base=path.parent)


def parse_desk_config(text: str, source: str = "desk.yml", base: Path | None = None) -> DeskConfig:
    """Validate desk config YAML text; ConfigError lists every problem with its line.

    `base`: the config file's folder, where `knowledge_base` is found (default `kb/` there);
    without one only a `knowledge_base` given in the text counts (relative to the cwd).
    """
    import yaml

    try:
        data, lines = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{source}:1: the file must be a mapping with team, tiers, ..."])

    def at(loc: tuple[str | int, ...], message: str) -> str:
        line = line_of(loc, lines)
        where = ".".join(str(p) for p in loc) or "(top)"
        return f"{source}:{line or 1}: {where}: {message}"

    try:
        model = DeskFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown setting (check the spelling; see desk.example.yml)"
            problems.append(at(loc, message))
        raise ConfigError(problems) from None
    return _resolve(model, at, source, base)


def _knowledge_base(
    model: DeskFile, at: Any, base: Path | None, problems: list[str]
) -> Path | None:
    """The knowledge base's folder: as set (it must exist), else `kb/` beside the file if any."""
    if model.knowledge_base is None:
        folder = base / DEFAULT_KB if base is not None else None
        return folder if folder is not None and folder.is_dir() else None
    folder = Path(model.knowledge_base).expanduser()
    if not folder.is_absolute() and base is not None:
        folder = base / folder
    if not folder.is_dir():
        problems.append(at(("knowledge_base",), f"no folder {folder} (Markdown articles go there)"))
        return None
    return folder


def _ladder_groups(model: DeskFile) -> set[str]:
    return {target for tier in model.tiers.values() for s in tier.ladder for target in s.notify}


def _health_rules(values: dict[str, float], at: Any, problems: list[str]) -> HealthRules:
    """desk.yml's `health:` over the defaults; what is wrong goes to `problems`."""
    defaults = HealthRules()
    known = [f.name for f in fields(HealthRules)]
    given: dict[str, float] = {}
    for name, value in values.items():
        if name not in known:
            problems.append(at(("health", name), f"unknown setting (one of {', '.join(known)})"))
        elif isinstance(getattr(defaults, name), int) and value != int(value):
            problems.append(at(("health", name), "must be a whole number"))
        else:
            given[name] = type(getattr(defaults, name))(value)
    rules = HealthRules(**given)  # type: ignore[arg-type]  # each converted to its type
    problems.extend(at(("health",), problem) for problem in rules.problems())
    return rules


def _resolve(model: DeskFile, at: Any, source: str, base: Path | None = None) -> DeskConfig:
    problems: list[str] = []
    knowledge_base = _knowledge_base(model, at, base, problems)
    health = _health_rules(model.health, at, problems)
    calendars: dict[str, Calendar] = {ALWAYS_OPEN: Calendar.always(ALWAYS_OPEN)}
    for name, cal in model.calendars.items():
        try:
            if cal.hours == ALWAYS_OPEN:
                calendars[name] = Calendar.build(name, cal.timezone, ALWAYS_OPEN)
            else:
                calendars[name] = Calendar.build(
                    name,
                    cal.timezone,
                    cal.hours,
                    holiday_country=cal.holidays,
                    holiday_subdivision=cal.subdivision,
                    extra_dates=cal.extra_dates,
                )
        except (ValueError, KeyError, NotImplementedError) as exc:
            problems.append(at(("calendars", name), str(exc)))

    notify_ok = set(NOTIFY_BUILTINS) | set(model.team.groups)
    tiers: dict[str, Tier] = {}
    for name, tier in model.tiers.items():
        if tier.calendar not in calendars and tier.calendar not in model.calendars:
            problems.append(at(("tiers", name, "calendar"), f"no calendar named '{tier.calendar}'"))
        missing = [p.value for p in Priority if p not in tier.priorities]
        if missing:
            problems.append(
                at(("tiers", name, "priorities"), f"targets missing for {', '.join(missing)}")
            )
        for index, step in enumerate(tier.ladder):
            for target in step.notify:
                if target not in notify_ok:
                    problems.append(
                        at(
                            ("tiers", name, "ladder", index, "notify"),
                            f"unknown target '{target}' (use {', '.join(sorted(notify_ok))})",
                        )
                    )
        tiers[name] = Tier(
            name=name,
            calendar=tier.calendar,
            targets={
                p: SlaTargets(t.first_response, t.next_response, t.resolution)
                for p, t in tier.priorities.items()
            },
            ladder=tuple(
                EscalationStep(at=s.at, notify=tuple(s.notify), repeat=s.repeat)
                for s in tier.ladder
            ),
            renewal_watch=tier.renewal_watch,
            csat=CsatPolicy(
                enabled=tier.csat,
                delay=tier.csat_delay or timedelta(0),
                low_score=tier.csat_low_score,
            ),
            auto_answer=tier.auto_answer_threshold if tier.auto_answer else None,
        )

    seen_names: set[str] = set()
    seen_channels: dict[str, str] = {}
    for index, acct in enumerate(model.accounts):
        key = acct.name.casefold()
        if key in seen_names:
            problems.append(at(("accounts", index, "name"), f"duplicate account '{acct.name}'"))
        seen_names.add(key)
        if acct.tier not in model.tiers:
            problems.append(
                at(
                    ("accounts", index, "tier"),
                    f"no tier named '{acct.tier}' (tiers: {', '.join(model.tiers)})",
                )
            )
        if acct.calendar and acct.calendar not in calendars:
            problems.append(
                at(("accounts", index, "calendar"), f"no calendar named '{acct.calendar}'")
            )
        for ch_index, channel in enumerate(acct.shared_channels):
            if channel in seen_channels:
                problems.append(
                    at(
                        ("accounts", index, "shared_channels", ch_index),
                        f"channel {channel} is already linked to '{seen_channels[channel]}'",
                    )
                )
            seen_channels[channel] = acct.name
            if channel == acct.internal_channel:
                problems.append(
                    at(
                        ("accounts", index, "internal_channel"),
                        "the internal channel cannot also be a shared channel",
                    )
                )
    frustration = model.triage.frustration
    if frustration is not None:
        for index, tier_name in enumerate(frustration.tiers):
            if tier_name not in model.tiers:
                problems.append(
                    at(
                        ("triage", "frustration", "tiers", index),
                        f"no tier named '{tier_name}' (tiers: {', '.join(model.tiers)})",
                    )
                )
    workspaces = {key: ws.over(model.team) for key, ws in model.workspaces.items()}
    for key, ws in model.workspaces.items():
        if ws.groups is None:
            continue
        # A ladder names groups; a workspace that defines its own groups must have them all.
        missing = sorted(_ladder_groups(model) - set(NOTIFY_BUILTINS) - set(ws.groups))
        if missing:
            problems.append(
                at(
                    ("workspaces", key, "groups"),
                    f"the ladders notify {', '.join(missing)}, which this workspace lacks",
                )
            )
    if problems:
        raise ConfigError(problems)
    return DeskConfig(
        team=model.team,
        workspaces=workspaces,
        calendars=calendars,
        tiers=tiers,
        accounts=tuple(model.accounts),
        triage_rules=tuple(
            TriageRule(priority=r.priority, keywords=tuple(r.keywords)) for r in model.triage.rules
        ),
        default_priority=model.triage.default_priority,
        frustration=(
            FrustrationRule(frustration.below, tuple(frustration.tiers), frustration.raise_to)
            if frustration is not None
            else None
        ),
        grouping_window=model.grouping_window,
        incidents=model.incidents,
        pacing=Pacing(
            posts=Budget(model.pacing.posts.calls, model.pacing.posts.per),
            edits=Budget(model.pacing.edits.calls, model.pacing.edits.per),
        ),
        source=source,
        knowledge_base=knowledge_base,
        llm=model.llm,
        health=health,
    )

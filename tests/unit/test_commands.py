"""The /desk parser: every subcommand, and every malformed form answered with usage."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import commands as c
from bot.domain.tickets import Priority, ResolutionKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", c.Help()),
        ("help", c.Help()),
        ("HELP", c.Help()),
        ("claim 42", c.Claim(42)),
        ("claim #42", c.Claim(42)),
        ("assign 7 <@U0BOB|bob>", c.Assign(7, "U0BOB")),
        ("assign #7 <@W0BOB>", c.Assign(7, "W0BOB")),
        ("resolve 3", c.Resolve(3, "")),
        (
            "resolve 3 fixed the config, customer confirmed",
            c.Resolve(3, "fixed the config, customer confirmed"),
        ),
        ("reopen #3", c.Reopen(3)),
        ("close 3 duplicate", c.Close(3, ResolutionKind.DUPLICATE)),
        ("close #3 DUP of #2", c.Close(3, ResolutionKind.DUPLICATE, "of #2")),
        ("close 3 noise bot test", c.Close(3, ResolutionKind.NOISE, "bot test")),
        ("noise 3", c.Close(3, ResolutionKind.NOISE)),
        ("noise #3 not a request", c.Close(3, ResolutionKind.NOISE, "not a request")),
        ("wait 3", c.Wait(3)),
        ("priority 3 p1", c.SetPriority(3, Priority.P1)),
        ("priority 3 2", c.SetPriority(3, Priority.P2)),
        ("escalate 9 customer furious", c.Escalate(9, "customer furious")),
        ("mine", c.Mine()),
        ("queue", c.Queue(None)),
        ("queue Globex Corp", c.Queue("Globex Corp")),
        ("account Globex", c.AccountInfo(name="Globex")),
        ("account <#C0SHARED1|acme>", c.AccountInfo(channel_id="C0SHARED1")),
        ("link <#C0NEW1234|new> Umbrella", c.Link("C0NEW1234", "Umbrella", None)),
        (
            "link <#C0NEW1234> Umbrella Corp strategic",
            c.Link("C0NEW1234", "Umbrella Corp", "strategic"),
        ),
        ("link C0NEW1234 Strategic", c.Link("C0NEW1234", "Strategic", None)),
    ],
)
def test_parses(text: str, expected: c.DeskCommand) -> None:
    assert c.parse_command(text, tiers=["strategic", "standard"]) == expected


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        ("claim", "needs a ticket number", "/desk claim <ticket>"),
        ("claim abc", "'abc' is not a ticket number", "/desk claim <ticket>"),
        ("claim 0", "is not a ticket number", "/desk claim <ticket>"),
        ("claim 4 5", "takes no more words", "/desk claim <ticket>"),
        ("assign 4", "needs a ticket and one @user", "/desk assign <ticket> @user"),
        ("assign 4 bob", "'bob' is not a user mention", "/desk assign <ticket> @user"),
        ("priority 4 urgent", "'urgent' is not a priority", "/desk priority <ticket> P1|P2|P3|P4"),
        ("priority 4", "needs a ticket and a priority", "/desk priority <ticket> P1|P2|P3|P4"),
        ("link", "needs a #channel and an account", "/desk link #channel <account> [tier]"),
        ("link general Acme", "'general' is not a channel", "/desk link #channel <account> [tier]"),
        ("account", "needs an account name", "/desk account <name|#channel>"),
        ("close 3", "needs how it ends", "/desk close <ticket> duplicate|noise [note]"),
        ("close 3 fixed", "'fixed' is not a way", "/desk close <ticket> duplicate|noise [note]"),
        ("close", "needs a ticket number", "/desk close <ticket> duplicate|noise [note]"),
        ("noise x", "'x' is not a ticket number", "/desk noise <ticket> [note]"),
        ("mine please", "takes no more words", "/desk mine"),
        ("frobnicate 3", "don't know the command 'frobnicate'", "/desk help"),
        ("claim " + "9" * 20, "is not a ticket number", "/desk claim <ticket>"),
        ("resolve 1 " + "x" * 5000, "too long", "/desk help"),
    ],
)
def test_errors_say_what_and_how(text: str, problem: str, usage: str) -> None:
    with pytest.raises(c.CommandError) as err:
        c.parse_command(text)
    assert problem in err.value.problem
    assert err.value.usage == usage


@given(st.text(max_size=300))
def test_any_text_parses_or_explains(text: str) -> None:
    try:
        result = c.parse_command(text)
    except c.CommandError as exc:
        assert exc.problem and exc.usage
    else:
        assert isinstance(result, c.DeskCommand.__args__)  # type: ignore[attr-defined]


SUBCOMMANDS = st.sampled_from(
    "help claim assign resolve reopen wait priority escalate mine queue account link"
    " incident".split()
)
ARGS = st.lists(
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            [
                "#1",
                "42",
                "-3",
                "0x10",
                "<@U0BOB|bob>",
                "<#C0X|x>",
                "P1",
                "sev1",
                "declare",
                "update",
                "resolve",
                "status",
                "accounts:",
                "all",
                "tier:gold",
                "'; DROP TABLE tickets;--",
                "💥" * 50,
                "9" * 40,
            ]
        ),
    ),
    max_size=8,
)


@given(SUBCOMMANDS, ARGS)
def test_every_subcommand_with_any_arguments_parses_or_explains(name: str, args: list[str]):
    try:
        result = c.parse_command(" ".join([name, *args]), tiers=["gold"])
    except c.CommandError as exc:
        # A clear message: what was wrong, and the usage to follow (never a Python error).
        assert exc.problem and exc.usage and "Traceback" not in exc.problem
    else:
        assert isinstance(result, c.DeskCommand.__args__)  # type: ignore[attr-defined]

"""Argument types for the benchmarks' command lines: a bad size is refused with a clear message
before anything starts (argparse prints it with the usage and exits 2)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """A whole number above 0."""
    return _at_least(int, text, 1)


def count(text: str) -> int:
    """A whole number, 0 or more."""
    return _at_least(int, text, 0)


def seconds(text: str) -> float:
    """A number of seconds above 0."""
    value = _number(float, text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not above 0")
    return value


def rates(text: str) -> list[int]:
    """Comma-separated events per second, each above 0; empty for none."""
    return [positive_int(part.strip()) for part in text.split(",") if part.strip()]


def fraction(text: str) -> float:
    """A number from 0 to 1."""
    value = _number(float, text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not between 0 and 1")
    return value


def _at_least(kind: type[int], text: str, low: int) -> int:
    value = _number(kind, text)
    if value < low:
        raise argparse.ArgumentTypeError(f"{text!r} is below {low}")
    return value


def _number(kind: type[int] | type[float], text: str) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value

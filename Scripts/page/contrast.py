#!/usr/bin/env python3
"""WCAG 2.1 AA contrast of every text/background and outline/background colour pair the person's page uses.

    python3 Scripts/page/contrast.py

Reads the colours from Sources/NCCServer/Page/Site/page.css (the `--name: #rrggbb` variables and the colour
literals), computes the contrast ratio of each pair listed below (where it is used in page.css), and checks
it against AA: 4.5:1 for normal text, 3:1 for large text (24 px, or 18.66 px bold) and for the outlines of
controls and the focus indicator (WCAG 1.4.11). Every colour in page.css must be in a pair or be named as
decoration (dividers, a thumbnail's placeholder), so a new colour cannot slip in unchecked.
Prints one line per pair; exit status 1 when any pair fails or a colour is unaccounted for.
`Scripts/page/page_flow.py` (the browser test) runs the same check.
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CSS = os.path.join(ROOT, "Sources/NCCServer/Page/Site/page.css")

TEXT, LARGE, UI = 4.5, 3.0, 3.0

# (foreground, background, minimum, where in page.css)
PAIRS = [
    ("--text", "--background", TEXT, "body text"),
    ("--text", "--panel", TEXT, "advice, picture and status cards, the top bar, the secret's code box"),
    ("--text", "--warning-bg", TEXT, "notices and the exact-only warning"),
    ("--muted", "--background", TEXT, ".quiet and the footer"),
    ("--muted", "--panel", TEXT, ".quiet inside a card"),
    ("--primary-text", "--primary", TEXT, ".primary buttons"),
    ("--primary", "--background", TEXT, ".secondary buttons, help links"),
    ("--primary", "--panel", TEXT, ".secondary small buttons inside a card"),
    ("#ffffff", "--danger", TEXT, ".danger buttons (withdraw)"),
    ("#44464f", "#e3e4e8", TEXT, "disabled buttons (exempt under WCAG, kept readable anyway)"),
    ("--primary", "--background", UI, "the outline of .secondary buttons"),
    ("--primary", "--panel", UI, "the outline of .secondary buttons inside a card"),
    ("#6b6e78", "--background", UI, "the border of text fields and the language menu"),
    ("#6b6e78", "--panel", UI, "the language menu in the top bar"),
    ("--warning-border", "--warning-bg", UI, "the bar beside a notice"),
    ("--warning-border", "--panel", UI, "the bar beside a picture's problem (.picture-state.problem) in its card"),
    ("--text", "--background", UI, "the focus indicator's dark ring (box-shadow) on the page"),
    ("--text", "--panel", UI, "the focus indicator's dark ring on a card"),
    ("--focus", "--text", UI, "the focus indicator's yellow outline against its dark ring"),
]

# Colours with no information of their own: borders between regions, a thumbnail's placeholder, a disabled
# control's border (WCAG exempts disabled controls).
DECORATIVE = {"#d5d7de", "#c9ccd4", "#9a9ca6"}


def luminance(colour):
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def expand(colour):
    colour = colour.lower()
    return "#" + "".join(c * 2 for c in colour[1:]) if len(colour) == 4 else colour


def check(css_path=CSS, out=print):
    """Checks every pair; returns the list of failures (empty when all pass)."""
    css = open(css_path, encoding="utf-8").read()
    variables = {name: expand(value) for name, value in re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", css)}
    literals = {expand(c) for c in re.findall(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", css)}
    resolve = lambda name: variables[name] if name.startswith("--") else expand(name)
    failures, used = [], set()
    for foreground, background, minimum, where in PAIRS:
        try:
            fg, bg = resolve(foreground), resolve(background)
        except KeyError as missing:
            failures.append(f"{missing} is not defined in page.css")
            continue
        used |= {fg, bg}
        value = ratio(fg, bg)
        kind = "text" if minimum == TEXT else "outline"
        verdict = "ok  " if value >= minimum else "FAIL"
        out(f"{verdict} {value:5.2f}:1 (needs {minimum}:1 {kind}) {foreground} {fg} on {background} {bg}: {where}")
        if value < minimum:
            failures.append(f"{foreground} on {background} is {value:.2f}:1, under {minimum}:1 ({where})")
    for colour in sorted(literals - used - DECORATIVE):
        failures.append(f"{colour} in page.css is in no checked pair (add its pair to Scripts/page/contrast.py, or list it as decoration)")
        out(f"FAIL {colour} is in no checked pair")
    return failures


def main():
    failures = check()
    print(f"{len(PAIRS)} pairs, {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

"""Accessibility statement, after the GOV.UK model statement (Public Sector Bodies Accessibility
Regulations 2018). Open to everyone, signed in or not: it must not call common.actor().

Every claim here is one the tests check: tests/browser/test_every_page.py (axe-core on every page for
every role) and tests/browser/test_keyboard.py (the main journeys by keyboard alone).
"""

import streamlit as st

from panel.ui.a11y import AXE_CORE_VERSION, AXE_TAGS, LAST_TESTED

st.title("Accessibility statement for Panel", anchor=False)

st.markdown(f"""
This statement applies to Panel, the case review dashboard used by safeguarding children
partnerships. We want as many people as possible to be able to use it. For example, you should
be able to:

- sign in, make a referral, and screen and decide a referral using just a keyboard
- see which control has the keyboard focus
- read every chart's figures as text: each chart has a caption and a table of the same figures

## How accessible Panel is

We know some parts are not fully accessible:

- the parts of a date box (day, month, year) are small targets for a mouse or finger
- the charts on the learning explorer can be clicked to choose a theme; with a keyboard, choose
  the theme from the theme list instead
- in tables you can choose a row by mouse; with a keyboard, use the picker beneath each table
- some pages go from the page heading (level 1) straight to level 3 headings

## Feedback and contact information

If you need information from Panel in a different format, or find a problem not listed on this
page, tell your partnership's business manager or Panel administrator. Say which page, what you
were trying to do, and what happened. We will consider your request and get back to you.

## Enforcement procedure

The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector
Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the
'accessibility regulations'). If you are not happy with how we respond to your complaint,
[contact the Equality Advisory and Support Service (EASS)](https://www.equalityadvisoryservice.com/).
In Northern Ireland, contact the Equality Commission for Northern Ireland (ECNI).

## Technical information about Panel's accessibility

We are committed to making Panel accessible, in accordance with the Public Sector Bodies
(Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018.

### Compliance status

Panel is partially compliant with the
[Web Content Accessibility Guidelines version 2.2](https://www.w3.org/TR/WCAG22/) AA standard,
due to the non-compliances listed below.

### Non-accessible content

The content listed below is non-accessible for the following reasons.

#### Non-compliance with the accessibility regulations

- **Target size (WCAG 2.5.8).** Date boxes are drawn by Panel's web framework (Streamlit) as three
  small parts, day, month and year; when a part holds two digits it is narrower than 24 pixels.
  Click anywhere in the box and type the date instead.
- **Info and relationships (WCAG 1.3.1).** Some pages skip from the level 1 page heading to level 3
  headings, so the outline a screen reader lists has a gap.
- **Keyboard (WCAG 2.1.1).** Choosing a theme by clicking a chart on the learning explorer needs a
  mouse, and choosing a row by clicking a table may. Every such choice can also be made with a
  keyboard in a list box beside or beneath the chart or table.
- **Non-text content (WCAG 1.1.1).** Charts are pictures a screen reader cannot read. Each chart
  has a caption that says what it shows and, beside or beneath it, a table of the same figures.

We plan to fix what is Panel's own by the next release, and to follow Streamlit's releases for
what is the framework's.

## What we're doing to improve accessibility

Every change to Panel is checked automatically before it is accepted: `make test` fails if any
page has a new serious or critical accessibility problem that axe-core finds, or if a main
journey can no longer be done by keyboard alone.

## Preparation of this accessibility statement

This statement was prepared on {LAST_TESTED}. It was last reviewed on {LAST_TESTED}.

Panel was last tested on {LAST_TESTED}, by the team that builds it, in two ways:

- **axe-core {AXE_CORE_VERSION}** (rules tagged {', '.join(AXE_TAGS)}) run on every page, for
  every kind of user (administrator, chair, member, business manager, referrer and regional
  manager), and on the sign-in page and this statement before signing in. Any serious or critical
  problem fails the checks, except the date box parts named above and the faded labels of
  controls that cannot be used at that moment (WCAG exempts inactive controls from contrast).
  Each page also has its own title.
- **Keyboard only**: signing in, making a referral, and screening a referral and recording and
  signing the decision, using only the keyboard (Tab, Shift+Tab, Enter, Space, arrow keys and
  typing), checking that the control with focus is visibly marked.

axe-core finds about half of accessibility problems; Panel has not yet been tested by disabled
users or audited by a specialist.
""")

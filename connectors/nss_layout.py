"""The Staff Survey detailed spreadsheet's layout as NHS England published it, per survey year.

``connectors.nss_xlsx`` refuses a file whose sheets, question headings (row 1) or response
labels (row 5) differ from the layout recorded here for the file's survey year, cell by cell,
so a deleted or renamed sheet, a relabelled response or a shifted column is named instead of
being read as something else. The layout is data taken from the published file, not from
code: to support a new survey year, add its entry with :func:`record_layout` on the file
as published (``python -m connectors.nss_layout FILE.xlsx``) and check the diff.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

NOTES = "Notes"
QUESTION = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_ ]*?)\s+-\s+(.+)$", re.S)

#: A question block: the code at the start of its row-1 heading (``Q14a``), and the row-5
#: labels of its columns in order (``% Never`` … ``Base (number of responses)``).
Block = tuple[str, tuple[str, ...]]
#: A question sheet: its name and blocks, from column G onwards.
Sheet = tuple[str, tuple[Block, ...]]


def record_layout(path: Path) -> tuple[Sheet, ...]:
    """The layout of a published file, to record here for its survey year."""
    from openpyxl import load_workbook  # a maintainer's script: imported when run

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets: list[Sheet] = []
        for ws in wb.worksheets:
            if ws.title == NOTES:
                continue
            rows = ws.iter_rows(min_row=1, max_row=5, values_only=True)
            heads, _, _, _, labels = (next(rows, ()) for _ in range(5))
            blocks: list[tuple[str, list[str]]] = []
            for i in range(6, len(labels)):
                heading = heads[i] if i < len(heads) else None
                if heading and (m := QUESTION.match(str(heading))):
                    blocks.append((m.group(1), []))
                if labels[i] and blocks:
                    blocks[-1][1].append(str(labels[i]).strip())
            sheets.append((ws.title, tuple((c, tuple(ls)) for c, ls in blocks)))
        return tuple(sheets)
    finally:
        wb.close()


#: Every block ends with the base column, ``BASE``; score blocks hold ``<code> - score``.
BASE = 'Base (number of responses)'

#: The response scales many questions share, named as :func:`layout_source` writes them.
AGREE = ('% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
         '% Strongly agree', BASE)
AGREE_OR_DONT_KNOW = (*AGREE[:-1], "% Don't know", BASE)
SATISFIED = ('% Very dissatisfied', '% Dissatisfied', '% Neither satisfied nor dissatisfied',
             '% Satisfied', '% Very satisfied', BASE)
HOW_OFTEN = ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)
HOW_MANY_TIMES = ('% Never', '% 1 to 2', '% 3 to 5', '% 6 to 10', '% More than 10', BASE)
YES_NO = ('% Yes', '% No', BASE)
YES_DEFINITELY = ('% Yes, definitely', '% Yes, to some extent', '% No', BASE)
SCALES: dict[str, tuple[str, ...]] = {
    "AGREE": AGREE, "AGREE_OR_DONT_KNOW": AGREE_OR_DONT_KNOW, "SATISFIED": SATISFIED,
    "HOW_OFTEN": HOW_OFTEN, "HOW_MANY_TIMES": HOW_MANY_TIMES, "YES_NO": YES_NO,
    "YES_DEFINITELY": YES_DEFINITELY,
}


def on_scale(labels: tuple[str, ...], *codes: str) -> tuple[Block, ...]:
    """One block per question code, all with the same response ``labels``."""
    return tuple((code, labels) for code in codes)


def scores(*codes: str) -> tuple[Block, ...]:
    """One score block per code: ``<code> - score``, then the base."""
    return tuple((code, (f"{code} - score", BASE)) for code in codes)


def _wrapped(head: str, items: list[str], tail: str, indent: int, width: int = 109) -> list[str]:
    """``head`` + the items + ``tail`` on one line, or the items wrapped below ``head``."""
    one = f"{' ' * indent}{head}{', '.join(items)}{tail}"
    if len(one) <= width:
        return [one]
    lines, line = [], " " * (indent + 4)
    for item in items:
        if line.strip() and len(line) + len(item) + 2 > width:
            lines.append(line)
            line = " " * (indent + 4)
        line += ("" if not line.strip() else " ") + item + ","
    return [f"{' ' * indent}{head.rstrip()}", *lines, line, f"{' ' * indent}{tail}"]


def layout_source(sheets: tuple[Sheet, ...], indent: int = 8) -> str:
    """``sheets`` as the source of a :data:`LAYOUTS` entry: runs of questions on a named scale
    as :func:`on_scale`, runs of score blocks as :func:`scores`."""
    names = {labels: name for name, labels in SCALES.items()}
    pad = " " * (indent + 4)

    def kind(block: Block) -> str | None:
        code, labels = block
        return "scores" if labels == (f"{code} - score", BASE) else names.get(labels)

    out: list[str] = []
    for title, blocks in sheets:
        out.append(f"{' ' * indent}({title!r}, (")
        i = 0
        while i < len(blocks):
            k, j = kind(blocks[i]), i + 1
            while k is not None and j < len(blocks) and kind(blocks[j]) == k:
                j += 1
            codes = [repr(code) for code, _ in blocks[i:j]]
            if k == "scores":
                out += _wrapped("*scores(", codes, "),", indent + 4)
            elif k is not None and j - i > 1:
                out += _wrapped(f"*on_scale({k}, ", codes, "),", indent + 4)
            elif k is not None:
                out.append(f"{pad}({codes[0]}, {k}),")
            else:
                code, labels = blocks[i]
                items = ["BASE" if label == BASE else repr(label) for label in labels]
                out += _wrapped(f"({code!r}, (", items, ")),", indent + 4)
            i = j
        out.append(f"{' ' * indent})),")
    return "\n".join(out)


LAYOUTS: dict[int, tuple[Sheet, ...]] = {
    2024: (
        ('YOUR JOB Q1-3', (
            ('Q1', ('% Yes, frequently', '% Yes, occasionally', '% No', BASE)),
            *on_scale(HOW_OFTEN, 'Q2a', 'Q2b', 'Q2c'),
            *on_scale(AGREE, 'Q3a', 'Q3b', 'Q3c', 'Q3d', 'Q3e', 'Q3f', 'Q3g', 'Q3h', 'Q3i'),
        )),
        ('YOUR JOB Q4-6', (
            *on_scale(SATISFIED, 'Q4a', 'Q4b', 'Q4c', 'Q4d'),
            *on_scale(HOW_OFTEN, 'Q5a', 'Q5b', 'Q5c'),
            ('Q6a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', '% Not applicable to me', BASE,
            )),
            *on_scale(AGREE, 'Q6b', 'Q6c', 'Q6d'),
        )),
        ('YOUR TEAM Q7', (
            *on_scale(AGREE, 'Q7a', 'Q7b', 'Q7c', 'Q7d', 'Q7e', 'Q7f', 'Q7g', 'Q7h', 'Q7i'),
        )),
        ('PEOPLE IN YOUR ORGANISATION Q8', (
            *on_scale(AGREE, 'Q8a', 'Q8b', 'Q8c', 'Q8d'),
        )),
        ('YOUR MANAGERS Q9', (
            *on_scale(AGREE, 'Q9a', 'Q9b', 'Q9c', 'Q9d', 'Q9e', 'Q9f', 'Q9g', 'Q9h', 'Q9i'),
        )),
        ('HEALTH WELLBEING SAFETY Q10-11', (
            ('Q10a', ('% Up to 29 hours', '% 30 or more hours', BASE)),
            ('Q10b', ('% 0 hours', '% Up to 5 hours', '% 6-10 hours', '% 11 or more hours', BASE)),
            ('Q10c', ('% 0 hours', '% Up to 5 hours', '% 6-10 hours', '% 11 or more hours', BASE)),
            ('Q11a', AGREE),
            *on_scale(YES_NO, 'Q11b', 'Q11c', 'Q11d', 'Q11e'),
        )),
        ('HEALTH WELLBEING SAFETY Q12', (
            *on_scale(HOW_OFTEN, 'Q12a', 'Q12b', 'Q12c', 'Q12d', 'Q12e', 'Q12f', 'Q12g'),
        )),
        ('HEALTH WELLBEING SAFETY Q13-14', (
            *on_scale(HOW_MANY_TIMES, 'Q13a', 'Q13b', 'Q13c'),
            ('Q13d', (
                '% Yes, I reported it', '% Yes, a colleague reported it', '% No', "% Don't know",
                '% Both a colleague and I reported it', '% Not applicable', BASE,
            )),
            *on_scale(HOW_MANY_TIMES, 'Q14a', 'Q14b', 'Q14c'),
            ('Q14d', (
                '% Yes, I reported it', '% Yes, a colleague reported it', '% No', "% Don't know",
                '% Both a colleague and I reported it', '% Not applicable', BASE,
            )),
        )),
        ('HEALTH WELLBEING SAFETY Q15-17', (
            ('Q15', ('% Yes', '% No', "% Don't know", BASE)),
            *on_scale(YES_NO, 'Q16a', 'Q16b'),
            ('Q16c_1', ('% Ethnic background', BASE)),
            ('Q16c_2', ('% Gender', BASE)),
            ('Q16c_3', ('% Religion', BASE)),
            ('Q16c_4', ('% Sexual orientation', BASE)),
            ('Q16c_5', ('% Disability', BASE)),
            ('Q16c_6', ('% Age', BASE)),
            ('Q16c_7', ('% Other', BASE)),
            *on_scale(HOW_MANY_TIMES, 'Q17a', 'Q17b'),
        )),
        ('HEALTH WELLBEING SAFETY Q18-22', (
            ('Q18', YES_NO),
            *on_scale(AGREE_OR_DONT_KNOW, 'Q19a', 'Q19b', 'Q19c', 'Q19d'),
            *on_scale(AGREE, 'Q20a', 'Q20b', 'Q21'),
            ('Q22', HOW_OFTEN),
        )),
        ('PERSONAL DEVELOPMENT Q23-24', (
            ('Q23a', ('% Yes', '% No', "% Can't remember", BASE)),
            *on_scale(YES_DEFINITELY, 'Q23b', 'Q23c', 'Q23d'),
            *on_scale(AGREE, 'Q24a', 'Q24b', 'Q24c', 'Q24d', 'Q24e'),
            ('Q24f', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', '% Not applicable', BASE,
            )),
        )),
        ('YOUR ORGANISATION Q25-26', (
            *on_scale(AGREE, 'Q25a', 'Q25b', 'Q25c', 'Q25d', 'Q25e', 'Q25f', 'Q26a', 'Q26b', 'Q26c'),
            ('Q26d', (
                '% I would want to move to another job within this organisation',
                '% I would want to move to a job in a different NHS Trust/organisation',
                '% I would want to move to a job in healthcare, but outside the NHS',
                '% I would want to move to a job outside healthcare',
                '% I would retire or take a career break', '% I am not considering leaving my current job',
                BASE,
            )),
        )),
        ('BACKGROUND INFORMATION Q27-30', (
            ('Q27a', (
                '% Female', '% Male', '% Non-binary', '% Prefer to self-describe', '% Prefer not to say',
                BASE,
            )),
            ('Q27b', ('% Yes', '% No', '% Prefer not to say', BASE)),
            ('Q27c', ('% 16-20', '% 21-30', '% 31-40', '% 41-50', '% 51-65', '% 66+', BASE)),
            ('Q28', (
                '% White - English / Welsh / Scottish / Northern Irish / British', '% White - Irish',
                '% White - Gypsy or Irish Traveller', '% White - Any other White background',
                '% Mixed/Multiple ethnic background - White and Black Caribbean',
                '% Mixed/Multiple ethnic background - White and Black African',
                '% Mixed/Multiple ethnic background - White and Asian',
                '% Mixed/Multiple ethnic background - Any other Mixed / Multiple ethnic background',
                '% Asian/Asian British - Indian', '% Asian/Asian British - Pakistani',
                '% Asian/Asian British - Bangladeshi', '% Asian/Asian British - Chinese',
                '% Asian/Asian British - Any other Asian background',
                '% Black/African/Caribbean/Black British - African',
                '% Black/African/Caribbean/Black British - Caribbean',
                '% Black/African/Caribbean/Black British - Any other Black / African / Caribbean background',
                '% Other ethnic group - Arab', '% Other ethnic group - Any other ethnic background', BASE,
            )),
            ('Q29', (
                '% Heterosexual or Straight', '% Gay or Lesbian', '% Bisexual', '% Other',
                '% I would prefer not to say', BASE,
            )),
            ('Q30', (
                '% No religion', '% Christian', '% Buddhist', '% Hindu', '% Jewish', '% Muslim', '% Sikh',
                '% Any other religion', '% I would prefer not to say', BASE,
            )),
        )),
        ('BACKGROUND INFORMATION Q31-35', (
            ('Q31a', YES_NO),
            ('Q31b', ('% Yes', '% No', '% No adjustment required', BASE)),
            *on_scale(YES_NO, 'Q32a', 'Q32b'),
            ('Q33', HOW_OFTEN),
            ('Q34a', (
                '% Less than 1 year', '% 1-2 years', '% 3-5 years', '% 6-10 years', '% 11-15 years',
                '% More than 15 years', BASE,
            )),
            ('Q34b', ('% Yes', '% No', '% Prefer not to say', BASE)),
            ('Q35', (
                '% Occupational Therapy', '% Physiotherapy', '% Radiography', '% Pharmacy',
                '% Clinical Psychology', '% Psychotherapy', '% Operating Department Practitioner',
                '% Speech and Language Therapy', '% Other qualified Allied Health Professionals',
                '% Support to Allied Health Professionals',
                '% Other qualified Scientific and Technical or Healthcare Scientists',
                '% Support to healthcare scientists', '% Medical / Dental - Consultant',
                '% Medical / Dental - In Training', '% Medical / Dental - SAS doctor',
                '% Medical / Dental - Other', '% Salaried Primary Care Dentists',
                '% Emergency Care Practitioner', '% Paramedic', '% Emergency Care Assistant',
                '% Ambulance Technician', '% Ambulance Control Staff', '% Patient Transport Service',
                '% Public Health / Health Improvement', '% Commissioning managers / support staff',
                '% Registered Nurses & Midwives: Adult / General',
                '% Registered Nurses & Midwives: Mental health',
                '% Registered Nurses & Midwives: Learning disabilities',
                '% Registered Nurses & Midwives: Children', '% Registered Nurses & Midwives: Midwives',
                '% Registered Nurses & Midwives: Health Visitors',
                '% Registered Nurses & Midwives: District / Community',
                '% Registered Nurses & Midwives: Other Registered Nurses',
                '% Nursing auxiliary / Nursing assistant / Healthcare assistant', '% Social workers',
                '% Social care managers', '% Social care support staff', '% Admin & Clerical',
                '% Central Functions / Corporate Services', '% Maintenance / Ancillary',
                '% General management', '% Other occupational group', BASE,
            )),
        )),
        ('PEOPLE PROMISE ELEMENTS', (
            *scores(
                'PP1', 'PP1_1', 'PP1_2', 'PP1_3', 'PP1_4', 'PP2', 'PP3', 'PP3_1', 'PP3_2', 'PP4', 'PP4_1',
                'PP4_2', 'PP4_3', 'PP5', 'PP5_1', 'PP5_2', 'PP6', 'PP6_1', 'PP6_2', 'PP7', 'PP7_1', 'PP7_2',
            ),
        )),
        ('THEMES', (
            *scores('Staff Engagement', 'E_1', 'E_2', 'E_3', 'Morale', 'M_1', 'M_2', 'M_3'),
        )),
    ),
}


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    print(layout_source(record_layout(Path(sys.argv[1]))))

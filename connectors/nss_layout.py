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

from openpyxl import load_workbook

NOTES = "Notes"
QUESTION = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_ ]*?)\s+-\s+(.+)$", re.S)

#: A question block: the code at the start of its row-1 heading (``Q14a``), and the row-5
#: labels of its columns in order (``% Never`` … ``Base (number of responses)``).
Block = tuple[str, tuple[str, ...]]
#: A question sheet: its name and blocks, from column G onwards.
Sheet = tuple[str, tuple[Block, ...]]


def record_layout(path: Path) -> tuple[Sheet, ...]:
    """The layout of a published file, to record here for its survey year."""
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

LAYOUTS: dict[int, tuple[Sheet, ...]] = {
    2024: (
        ('YOUR JOB Q1-3', (
            ('Q1', ('% Yes, frequently', '% Yes, occasionally', '% No', BASE)),
            ('Q2a', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q2b', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q2c', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q3a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q3b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q3c', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q3d', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q3e', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q3f', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q3g', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q3h', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q3i', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
        )),
        ('YOUR JOB Q4-6', (
            ('Q4a', (
                '% Very dissatisfied', '% Dissatisfied', '% Neither satisfied nor dissatisfied',
                '% Satisfied', '% Very satisfied', BASE,
            )),
            ('Q4b', (
                '% Very dissatisfied', '% Dissatisfied', '% Neither satisfied nor dissatisfied',
                '% Satisfied', '% Very satisfied', BASE,
            )),
            ('Q4c', (
                '% Very dissatisfied', '% Dissatisfied', '% Neither satisfied nor dissatisfied',
                '% Satisfied', '% Very satisfied', BASE,
            )),
            ('Q4d', (
                '% Very dissatisfied', '% Dissatisfied', '% Neither satisfied nor dissatisfied',
                '% Satisfied', '% Very satisfied', BASE,
            )),
            ('Q5a', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q5b', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q5c', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q6a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', '% Not applicable to me', BASE,
            )),
            ('Q6b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q6c', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q6d', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
        )),
        ('YOUR TEAM Q7', (
            ('Q7a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q7b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q7c', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q7d', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q7e', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q7f', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q7g', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q7h', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q7i', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
        )),
        ('PEOPLE IN YOUR ORGANISATION Q8', (
            ('Q8a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q8b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q8c', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q8d', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
        )),
        ('YOUR MANAGERS Q9', (
            ('Q9a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q9b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q9c', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q9d', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q9e', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q9f', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q9g', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q9h', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q9i', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
        )),
        ('HEALTH WELLBEING SAFETY Q10-11', (
            ('Q10a', ('% Up to 29 hours', '% 30 or more hours', BASE)),
            ('Q10b', ('% 0 hours', '% Up to 5 hours', '% 6-10 hours', '% 11 or more hours', BASE)),
            ('Q10c', ('% 0 hours', '% Up to 5 hours', '% 6-10 hours', '% 11 or more hours', BASE)),
            ('Q11a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q11b', ('% Yes', '% No', BASE)),
            ('Q11c', ('% Yes', '% No', BASE)),
            ('Q11d', ('% Yes', '% No', BASE)),
            ('Q11e', ('% Yes', '% No', BASE)),
        )),
        ('HEALTH WELLBEING SAFETY Q12', (
            ('Q12a', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q12b', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q12c', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q12d', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q12e', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q12f', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
            ('Q12g', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
        )),
        ('HEALTH WELLBEING SAFETY Q13-14', (
            ('Q13a', ('% Never', '% 1 to 2', '% 3 to 5', '% 6 to 10', '% More than 10', BASE)),
            ('Q13b', ('% Never', '% 1 to 2', '% 3 to 5', '% 6 to 10', '% More than 10', BASE)),
            ('Q13c', ('% Never', '% 1 to 2', '% 3 to 5', '% 6 to 10', '% More than 10', BASE)),
            ('Q13d', (
                '% Yes, I reported it', '% Yes, a colleague reported it', '% No', "% Don't know",
                '% Both a colleague and I reported it', '% Not applicable', BASE,
            )),
            ('Q14a', ('% Never', '% 1 to 2', '% 3 to 5', '% 6 to 10', '% More than 10', BASE)),
            ('Q14b', ('% Never', '% 1 to 2', '% 3 to 5', '% 6 to 10', '% More than 10', BASE)),
            ('Q14c', ('% Never', '% 1 to 2', '% 3 to 5', '% 6 to 10', '% More than 10', BASE)),
            ('Q14d', (
                '% Yes, I reported it', '% Yes, a colleague reported it', '% No', "% Don't know",
                '% Both a colleague and I reported it', '% Not applicable', BASE,
            )),
        )),
        ('HEALTH WELLBEING SAFETY Q15-17', (
            ('Q15', ('% Yes', '% No', "% Don't know", BASE)),
            ('Q16a', ('% Yes', '% No', BASE)),
            ('Q16b', ('% Yes', '% No', BASE)),
            ('Q16c_1', ('% Ethnic background', BASE)),
            ('Q16c_2', ('% Gender', BASE)),
            ('Q16c_3', ('% Religion', BASE)),
            ('Q16c_4', ('% Sexual orientation', BASE)),
            ('Q16c_5', ('% Disability', BASE)),
            ('Q16c_6', ('% Age', BASE)),
            ('Q16c_7', ('% Other', BASE)),
            ('Q17a', ('% Never', '% 1 to 2', '% 3 to 5', '% 6 to 10', '% More than 10', BASE)),
            ('Q17b', ('% Never', '% 1 to 2', '% 3 to 5', '% 6 to 10', '% More than 10', BASE)),
        )),
        ('HEALTH WELLBEING SAFETY Q18-22', (
            ('Q18', ('% Yes', '% No', BASE)),
            ('Q19a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', "% Don't know", BASE,
            )),
            ('Q19b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', "% Don't know", BASE,
            )),
            ('Q19c', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', "% Don't know", BASE,
            )),
            ('Q19d', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', "% Don't know", BASE,
            )),
            ('Q20a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q20b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q21', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q22', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
        )),
        ('PERSONAL DEVELOPMENT Q23-24', (
            ('Q23a', ('% Yes', '% No', "% Can't remember", BASE)),
            ('Q23b', ('% Yes, definitely', '% Yes, to some extent', '% No', BASE)),
            ('Q23c', ('% Yes, definitely', '% Yes, to some extent', '% No', BASE)),
            ('Q23d', ('% Yes, definitely', '% Yes, to some extent', '% No', BASE)),
            ('Q24a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q24b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q24c', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q24d', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q24e', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q24f', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', '% Not applicable', BASE,
            )),
        )),
        ('YOUR ORGANISATION Q25-26', (
            ('Q25a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q25b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q25c', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q25d', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q25e', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q25f', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q26a', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q26b', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
            ('Q26c', (
                '% Strongly disagree', '% Disagree', '% Neither agree nor disagree', '% Agree',
                '% Strongly agree', BASE,
            )),
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
            ('Q31a', ('% Yes', '% No', BASE)),
            ('Q31b', ('% Yes', '% No', '% No adjustment required', BASE)),
            ('Q32a', ('% Yes', '% No', BASE)),
            ('Q32b', ('% Yes', '% No', BASE)),
            ('Q33', ('% Never', '% Rarely', '% Sometimes', '% Often', '% Always', BASE)),
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
            ('PP1', ('PP1 - score', BASE)),
            ('PP1_1', ('PP1_1 - score', BASE)),
            ('PP1_2', ('PP1_2 - score', BASE)),
            ('PP1_3', ('PP1_3 - score', BASE)),
            ('PP1_4', ('PP1_4 - score', BASE)),
            ('PP2', ('PP2 - score', BASE)),
            ('PP3', ('PP3 - score', BASE)),
            ('PP3_1', ('PP3_1 - score', BASE)),
            ('PP3_2', ('PP3_2 - score', BASE)),
            ('PP4', ('PP4 - score', BASE)),
            ('PP4_1', ('PP4_1 - score', BASE)),
            ('PP4_2', ('PP4_2 - score', BASE)),
            ('PP4_3', ('PP4_3 - score', BASE)),
            ('PP5', ('PP5 - score', BASE)),
            ('PP5_1', ('PP5_1 - score', BASE)),
            ('PP5_2', ('PP5_2 - score', BASE)),
            ('PP6', ('PP6 - score', BASE)),
            ('PP6_1', ('PP6_1 - score', BASE)),
            ('PP6_2', ('PP6_2 - score', BASE)),
            ('PP7', ('PP7 - score', BASE)),
            ('PP7_1', ('PP7_1 - score', BASE)),
            ('PP7_2', ('PP7_2 - score', BASE)),
        )),
        ('THEMES', (
            ('Staff Engagement', ('Staff Engagement - score', BASE)),
            ('E_1', ('E_1 - score', BASE)),
            ('E_2', ('E_2 - score', BASE)),
            ('E_3', ('E_3 - score', BASE)),
            ('Morale', ('Morale - score', BASE)),
            ('M_1', ('M_1 - score', BASE)),
            ('M_2', ('M_2 - score', BASE)),
            ('M_3', ('M_3 - score', BASE)),
        )),
    ),
}


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    for sheet in record_layout(Path(sys.argv[1])):
        print(repr(sheet) + ",")

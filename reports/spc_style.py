"""Making Data Count's point colours, shapes and words (domain.md §7), shared by the
document charts (:mod:`reports.charts`) and the standalone picture (:mod:`reports.spc_picture`).

Colour never carries the meaning alone: every type has its own marker shape too, and its
words in the legend and the alt text.
"""

from __future__ import annotations

MDC_COLOURS = {"common_cause": "A6A6A6", "special_cause_improvement": "00B0F0",
               "special_cause_concern": "E46C0A", "special_cause_neither": "490092"}
MDC_SHAPES = {"common_cause": "circle", "special_cause_improvement": "square",
              "special_cause_concern": "diamond", "special_cause_neither": "plus"}
MDC_WORDS = {"common_cause": "Common cause", "special_cause_improvement": "Special cause: "
             "improvement", "special_cause_concern": "Special cause: concern",
             "special_cause_neither": "Special cause: neither"}

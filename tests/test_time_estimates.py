"""The top of a notebook says how long a student works on it, section by section, and the parts
add up to the two to three hours each exercise is meant to take (optional parts not counted)."""
import json
import re

import pytest

from grader import course

ESTIMATED = ("ex1_softmax", "ex2_backprop", "ex3_mnist", "ex4_deep")
MINUTES = re.compile(r"(\d+) min\b")


def time_paragraph(assignment: str) -> str:
    nb = json.loads((course.SOURCE_DIR / assignment / f"{assignment}.ipynb").read_text())
    intro = "".join(nb["cells"][0]["source"])
    # the paragraph, and the table of sections that may follow it after one blank line
    found = re.search(r"\*\*Time\.\*\*(.*?(?:\n\n(?:\|[^\n]*(?:\n|$))+)?)(\n\n|$)", intro,
                      re.S)
    assert found, f"{assignment}: no **Time.** paragraph in the first cell"
    return found.group(1)


def counted_minutes(paragraph: str) -> list[int]:
    """The minutes of every sentence that does not speak of an optional part."""
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z])", " ".join(paragraph.split()))
    return [int(m) for s in sentences if "optional" not in s.lower() for m in MINUTES.findall(s)]


@pytest.mark.parametrize("assignment", ESTIMATED)
def test_the_time_estimate_adds_up_to_two_to_three_hours(assignment):
    paragraph = time_paragraph(assignment)
    minutes = counted_minutes(paragraph)
    assert len(minutes) >= 6, paragraph                 # section by section, not one number
    assert 120 <= sum(minutes) <= 180, (sum(minutes), paragraph)
    assert "three hours" in paragraph


def test_optional_parts_are_not_counted():
    text = ("About two hours: section 1 40 min; section 2 50 min. Section 3 is optional "
            "(about 20 min more). Then the last section, 30 min.")
    assert counted_minutes(text) == [40, 50, 30]
    assert sum(counted_minutes("Optional: 90 min.")) == 0

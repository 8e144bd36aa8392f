"""Everything a user reads speaks of the product: no words from the team's workshop. The README, every notebook (the
docs site), the shipped modules (docstrings, help and messages) and the shipped model cards are scanned for the
phrases that once leaked into them: numbered work stops, "this project's machine", "this shared CI machine". Variant
names of the generator (v1-v10) are allowed only in the generator's model card and its variants record, where a table
row defines each one.
"""
import re
from conftest import ROOT

WORKSHOP = re.compile(r"\bstops? \d+\b|\bthis project's\b|\bshared CI machine\b|\bthe last session\b", re.I)
VARIANT = re.compile(r"\bv(?:[1-9]|10)[a-d]?\b(?![-.]\w)")   # not a version: "v1-5", "v1.5"
VARIANT_HOMES = {"synthbridge/assets/mini-web/README.md", "synthbridge/assets/mini-web/variants.md"}

def user_facing() -> list:
    files = [ROOT/"README.md", ROOT/"nbs"/"results"/"README.md"]
    files += sorted((ROOT/"nbs").rglob("*.ipynb")) + sorted((ROOT/"synthbridge").rglob("*.py"))
    files += sorted((ROOT/"synthbridge"/"assets").rglob("*.md"))
    return [p for p in files if ".ipynb_checkpoints" not in p.parts and "_proc" not in p.parts]

def found(pattern, text: str) -> list: return sorted({m.group(0) for m in pattern.finditer(text)})

def test_scanner_on_made_up_text():
    assert found(WORKSHOP, "as measured at stop 22 on this project's machine, then Stop 24") == [
        "Stop 24", "stop 22", "this project's"]
    assert found(WORKSHOP, "stop the run; 24 stops of the bus; stopped 3 times") == []
    assert found(VARIANT, "v9a and v10d beat v4; uv 0.5, dev2, vanilla, stable-diffusion-v1-5, v1.5") == [
        "v10d", "v4", "v9a"]

def test_no_workshop_words_in_what_users_read():
    bad = {str(p.relative_to(ROOT)): f for p in user_facing() if (f := found(WORKSHOP, p.read_text(encoding="utf-8")))}
    assert not bad, f"workshop words in user-facing text (say what changed and why instead): {bad}"

def test_variant_names_only_where_they_are_defined():
    bad = {}
    for p in user_facing():
        rel = p.relative_to(ROOT).as_posix()
        if rel in VARIANT_HOMES: continue
        if f := found(VARIANT, p.read_text(encoding="utf-8")): bad[rel] = f
    assert not bad, f"generator variant names outside its model card and variants record: {bad}"

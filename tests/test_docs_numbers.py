"""Numbers in the docs come from committed result files through code, not typed by hand.

The README (rendered from nbs/index.ipynb by tools/nb2readme.py) and tutorial 1 quote `nbs/results/` (written by
`tools/measure_budgets.sh`: budgets.json, scoreboard.csv, summary.json) and the generator's `evaluation.json` through
the renderers of `synthbridge.miniature.study` and `synthbridge.miniature.demo`. These tests check that the README
shows exactly what the renderers make of the committed files, that a changed file changes the render, and that no
measured number is typed into the prose around them. They need the committed nbs/results files.
"""
import json, re, shutil, sys
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT/"tools"))
import nb2readme  # noqa: E402

NBS, RESULTS = ROOT/"nbs", ROOT/"nbs"/"results"
INDEX, TUTORIAL = NBS/"index.ipynb", NBS/"tutorials"/"01_paper_on_a_laptop.ipynb"

# Hand-typed measurements: a mean ± std, minutes, an interval, a percentage with decimals, a CAS-like "74.4 %".
MEASURED = [re.compile(p) for p in (r"\d+\.\d+ ± \d", r"\b\d+(\.\d+)? min(utes?)?\b", r"\[[−+-]?\d+\.\d+, [−+-]?\d+\.\d+\]",
                                    r"\b\d+\.\d+ ?%")]

def hand_typed(text: str) -> list:
    "The measurement-like strings in `text`."
    return [m.group(0) for p in MEASURED for m in p.finditer(text)]

def _markdown(nb) -> str:
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join(nb2readme._src(c) for c in cells if c["cell_type"] == "markdown")

@pytest.fixture(scope="session")   # once per worker: tests run longest first, not file by file
def readme() -> str: return (ROOT/"README.md").read_text(encoding="utf-8")

def test_scanner_finds_typed_numbers():
    found = hand_typed("vanilla 65.1 ± 0.8, took 13.5 min, +0.7 [−5.9, +7.3], CAS 74.4 % and 12 minutes")
    assert found == ["65.1 ± 0", "13.5 min", "12 minutes", "[−5.9, +7.3]", "74.4 %"], found
    assert hand_typed("10 real and 100 synthetic images, crops of at least 35 % of the image, 24 epochs, 3 seeds") == []

def test_readme_table_is_the_committed_scoreboard(readme):
    from synthbridge.miniature.study import scoreboard_table, scoreboard_verdicts
    assert scoreboard_table(RESULTS/"scoreboard.csv") in readme, "run `python tools/nb2readme.py`"
    assert scoreboard_verdicts(RESULTS/"scoreboard.csv") in readme

def test_readme_quotes_the_demo_and_the_budgets(readme):
    from synthbridge.miniature.demo import budgets_sentence, demo_sentence, generator_sentence
    from synthbridge.miniature.mini import mini_web_path
    assert demo_sentence(RESULTS/"summary.json") in readme
    assert budgets_sentence(RESULTS/"budgets.json") in readme
    assert generator_sentence(mini_web_path()/"evaluation.json") in readme

@pytest.mark.slow   # measured above 5 s on a 2-core CPU (the day-to-day tier leaves it out)
def test_render_follows_the_files(tmp_path):
    "Change a value in a copy of each committed file: the rendered README changes with it."
    nbs = tmp_path/"nbs"; nbs.mkdir()
    shutil.copy(INDEX, nbs/"index.ipynb"); shutil.copytree(RESULTS, nbs/"results")
    before = nb2readme.render(nbs/"index.ipynb")
    b = json.loads((nbs/"results"/"budgets.json").read_text())
    b["minutes"]["quick"] = 97.3; b["cpus"] = 96
    (nbs/"results"/"budgets.json").write_text(json.dumps(b))
    s = json.loads((nbs/"results"/"summary.json").read_text())
    s["table"][0]["mean"] = 12.34
    (nbs/"results"/"summary.json").write_text(json.dumps(s))
    csv = (nbs/"results"/"scoreboard.csv").read_text().splitlines()
    import csv as csvlib, io
    rows = list(csvlib.DictReader(io.StringIO("\n".join(csv))))
    rows[0].update(measured="-43.21", ci_low="-44.5", ci_high="-42.1", verdict="reproduced")
    out = io.StringIO(); w = csvlib.DictWriter(out, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
    (nbs/"results"/"scoreboard.csv").write_text(out.getvalue())
    after = nb2readme.render(nbs/"index.ipynb")
    assert after != before
    assert "`synthbridge demo --quick` 97.3 min" in after and "a 96-core CPU" in after
    assert f"{s['table'][0]['pipeline']} 12.3 " in after
    assert f"| {rows[0]['finding']} | {rows[0]['paper']} | −43.2 [−44.5, −42.1] | **reproduced** |" in after

def test_asis_cells_render_their_output(tmp_path):
    "nb2readme runs `#| exec_doc` cells in the notebook's folder and puts what an asis cell prints in its place."
    (tmp_path/"data.txt").write_text("**42** things")
    cells = [dict(cell_type="markdown", source="# T\n\n> d"),
             dict(cell_type="code", source="#| hide\n#| exec_doc\nfrom pathlib import Path"),
             dict(cell_type="code", source="#| echo: false\n#| output: asis\n#| exec_doc\nprint(Path('data.txt').read_text())"),
             dict(cell_type="code", source="x = 1")]
    (tmp_path/"nb.ipynb").write_text(json.dumps(dict(cells=cells)))
    text = nb2readme.render(tmp_path/"nb.ipynb")
    assert "\n\n**42** things\n\n```python\nx = 1\n```\n" in text and "read_text" not in text, text
    cells[2]["source"] = "#| echo: false\n#| output: asis\nprint(1)"
    (tmp_path/"nb.ipynb").write_text(json.dumps(dict(cells=cells)))
    with pytest.raises(ValueError, match=r"output: asis` without `#\| exec_doc"): nb2readme.render(tmp_path/"nb.ipynb")

def test_no_hand_typed_numbers_in_readme_or_index(readme):
    rendered = nb2readme.asis_outputs(INDEX).values()
    assert rendered and all(t.strip() for t in rendered), "an asis cell of the index printed nothing"
    rest = readme
    for t in rendered: rest = rest.replace(t.strip(), "")
    found = {"README.md (outside rendered output)": hand_typed(rest), "nbs/index.ipynb markdown": hand_typed(_markdown(INDEX))}
    found = {k: v for k, v in found.items() if v}
    assert not found, f"measured numbers typed by hand (quote nbs/results through code instead): {found}"

def test_tutorial_quotes_the_files():
    out = nb2readme.asis_outputs(TUTORIAL)
    assert len(out) == 3 and all(t.strip() for t in out.values()), out
    from synthbridge.miniature.demo import budgets_sentence
    assert budgets_sentence(RESULTS/"budgets.json") in "".join(out.values())
    assert not hand_typed(_markdown(TUTORIAL)), hand_typed(_markdown(TUTORIAL))

@pytest.mark.parametrize("name, quotes", [("03_fewshot_volume", ["| Fig. 4: ", "| Fig. 5: "]),
                                          ("04_dsi", ["| Table 3: style gap, single template", "look-word lift",
                                                      "A classifier trained on the house look labels"])])
def test_tutorials_quote_the_files(name, quotes):
    "Tutorials 3 and 4 print the committed scoreboard's rows (and the generator's probe) instead of typing them."
    nb = NBS/"tutorials"/f"{name}.ipynb"
    out = "".join(nb2readme.asis_outputs(nb).values())
    assert all(q in out for q in quotes), out
    assert not hand_typed(_markdown(nb)), hand_typed(_markdown(nb))

def test_dsi_tutorial_quotes_the_eighteen_seeds():
    from synthbridge.miniature.study import house_sentence, scoreboard_table
    out = "".join(nb2readme.asis_outputs(NBS/"tutorials"/"04_dsi.ipynb").values())
    assert scoreboard_table(RESULTS/"scoreboard_seeds_0-17.csv", only=("Table 3",)) in out
    assert house_sentence(RESULTS/"style_gap_seeds_0-17.json") in out

def test_shipped_model_card_is_written_from_its_files(tmp_path):
    "The card in the wheel is what `write_model_card` makes of the shipped files (training, evaluation, variants)."
    from synthbridge.miniature.mini import mini_web_path
    from synthbridge.miniature.mini_eval import write_model_card
    copy = tmp_path/"mini-web"
    shutil.copytree(mini_web_path(), copy)
    write_model_card(copy)
    assert (copy/"README.md").read_text(encoding="utf-8") == (mini_web_path()/"README.md").read_text(encoding="utf-8"), \
        "regenerate it: write_model_card(mini_web_path())"

def test_readme_and_tutorial_quote_the_regime_map(readme):
    from synthbridge.miniature.study import regime_sentence, regime_table
    csv = RESULTS/"regime_seeds_0-3.csv"
    assert regime_table(csv) in readme and regime_sentence(csv) in readme, "run `python tools/nb2readme.py`"
    out = "".join(nb2readme.asis_outputs(NBS/"tutorials"/"03_fewshot_volume.ipynb").values())
    assert regime_table(csv) in out

def test_readme_quotes_the_retrieval_baseline(readme):
    from synthbridge.miniature.study import scoreboard_table
    table = scoreboard_table(RESULTS/"retrieval_seeds_3-7.csv", only=("Retrieval",))
    assert table in readme and len(table.splitlines()) == 2 + 3, "run `python tools/nb2readme.py`"

def test_readme_quotes_the_controls(readme):
    from synthbridge.miniature.study import scoreboard_table
    table = scoreboard_table(RESULTS/"controls_seeds_3-9.csv", only=("Control",))
    assert table in readme and len(table.splitlines()) == 2 + 3, "run `python tools/nb2readme.py`"

def test_readme_and_tutorial_quote_the_regime_maps_ten_shot_cells(readme):
    from synthbridge.miniature.study import regime_sentence, regime_table
    csv = RESULTS/"regime_10shot_seeds_0-7.csv"
    assert regime_table(csv) in readme and regime_sentence(csv) in readme, "run `python tools/nb2readme.py`"
    out = "".join(nb2readme.asis_outputs(NBS/"tutorials"/"03_fewshot_volume.ipynb").values())
    assert regime_table(csv) in out and regime_sentence(csv) in out

TABLE23 = ("Table 2", "Table 3: bridged++", "Table 3: style gap")    # the rows in accuracy or domain-classifier points

def test_readme_quotes_the_seeds_each_interval_needs(readme):
    from synthbridge.miniature.study import seeds_table
    table = seeds_table(RESULTS/"scoreboard_seeds_0-7.csv", only=TABLE23)
    assert table in readme and len(table.splitlines()) == 2 + 7, "run `python tools/nb2readme.py`"

def test_readme_quotes_the_eighteen_paired_seeds(readme):
    from synthbridge.miniature.study import interval_sentence, scoreboard_table
    csv = RESULTS/"scoreboard_seeds_0-17.csv"
    table = scoreboard_table(csv, only=("Table 2", "Fig. 3", "Fig. 4", "Fig. 5", "Table 3", "Table 1"))
    assert table in readme and len(table.splitlines()) == 2 + 12, "run `python tools/nb2readme.py`"
    assert interval_sentence(csv, only=TABLE23) in readme, "run `python tools/nb2readme.py`"

def test_readme_quotes_the_second_set_of_seeds(readme):
    from synthbridge.miniature.study import agreement_table
    table = agreement_table(RESULTS/"scoreboard.csv", RESULTS/"scoreboard_seeds_5-7.csv", names=("seeds 0-2", "seeds 5-7"))
    assert table in readme, "run `python tools/nb2readme.py`"

def test_readme_quotes_the_eight_pooled_seeds(readme):
    from synthbridge.miniature.study import scoreboard_table, scoreboard_verdicts
    csv = RESULTS/"scoreboard_seeds_0-7.csv"
    assert scoreboard_table(csv) in readme and scoreboard_verdicts(csv) in readme, "run `python tools/nb2readme.py`"

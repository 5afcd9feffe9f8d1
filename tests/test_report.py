"""The report's layout (repro/report.py), the captions and tables it shows; tests/test_paper_smoke.py opens the
report of the paper DAG in a real browser."""

import json

import pandas as pd

from repro import report
from repro.plots import FIGURES, caption_html
from repro.tables import to_html
from tests.browser import chromium  # noqa: F401 (a fixture)


def test_every_figure_has_a_place_and_the_claims_come_first_in_snakemakes_order():
    assert set(FIGURES) | {"claims"} <= set(report.PLACES)
    categories = list(report.CATEGORIES.values())
    assert sorted(categories) == categories and categories[0] == report.category("claims")  # the menu sorts them
    assert {report.category(name) for name in FIGURES if name.startswith("wgangp-")} == {report.CATEGORIES["wgangp"]}
    assert {report.category(name) for name in FIGURES if name.startswith("wgan-")} == {report.CATEGORIES["wgan"]}


def test_a_caption_keeps_its_emphasis_lists_tables_and_samples_as_html():
    """As GitHub shows the caption's .md: CommonMark (a list may follow its paragraph's line) and its tables."""
    markdown = ("**WGAN-GP Table 4.** Runs:\n- `language-gp`\n- `language-gan`\n\n"
                "~~~\nBusino game camperate spent odea\n~~~\n\n"
                "| claim | verdict |\n|---|---|\n| `wgangp-table4-gan-not-comparable` | inconclusive |\n")
    html = caption_html(markdown)
    assert "<strong>WGAN-GP Table 4.</strong> Runs:</p>" in html
    assert "<ul>\n<li><code>language-gp</code></li>\n<li><code>language-gan</code></li>\n</ul>" in html
    assert "<pre><code>Busino game camperate spent odea\n</code></pre>" in html
    assert "<td><code>wgangp-table4-gan-not-comparable</code></td>" in html and "<th>verdict</th>" in html


def test_a_table_page_keeps_its_styles_to_itself_so_the_report_can_embed_it(chromium, tmp_path):
    """A table's HTML opened alone, and set into another page as the report sets the claims table into its first
    page (innerHTML): the cells get their borders both ways, the header's Markdown shows as emphasis, and the host
    page keeps its own margin."""
    from selenium.webdriver.common.by import By

    page = to_html("Claims", "*reproduced* needs `3` seeds", pd.DataFrame({"claim": ["a"], "verdict": ["reproduced"]}))
    (tmp_path / "alone.html").write_text(page)
    (tmp_path / "host.html").write_text(
        '<!DOCTYPE html><html><body style="margin: 3px"><div id="host"></div><script>'
        f'document.getElementById("host").innerHTML = {json.dumps(page)};</script></body></html>')
    for name in ("alone.html", "host.html"):
        chromium.get((tmp_path / name).as_uri())
        cell = chromium.find_element(By.CSS_SELECTOR, ".repro-table td")
        assert (cell.text, cell.value_of_css_property("border-top-width")) == ("a", "1px"), name
        assert chromium.find_element(By.CSS_SELECTOR, ".repro-table p em").text == "reproduced", name
    assert chromium.execute_script("return getComputedStyle(document.body).marginTop") == "3px"

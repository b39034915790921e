"""`ovnparse report`: the page, opened in a real browser (Debian's chromium, headless,
driven by Playwright; no browser download).  Skips when chromium or Playwright is absent."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from batch_trees import DENY, OFPROTO, SAME_NODE, SAMPLES

from ovnparse.cli import main

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    top = tmp / "case-4242"
    (top / "ovn-worker").mkdir(parents=True)
    shutil.copy(SAMPLES / DENY, top / "ovn-worker" / "deny.txt")
    shutil.copy(SAMPLES / SAME_NODE, top / "ovn-worker" / "same.txt")
    shutil.copy(SAMPLES / OFPROTO, top / "ovn-worker" / "ofproto.txt")
    (top / "notes.txt").write_text("a note, not a trace\n")
    out = tmp / "report.html"
    code = main(["report", str(top), str(top / "notes.txt"), "--nb",
                 str(SAMPLES / "db/base/nb.db"), "--sb", str(SAMPLES / "db/base/sb.db"),
                 "-o", str(out), "--quiet"])
    assert code == 2  # (notes.txt, named on the command line, is no trace)
    return out


def test_the_page_is_self_contained(page_file):
    html = page_file.read_text()
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "case-4242" in html and "NP:default:Ingress" in html


def test_in_chromium(page_file, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"],
                                    headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            rows = page.locator("#traces tbody tr")
            # 3 traces (one a file) and the unread note
            assert rows.count() == 4
            assert "case-4242" in rows.nth(0).inner_text()
            page.select_option("#f-verdict", "dropped")
            assert rows.count() == 2
            assert all("dropped" in rows.nth(i).inner_text() for i in range(2))
            page.select_option("#f-verdict", "")
            page.fill("#f-namespace", "prod")
            assert rows.count() == 1 and "same.txt" in rows.nth(0).inner_text()
            page.fill("#f-namespace", "")
            page.locator("#traces th", has_text="source").click()
            first = rows.nth(0).inner_text()
            page.locator("#traces th", has_text="source").click()
            assert rows.nth(0).inner_text() != first  # (sorted the other way)
            page.locator("#traces tbody tr", has_text="deny.txt").click()
            card = page.locator("#card")
            assert card.is_visible()
            text = card.inner_text()
            assert "DROPPED" in text and "NP:default:Ingress" in text and "ls_out_acl" in text
            assert "NetpolNamespace default" in text
            page.screenshot(path=os.environ.get("OVNPARSE_REPORT_SHOT", str(tmp_path / "r.png")),
                            full_page=True)
        finally:
            browser.close()
    assert errors == []

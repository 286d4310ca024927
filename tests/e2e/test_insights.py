"""Seller insights in Chromium against the real server: a manager opens them from the navigation, the three
charts are drawn (Chart.js from static/vendor/, under the shop's CSP), another period is chosen, a chart's
numbers are shown as a table, and the CSV downloads."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

CHARTS = ("chart-revenue", "chart-funnel", "chart-responses")


def drawn_charts(page: Page) -> list[str]:
    """The ids of the canvases Chart.js has drawn a chart on."""
    return page.evaluate(
        "ids => ids.filter(id => window.Chart && window.Chart.getChart(id) !== undefined)", list(CHARTS)
    )


def test_a_manager_reads_insights_with_charts_tables_and_csv(
    page: Page, seller_account, seller_inbox, check_a11y, console_errors, tmp_path: Path
) -> None:
    seller_inbox(seller_account("Iris", role="manager"), page)
    page.get_by_role("navigation", name="Seller").get_by_role("link", name="Insights").click()
    expect(page).to_have_url(re.compile(r"/seller/insights$"))
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()
    expect(page.get_by_label("7 days")).to_be_checked()
    for chart in CHARTS:
        expect(page.locator(f"#{chart}")).to_be_visible()
    assert drawn_charts(page) == list(CHARTS)
    expect(
        page.get_by_role("table", name="Revenue and orders, with and without a conversation")
    ).to_be_visible()
    check_a11y("seller insights")

    page.get_by_label("30 days").check()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/seller/insights\?period=30d"))
    expect(page.get_by_label("30 days")).to_be_checked()
    for chart in CHARTS:
        expect(page.locator(f"#{chart}")).to_be_visible()
    assert drawn_charts(page) == list(CHARTS)

    daily = page.get_by_role("table", name="Revenue per day")
    expect(daily).to_be_hidden()
    page.locator("figure", has=page.locator("#chart-revenue")).get_by_text("Show as table").click()
    expect(daily).to_be_visible()
    expect(daily.locator("tbody tr")).to_have_count(30)
    expect(daily.locator("tbody tr").last).to_contain_text("€")
    funnel = page.get_by_role("table", name="Conversion funnel")
    expect(funnel).to_be_hidden()
    page.locator("figure", has=page.locator("#chart-funnel")).get_by_text("Show as table").click()
    expect(funnel.get_by_role("row", name=re.compile(r"^Conversations \d+"))).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    end = date.fromisoformat(page.locator("#period-to").input_value())
    assert download.suggested_filename == f"insights-{end - timedelta(days=29)}-{end}.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0] == "section,metric,current,previous"
    assert any(f",{end - timedelta(days=29)}," in line for line in lines[1:3])  # the period's first day
    assert console_errors == []


def test_a_bad_custom_range_is_explained(page: Page, seller_account, seller_inbox, console_errors) -> None:
    seller_inbox(seller_account("Iris", role="manager"), page)
    page.goto("/seller/insights")
    page.get_by_label("Custom").check()
    page.get_by_label("From", exact=True).fill("2026-03-10")
    page.get_by_label("To", exact=True).fill("2026-03-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_have_text("The start date is after the end date.")
    expect(page.get_by_label("Custom")).to_be_checked()
    expect(page.get_by_label("From", exact=True)).to_have_value("2026-03-10")
    assert console_errors == []

"""The proctor acts on one seat from the page, and sees when the board is stale.

Real Chromium drives the page of the real demo server (a subprocess under
uvicorn); the seats log in and answer over HTTP, as the seat program does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from exam_server import demo
from tests.exam_server.test_proctor_page import (
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_WAIT_MS,
    DemoServer,
    free_port,
    running_demo_server,
)

pytestmark = pytest.mark.browser

CANDIDATES = {
    person.seat_code: person
    for person in demo.make_candidates(demo.N_CANDIDATES, seed=demo.RANDOM_SEED)
}
STALE_CLASS = re.compile(r"\bis-stale\b")
LOGGED_IN_SEATS = ("A01", "A03")
"""Seats that log in before any test, so the room start cannot turn them away."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    data_dir = tmp_path_factory.mktemp("proctor_controls")
    with running_demo_server(data_dir, free_port()) as up:
        yield up


@pytest.fixture(scope="module")
def seat_tokens(server: DemoServer) -> dict[str, str]:
    """Seat tokens of the seats that logged in while the room was scheduled."""
    tokens = {}
    for seat_code in LOGGED_IN_SEATS:
        login = httpx.post(
            f"{server.base_url}/api/seat/login",
            json={
                "room_code": demo.ROOM_CODE,
                "seat_code": seat_code,
                "ticket_number": CANDIDATES[seat_code].ticket_number,
            },
        )
        assert login.status_code == 200, login.text
        tokens[seat_code] = login.json()["token"]
    return tokens


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def confirmations() -> list[str]:
    """The text of every confirmation the page asked, in order."""
    return []


@pytest.fixture
def page(browser: Browser, confirmations: list[str]) -> Iterator[Page]:
    """A fresh tab that accepts every confirmation."""
    tab = browser.new_page(viewport={"width": 1280, "height": 900})

    def accept(dialog: Dialog) -> None:
        confirmations.append(dialog.message)
        dialog.accept()

    tab.on("dialog", accept)
    try:
        yield tab
    finally:
        tab.close()


def open_board(page: Page, server: DemoServer) -> None:
    page.goto(
        f"{server.base_url}/proctor?room={demo.ROOM_CODE}#key={server.proctor_key}"
    )
    expect(page.locator(".tile[data-seat]")).to_have_count(33, timeout=UI_WAIT_MS)


def screenshot(page: Page, name: str) -> None:
    """Keep a picture of the page when PROCTOR_SCREENSHOT_DIR names a folder."""
    folder = os.environ.get("PROCTOR_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_a_proctor_marks_a_candidate_who_never_came_absent(
    server: DemoServer,
    seat_tokens: dict[str, str],
    page: Page,
    confirmations: list[str],
) -> None:
    person = CANDIDATES["A02"]
    open_board(page, server)
    a02 = page.locator('.tile[data-seat="A02"]')
    expect(a02).to_have_attribute("data-state", "not_logged_in")
    panel = page.locator("#seat-panel")

    # The keyboard opens the panel and Esc closes it, back on the tile.
    a02.locator("button").focus()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(page.locator("#panel-seat")).to_have_text("A02")
    expect(page.locator("#panel-ticket")).to_have_text(person.ticket_number)
    expect(page.locator("#panel-name")).to_have_text(person.name)
    expect(page.locator("#panel-state")).to_contain_text("not logged in")
    expect(page.locator("#panel-answered")).to_contain_text("0 /")
    expect(page.locator("#panel-reason")).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(a02.locator("button")).to_be_focused()

    # No action without a reason; with one, the seat turns absent.
    a02.click()
    expect(page.locator("#mark-absent")).to_be_disabled()
    expect(page.locator("#mark-abnormal")).to_be_disabled()
    page.fill("#panel-reason", "   ")
    expect(page.locator("#mark-absent")).to_be_disabled()
    page.fill("#panel-reason", "考生未到场 did not come to the exam")
    expect(page.locator("#mark-absent")).to_be_enabled()
    page.click("#mark-absent")

    expect(a02).to_have_attribute("data-state", "absent", timeout=UI_WAIT_MS)
    expect(a02).to_contain_text("缺考")
    expect(panel).to_be_hidden()
    expect(page.locator("#notice")).to_contain_text("A02")
    expect(page.locator("#summary")).to_contain_text("absent: 1")
    expect(page.locator("#banner")).to_be_hidden()
    assert len(confirmations) == 1
    assert person.ticket_number in confirmations[0]


def test_a_proctor_moves_a_logged_in_candidate_to_a_spare_seat(
    server: DemoServer,
    seat_tokens: dict[str, str],
    page: Page,
    confirmations: list[str],
) -> None:
    person = CANDIDATES["A01"]
    open_board(page, server)
    a01 = page.locator('.tile[data-seat="A01"]')
    s01 = page.locator('.tile[data-seat="S01"]')
    expect(a01).to_have_attribute("data-state", "logged_in")

    # Only the free spare seats are offered.
    a01.click()
    choices = page.locator("#move-seat option:not([value=''])")
    expect(choices).to_have_text(["S01", "S02", "S03"])
    page.select_option("#move-seat", "S01")
    expect(page.locator("#move-button")).to_be_disabled()
    page.fill("#panel-reason", "耳机无声 headset silent")
    expect(page.locator("#move-button")).to_be_enabled()
    screenshot(page, "panel.png")
    page.click("#move-button")

    # S01 shows the candidate, who logs in again there; A01 is empty.
    expect(s01).to_have_attribute("data-state", "not_logged_in", timeout=UI_WAIT_MS)
    expect(s01).to_contain_text(person.name)
    expect(s01).to_contain_text(person.ticket_number)
    expect(a01).to_have_attribute("data-state", "empty")
    expect(a01).not_to_contain_text(person.name)
    expect(page.locator("#summary")).to_contain_text("free spare seats: 2")
    assert "S01" in confirmations[0]

    # The taken spare seat is no longer offered.
    page.locator('.tile[data-seat="A04"]').click()
    expect(choices).to_have_text(["S02", "S03"])
    page.keyboard.press("Escape")

    login = httpx.post(
        f"{server.base_url}/api/seat/login",
        json={
            "room_code": demo.ROOM_CODE,
            "seat_code": "S01",
            "ticket_number": person.ticket_number,
        },
    )
    assert login.status_code == 200, login.text
    expect(s01).to_have_attribute("data-state", "logged_in", timeout=UI_WAIT_MS)


def test_a_refused_action_shows_the_servers_sentence(
    server: DemoServer, seat_tokens: dict[str, str], page: Page
) -> None:
    # Seat A03 answers the first item once the room has started.
    proctor = {"Authorization": f"Bearer {server.proctor_key}"}
    board = httpx.get(
        f"{server.base_url}/api/rooms/{demo.ROOM_CODE}/board", headers=proctor
    ).json()
    sitting_id = board["sitting"]["sitting_id"]
    if board["sitting"]["state"] == "scheduled":
        started = httpx.post(
            f"{server.base_url}/api/sittings/{sitting_id}/start",
            json={"reason": "scheduled start"},
            headers=proctor,
        )
        assert started.status_code == 200, started.text
    seat = {"Authorization": f"Bearer {seat_tokens['A03']}"}
    paper = httpx.get(f"{server.base_url}/api/seat/paper", headers=seat).json()
    choose = next(i for i in paper["items"] if i["kind"] == "listen_choose")
    answer = httpx.put(
        f"{server.base_url}/api/seat/responses/{choose['item_id']}/choice",
        json={"choice": "A"},
        headers=seat,
    )
    assert answer.status_code == 200, answer.text

    # Marking that candidate absent is refused, in the server's words.
    open_board(page, server)
    a03 = page.locator('.tile[data-seat="A03"]')
    a03.click()
    expect(page.locator("#panel-answered")).to_contain_text("1 /")
    page.fill("#panel-reason", "考生离场 left the room")
    page.click("#mark-absent")
    banner = page.locator("#banner")
    expect(banner).to_contain_text("cannot be absent; mark the seat abnormal instead")
    expect(banner).to_contain_text("A03")
    screenshot(page, "refused.png")

    # The sentence outlives the next board refreshes, and the seat is unchanged.
    for _ in range(2):
        with page.expect_response(lambda r: r.url.endswith("/board") and r.ok):
            pass
    expect(banner).to_be_visible()
    expect(a03).not_to_have_attribute("data-state", "absent")
    expect(page.locator("#seat-panel")).to_be_visible()
    page.click("#banner-close")
    expect(banner).to_be_hidden()


def test_the_board_says_when_it_has_stopped_refreshing(
    browser: Browser, tmp_path: Path
) -> None:
    data_dir = tmp_path / "stale"
    data_dir.mkdir()
    port = free_port()
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    stale = tab.locator("#stale")
    try:
        with running_demo_server(data_dir, port) as up:
            open_board(tab, up)
            expect(tab.locator("#board")).not_to_have_class(STALE_CLASS)
            expect(stale).to_be_hidden()

        # The server is gone: the page says so and the board is washed out.
        expect(stale).to_be_visible(timeout=UI_WAIT_MS)
        expect(stale).to_contain_text("do not trust it")
        expect(tab.locator("#board")).to_have_class(STALE_CLASS)
        expect(tab.locator("#banner")).to_contain_text("Lost the server")
        screenshot(tab, "stale.png")

        # It comes back: the warning goes as soon as a board arrives.
        with running_demo_server(data_dir, port):
            expect(stale).to_be_hidden(timeout=UI_WAIT_MS)
            expect(tab.locator("#banner")).to_be_hidden()
            expect(tab.locator("#board")).not_to_have_class(STALE_CLASS)
    finally:
        tab.close()

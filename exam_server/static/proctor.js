// The proctor page: log in to a room, show its seats live, start and end it,
// and act on one seat (absent, abnormal, move to a spare seat).
// Plain browser JavaScript, no build step and no outside resources.
"use strict";

(function () {
  const POLL_MS = 1000; // the board is fetched again a second after each answer
  const STALE_MS = 5000; // older than this, the board is flagged as not to be trusted
  const BOARD_TIMEOUT_MS = 4000; // a board request hanging longer counts as failed
  const ACTION_TIMEOUT_MS = 15000; // longest wait for a seat or sitting action
  const FRESHNESS_CHECK_MS = 500; // how often the age of the board is checked
  const NOTICE_MS = 10000; // how long a "done" notice stays
  const STORE_ROOM = "proctor.room";
  const STORE_KEY = "proctor.key";

  const el = (id) => document.getElementById(id);
  const view = {
    login: el("login"),
    board: el("board"),
    seats: el("seats"),
    summary: el("summary"),
    updated: el("updated"),
    stale: el("stale"),
    staleAge: el("stale-age"),
    sitting: el("sitting"),
    actions: el("actions"),
    banner: el("banner"),
    bannerText: el("banner-text"),
    notice: el("notice"),
    roomTitle: el("room-title"),
    start: el("start-button"),
    end: el("end-button"),
  };
  const panel = {
    root: el("seat-panel"),
    seat: el("panel-seat"),
    ticket: el("panel-ticket"),
    name: el("panel-name"),
    state: el("panel-state"),
    answered: el("panel-answered"),
    reason: el("panel-reason"),
    absent: el("mark-absent"),
    abnormal: el("mark-abnormal"),
    moveSeat: el("move-seat"),
    move: el("move-button"),
    close: el("panel-close"),
  };

  let labels = { seat_states: {}, sitting_states: {} };
  let board = null;
  let boardAt = null; // performance.now() of the last board received
  let pollTimer = null;
  let noticeTimer = null;
  let bannerKind = null; // "connection", "action" or "login"
  let panelTicket = null; // ticket number of the candidate shown in the panel
  let panelSeat = null; // the seat the panel was opened from
  let busy = false; // a seat action is on its way to the server
  const tiles = new Map(); // seat code -> tile element

  // ---- credentials: sessionStorage, or the URL (?room=R01#key=...) -------

  function credentials() {
    const room = sessionStorage.getItem(STORE_ROOM);
    const key = sessionStorage.getItem(STORE_KEY);
    return room && key ? { room, key } : null;
  }

  function takeCredentialsFromUrl() {
    const params = new URLSearchParams(window.location.search);
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const room = params.get("room");
    const key = fragment.get("key");
    if (room) {
      el("room-input").value = room;
    }
    if (room && key) {
      sessionStorage.setItem(STORE_ROOM, room);
      sessionStorage.setItem(STORE_KEY, key);
      // keep the key out of the address bar and the history
      history.replaceState(null, "", window.location.pathname + "?room=" + encodeURIComponent(room));
    }
  }

  function logOut(message) {
    sessionStorage.removeItem(STORE_KEY);
    stopPolling();
    closePanel();
    board = null;
    boardAt = null;
    tiles.clear();
    view.seats.replaceChildren();
    view.board.hidden = true;
    view.actions.hidden = true;
    view.sitting.textContent = "";
    view.roomTitle.textContent = "";
    view.login.hidden = false;
    if (message) {
      showError(message, "login");
    }
  }

  // ---- talking to the server ---------------------------------------------

  async function api(method, path, body, timeoutMs) {
    const creds = credentials();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: {
          Authorization: "Bearer " + (creds ? creds.key : ""),
          "Content-Type": "application/json",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        signal: abort.signal,
      });
    } catch (error) {
      throw new Error(
        abort.signal.aborted
          ? "服务器 " + timeoutMs / 1000 + " 秒内没有应答 no answer within " + timeoutMs / 1000 + " s"
          : "连不上服务器 cannot reach the server (" + error.message + ")"
      );
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_ignored) {
      data = null;
    }
    if (!response.ok) {
      const error = new Error(detailText(data, response.statusText));
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // The server's refusal sentence; request validation errors come as a list.
  function detailText(data, fallback) {
    const detail = data && data.detail;
    if (typeof detail === "string") {
      return detail;
    }
    if (Array.isArray(detail)) {
      return detail.map((d) => (d && d.msg ? d.msg : String(d))).join("; ");
    }
    return fallback;
  }

  async function loadLabels() {
    try {
      const response = await fetch("/proctor/labels.json", { cache: "no-store" });
      if (response.ok) {
        labels = await response.json();
      }
    } catch (_ignored) {
      // the page still works with the English identifiers
    }
  }

  // ---- polling -----------------------------------------------------------

  function stopPolling() {
    if (pollTimer !== null) {
      clearTimeout(pollTimer);
      pollTimer = null;
    }
  }

  async function refresh() {
    stopPolling();
    const creds = credentials();
    if (!creds) {
      return;
    }
    try {
      const path = "/api/rooms/" + encodeURIComponent(creds.room) + "/board";
      board = await api("GET", path, undefined, BOARD_TIMEOUT_MS);
      boardAt = performance.now();
      if (bannerKind === "connection") {
        hideError();
      }
      render();
    } catch (error) {
      if (error.status === 401 || error.status === 403 || error.status === 404) {
        logOut("登录失败 Login refused: " + error.message);
        return;
      }
      showError("与服务器的连接中断，正在重试 Lost the server, retrying: " + error.message, "connection");
    }
    checkFreshness();
    pollTimer = setTimeout(refresh, POLL_MS);
  }

  // A board older than STALE_MS says so loudly: a proctor must not act on it.
  function checkFreshness() {
    if (!board || boardAt === null) {
      view.stale.hidden = true;
      return;
    }
    const age_s = Math.floor((performance.now() - boardAt) / 1000);
    const stale = performance.now() - boardAt > STALE_MS;
    view.board.classList.toggle("is-stale", stale);
    document.body.classList.toggle("board-stale", stale);
    if (stale) {
      // the age ticks outside the alert, so a screen reader says it once
      view.staleAge.textContent = "最后更新于 " + age_s + " 秒前 last refreshed " + age_s + " s ago";
    }
    view.stale.hidden = !stale;
  }

  // ---- drawing -----------------------------------------------------------

  function label(group, state) {
    const entry = labels[group] && labels[group][state];
    return entry ? entry : { zh: "", en: state.replace(/_/g, " ") };
  }

  function seatLabel(row) {
    if (row.state) {
      return label("seat_states", row.state);
    }
    return row.is_spare ? { zh: "备用机位", en: "spare" } : { zh: "空位", en: "empty" };
  }

  function render() {
    view.login.hidden = true;
    view.board.hidden = false;
    view.actions.hidden = false;
    view.roomTitle.textContent = "考场 Room " + board.room_code;

    const sitting = board.sitting;
    if (sitting) {
      const text = label("sitting_states", sitting.state);
      view.sitting.textContent =
        "场次 Sitting " + sitting.code + " · " + text.zh + " " + text.en;
      view.sitting.dataset.state = sitting.state;
    } else {
      view.sitting.textContent = "没有场次 No sitting for this room";
      view.sitting.dataset.state = "none";
    }
    view.start.disabled = !sitting || sitting.state !== "scheduled";
    view.end.disabled = !sitting || sitting.state !== "started";

    for (const row of board.seats) {
      renderTile(row);
    }
    view.summary.textContent = summaryText(board.seats);
    view.updated.textContent = "更新于 Updated " + new Date().toLocaleTimeString("zh-CN", { hour12: false });
    renderPanel();
  }

  function summaryText(rows) {
    const counts = {};
    let freeSpares = 0;
    for (const row of rows) {
      if (row.state) {
        counts[row.state] = (counts[row.state] || 0) + 1;
      } else if (row.is_spare) {
        freeSpares += 1;
      }
    }
    const parts = Object.entries(counts).map(([state, n]) => {
      const text = label("seat_states", state);
      return text.zh + " " + text.en + ": " + n;
    });
    parts.push("空闲备用机位 free spare seats: " + freeSpares);
    return parts.join(" · ");
  }

  function renderTile(row) {
    let tile = tiles.get(row.seat_code);
    if (!tile) {
      tile = document.createElement("div");
      tile.className = "tile";
      tile.setAttribute("role", "listitem");
      tile.dataset.seat = row.seat_code;
      tile.innerHTML =
        '<button type="button" class="tile-button">' +
        '<span class="seat-code"></span><span class="state"><span class="zh"></span>' +
        ' <span class="en"></span></span><span class="ticket"></span>' +
        '<span class="name"></span><span class="progress"></span></button>';
      const seatCode = row.seat_code;
      tile.querySelector("button").addEventListener("click", () => openPanel(seatCode));
      tiles.set(row.seat_code, tile);
      view.seats.appendChild(tile);
    }
    const state = row.state || "empty";
    const text = seatLabel(row);
    tile.dataset.state = state;
    tile.classList.toggle("spare", row.is_spare);
    tile.querySelector(".seat-code").textContent = row.seat_code;
    tile.querySelector(".state .zh").textContent = text.zh;
    tile.querySelector(".state .en").textContent = text.en;
    tile.querySelector(".ticket").textContent = row.ticket_number || "";
    tile.querySelector(".name").textContent = row.candidate_name || "";
    const progress = progressText(row);
    tile.querySelector(".progress").textContent = progress;
    const button = tile.querySelector("button");
    // a seat without a candidate has nothing to act on
    button.disabled = !row.state;
    button.setAttribute(
      "aria-label",
      [row.seat_code, text.zh, text.en, row.ticket_number, row.candidate_name, progress]
        .filter(Boolean)
        .join(", ")
    );
  }

  function progressText(row) {
    if (!row.state) {
      return "";
    }
    let progress = "作答 answered " + row.answered + "/" + row.total_items;
    if (row.points !== null && row.points !== undefined) {
      progress += " · 得分 points " + row.points + "/" + row.max_points;
    }
    return progress;
  }

  // ---- the seat panel ----------------------------------------------------

  function rowOfTicket(ticket) {
    return board ? board.seats.find((row) => row.ticket_number === ticket) || null : null;
  }

  function openPanel(seatCode) {
    const row = board && board.seats.find((r) => r.seat_code === seatCode);
    if (!row || !row.state) {
      return;
    }
    panelTicket = row.ticket_number;
    panelSeat = seatCode;
    panel.reason.value = "";
    panel.moveSeat.value = "";
    renderPanel();
    if (!panel.root.open) {
      panel.root.show();
      document.body.classList.add("panel-open");
    }
    panel.reason.focus();
  }

  function closePanel() {
    if (!panel.root.open) {
      return;
    }
    panel.root.close();
    document.body.classList.remove("panel-open");
    highlightSeat(null);
    const tile = panelSeat && tiles.get(panelSeat);
    const button = tile && tile.querySelector("button");
    panelTicket = null;
    panelSeat = null;
    if (button && !button.disabled) {
      button.focus();
    }
  }

  // Shows the latest board row of the panel's candidate, wherever they sit now.
  function renderPanel() {
    if (!panel.root.open || panelTicket === null) {
      return;
    }
    const row = rowOfTicket(panelTicket);
    if (!row) {
      closePanel();
      return;
    }
    const text = seatLabel(row);
    highlightSeat(row.seat_code);
    panel.seat.textContent = row.seat_code;
    panel.ticket.textContent = row.ticket_number;
    panel.name.textContent = row.candidate_name;
    panel.state.textContent = text.zh + " " + text.en;
    panel.state.dataset.state = row.state;
    panel.answered.textContent = row.answered + " / " + row.total_items;
    renderSpareChoices();
    updatePanelButtons();
  }

  function highlightSeat(seatCode) {
    for (const [code, tile] of tiles) {
      tile.classList.toggle("selected", code === seatCode);
    }
  }

  function renderSpareChoices() {
    const free = board.seats.filter((row) => row.is_spare && !row.state).map((row) => row.seat_code);
    const shown = Array.from(panel.moveSeat.options, (option) => option.value).filter(Boolean);
    if (free.join(",") === shown.join(",") && panel.moveSeat.options.length > 0) {
      return;
    }
    const chosen = panel.moveSeat.value;
    const placeholder = new Option(
      free.length ? "选择机位 Choose…" : "无空闲 None free",
      ""
    );
    panel.moveSeat.replaceChildren(placeholder, ...free.map((code) => new Option(code, code)));
    panel.moveSeat.value = free.includes(chosen) ? chosen : "";
    panel.moveSeat.disabled = free.length === 0;
  }

  function updatePanelButtons() {
    const ready = !busy && panelTicket !== null && panel.reason.value.trim() !== "" && board && board.sitting;
    panel.absent.disabled = !ready;
    panel.abnormal.disabled = !ready;
    panel.move.disabled = !ready || panel.moveSeat.value === "";
  }

  async function seatAction(kind) {
    const row = rowOfTicket(panelTicket);
    const reason = panel.reason.value.trim();
    if (!row || !reason || !board.sitting) {
      return;
    }
    const who = "准考证号 " + row.ticket_number + " " + row.candidate_name;
    const sittingPath = "/api/sittings/" + board.sitting.sitting_id;
    let question, path, body, done;
    if (kind === "move") {
      const target = panel.moveSeat.value;
      question =
        "确认将 " + who + " 从考位 " + row.seat_code + " 换到备用机位 " + target + "？" +
        "已作答 " + row.answered + " 题保留。\n" +
        "Move " + row.ticket_number + " from " + row.seat_code + " to " + target +
        "? Their " + row.answered + " answers stay; they log in again at " + target + ".\n" +
        "原因 Reason: " + reason;
      path = sittingPath + "/move";
      body = { ticket_number: row.ticket_number, to_seat: target, reason };
      done = "已换位 Moved " + row.ticket_number + ": " + row.seat_code + " → " + target +
        "，请考生在 " + target + " 重新登录 (log in again there)";
    } else {
      const what = kind === "absent" ? "缺考 absent" : "异常 abnormal";
      question =
        "确认将考位 " + row.seat_code + " 的 " + who + " 标记为" + what + "？\n" +
        "Mark seat " + row.seat_code + " (" + row.ticket_number + ") " + what.split(" ")[1] + "?\n" +
        "原因 Reason: " + reason;
      path = sittingPath + "/seats/" + encodeURIComponent(row.seat_code) + "/mark";
      body = { status: kind, reason };
      done = "已标记 Marked seat " + row.seat_code + " (" + row.ticket_number + ") " + what;
    }
    if (!window.confirm(question)) {
      return;
    }
    busy = true;
    updatePanelButtons();
    try {
      await api("POST", path, body, ACTION_TIMEOUT_MS);
      if (bannerKind === "action") {
        hideError();
      }
      showNotice(done);
      closePanel();
    } catch (error) {
      showError("操作被拒绝 Refused: " + error.message, "action");
    } finally {
      busy = false;
      updatePanelButtons();
    }
    refresh();
  }

  // ---- messages ----------------------------------------------------------

  function showError(message, kind) {
    bannerKind = kind;
    view.bannerText.textContent = message;
    view.banner.hidden = false;
  }

  function hideError() {
    bannerKind = null;
    view.banner.hidden = true;
    view.bannerText.textContent = "";
  }

  function showNotice(message) {
    clearTimeout(noticeTimer);
    view.notice.textContent = message;
    view.notice.hidden = false;
    noticeTimer = setTimeout(() => {
      view.notice.hidden = true;
    }, NOTICE_MS);
  }

  // ---- room start and end ------------------------------------------------

  async function changeSitting(action) {
    if (!board || !board.sitting) {
      return;
    }
    const sitting = board.sitting;
    const what = action === "start" ? "统一开考 start" : "统一结束 end";
    const reason = window.prompt(
      "原因（记入审计日志） Reason for the audit log, to " + what + " the room:",
      action === "start" ? "按时统一开考 scheduled start" : "按时统一结束 scheduled end"
    );
    if (reason === null) {
      return;
    }
    const sure = window.confirm(
      "确认" + what + "考场 " + board.room_code + "，场次 " + sitting.code + "？\n" +
        "Really " + what + " room " + board.room_code + "?"
    );
    if (!sure) {
      return;
    }
    try {
      await api("POST", "/api/sittings/" + sitting.sitting_id + "/" + action, { reason }, ACTION_TIMEOUT_MS);
      if (bannerKind === "action") {
        hideError();
      }
    } catch (error) {
      showError("操作未完成 Not done: " + error.message, "action");
    }
    refresh();
  }

  // ---- wiring ------------------------------------------------------------

  view.login.addEventListener("submit", (event) => {
    event.preventDefault();
    const room = el("room-input").value.trim();
    const key = el("key-input").value.trim();
    if (!room || !key) {
      showError("请填写考场和密钥 Enter the room and the key", "login");
      return;
    }
    sessionStorage.setItem(STORE_ROOM, room);
    sessionStorage.setItem(STORE_KEY, key);
    el("key-input").value = "";
    hideError();
    refresh();
  });
  view.start.addEventListener("click", () => changeSitting("start"));
  view.end.addEventListener("click", () => changeSitting("end"));
  el("logout-button").addEventListener("click", () => logOut(""));
  el("banner-close").addEventListener("click", hideError);

  panel.reason.addEventListener("input", updatePanelButtons);
  panel.moveSeat.addEventListener("change", updatePanelButtons);
  panel.absent.addEventListener("click", () => seatAction("absent"));
  panel.abnormal.addEventListener("click", () => seatAction("abnormal"));
  panel.move.addEventListener("click", () => seatAction("move"));
  panel.close.addEventListener("click", closePanel);
  // the panel does not block the board, so Esc is handled on the whole page
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panel.root.open) {
      event.preventDefault();
      closePanel();
    }
  });

  async function main() {
    takeCredentialsFromUrl();
    await loadLabels();
    setInterval(checkFreshness, FRESHNESS_CHECK_MS);
    if (credentials()) {
      refresh();
    } else {
      view.login.hidden = false;
      const room = sessionStorage.getItem(STORE_ROOM);
      if (room && !el("room-input").value) {
        el("room-input").value = room;
      }
    }
  }

  main();
})();

// The proctor page: log in to a room, show its seats live, start and end it.
// Plain browser JavaScript, no build step and no outside resources.
"use strict";

(function () {
  const POLL_MS = 1000; // the board is fetched again a second after each answer
  const STORE_ROOM = "proctor.room";
  const STORE_KEY = "proctor.key";

  const el = (id) => document.getElementById(id);
  const view = {
    login: el("login"),
    board: el("board"),
    seats: el("seats"),
    summary: el("summary"),
    sitting: el("sitting"),
    actions: el("actions"),
    banner: el("banner"),
    roomTitle: el("room-title"),
    start: el("start-button"),
    end: el("end-button"),
  };

  let labels = { seat_states: {}, sitting_states: {} };
  let board = null;
  let pollTimer = null;
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
    board = null;
    tiles.clear();
    view.seats.replaceChildren();
    view.board.hidden = true;
    view.actions.hidden = true;
    view.sitting.textContent = "";
    view.roomTitle.textContent = "";
    view.login.hidden = false;
    if (message) {
      showError(message);
    }
  }

  // ---- talking to the server ---------------------------------------------

  async function api(method, path, body) {
    const creds = credentials();
    const response = await fetch(path, {
      method,
      headers: {
        Authorization: "Bearer " + (creds ? creds.key : ""),
        "Content-Type": "application/json",
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    let data = null;
    try {
      data = await response.json();
    } catch (_ignored) {
      data = null;
    }
    if (!response.ok) {
      const detail = data && data.detail ? data.detail : response.statusText;
      const error = new Error(detail);
      error.status = response.status;
      throw error;
    }
    return data;
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
      board = await api("GET", "/api/rooms/" + encodeURIComponent(creds.room) + "/board");
      hideError();
      render();
    } catch (error) {
      if (error.status === 401 || error.status === 403 || error.status === 404) {
        logOut("登录失败 Login refused: " + error.message);
        return;
      }
      showError("与服务器的连接中断，正在重试 Lost the server, retrying: " + error.message);
    }
    pollTimer = setTimeout(refresh, POLL_MS);
  }

  // ---- drawing -----------------------------------------------------------

  function label(group, state) {
    const entry = labels[group] && labels[group][state];
    return entry ? entry : { zh: "", en: state.replace(/_/g, " ") };
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

    const counts = {};
    for (const row of board.seats) {
      renderTile(row);
      const state = row.state || "empty";
      counts[state] = (counts[state] || 0) + 1;
    }
    view.summary.textContent = Object.entries(counts)
      .filter(([state]) => state !== "empty")
      .map(([state, n]) => {
        const text = label("seat_states", state);
        return text.zh + " " + text.en + ": " + n;
      })
      .join(" · ");
  }

  function renderTile(row) {
    let tile = tiles.get(row.seat_code);
    if (!tile) {
      tile = document.createElement("div");
      tile.className = "tile";
      tile.setAttribute("role", "listitem");
      tile.dataset.seat = row.seat_code;
      tile.innerHTML =
        '<div class="seat-code"></div><div class="state"><span class="zh"></span>' +
        ' <span class="en"></span></div><div class="ticket"></div>' +
        '<div class="name"></div><div class="progress"></div>';
      tiles.set(row.seat_code, tile);
      view.seats.appendChild(tile);
    }
    const state = row.state || "empty";
    const text = row.state
      ? label("seat_states", row.state)
      : { zh: row.is_spare ? "备用机位" : "空位", en: row.is_spare ? "spare" : "empty" };
    tile.dataset.state = state;
    tile.classList.toggle("spare", row.is_spare);
    tile.querySelector(".seat-code").textContent = row.seat_code;
    tile.querySelector(".state .zh").textContent = text.zh;
    tile.querySelector(".state .en").textContent = text.en;
    tile.querySelector(".ticket").textContent = row.ticket_number || "";
    tile.querySelector(".name").textContent = row.candidate_name || "";
    let progress = "";
    if (row.state) {
      progress = "作答 answered " + row.answered + "/" + row.total_items;
      if (row.points !== null && row.points !== undefined) {
        progress += " · 得分 points " + row.points + "/" + row.max_points;
      }
    }
    tile.querySelector(".progress").textContent = progress;
    tile.setAttribute(
      "aria-label",
      [row.seat_code, text.zh, text.en, row.ticket_number, row.candidate_name, progress]
        .filter(Boolean)
        .join(", ")
    );
  }

  // ---- messages ----------------------------------------------------------

  function showError(message) {
    view.banner.textContent = message;
    view.banner.hidden = false;
  }

  function hideError() {
    view.banner.hidden = true;
    view.banner.textContent = "";
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
      await api("POST", "/api/sittings/" + sitting.sitting_id + "/" + action, { reason });
      hideError();
    } catch (error) {
      showError("操作未完成 Not done: " + error.message);
    }
    refresh();
  }

  // ---- wiring ------------------------------------------------------------

  view.login.addEventListener("submit", (event) => {
    event.preventDefault();
    const room = el("room-input").value.trim();
    const key = el("key-input").value.trim();
    if (!room || !key) {
      showError("请填写考场和密钥 Enter the room and the key");
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

  async function main() {
    takeCredentialsFromUrl();
    await loadLabels();
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

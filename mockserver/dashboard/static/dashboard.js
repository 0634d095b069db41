// The dashboard's script: fills the server-rendered page from the control plane (/__admin/...).
// Every call is same-origin and sends the admin token when this tab was given one, so it passes
// the control plane's protection (admin_guard.py) wherever the server runs. No library, no build.
"use strict";

const MAX_ROWS = 1000; // journal rows kept in the page
const TOKEN_KEY = "mockserver-admin-token";
const $ = (id) => document.getElementById(id);

// -- calling the control plane ---------------------------------------------------------------
function takeTokenFromFragment() {
  // "#token=..." is never sent to the server; it is moved to this tab's storage and dropped from the URL.
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function headers(extra) {
  const all = Object.assign({ Accept: "application/json" }, extra || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) all.Authorization = "Bearer " + token;
  return all;
}

class NeedsToken extends Error {}

async function api(method, path, body) {
  const options = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) options.body = JSON.stringify(body);
  const response = await fetch(path, options);
  if (response.status === 401) {
    askForToken();
    throw new NeedsToken("the admin token is needed");
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new Error(`${response.status} ${error.code || ""}: ${error.message || text}`);
  }
  return data;
}

function askForToken() {
  $("token-form").hidden = false;
  $("token-input").focus();
}

function showError(error) {
  if (error instanceof NeedsToken) return;
  const box = $("error");
  box.textContent = String(error.message || error);
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function cellText(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// -- the journal -------------------------------------------------------------------------------
const journal = []; // summaries, oldest first
let lastId = 0;
let selectedId = null;

function statusMatches(status, wanted) {
  wanted = wanted.trim().toLowerCase();
  if (!wanted) return true;
  if (/^\dxx$/.test(wanted)) return String(status)[0] === wanted[0];
  return String(status).startsWith(wanted);
}

function visible(entry) {
  const apiWanted = $("filter-api").value;
  const operation = $("filter-operation").value.trim();
  const text = $("filter-text").value.trim().toLowerCase();
  if (apiWanted && entry.api !== apiWanted) return false;
  if (operation && !String(entry.operationId || "").includes(operation)) return false;
  if (!statusMatches(entry.status, $("filter-status").value)) return false;
  if (text) {
    const haystack = [entry.method, entry.path, entry.query, entry.api, entry.operationId, entry.status]
      .join(" ")
      .toLowerCase();
    if (!haystack.includes(text)) return false;
  }
  return true;
}

function row(entry) {
  const tr = el("tr");
  tr.dataset.id = entry.id;
  tr.dataset.status = entry.status;
  tr.className = "status-" + String(entry.status)[0] + "xx";
  const time = String(entry.time || "").replace(/^.*T/, "").replace("Z", "");
  const cells = [entry.id, time, entry.api, entry.method, entry.path + (entry.query ? "?" + entry.query : ""),
    entry.status, entry.operationId || "(none)", entry.duration_ms];
  for (const value of cells) tr.appendChild(el("td", value));
  if (entry.id === selectedId) tr.classList.add("selected");
  tr.addEventListener("click", () => showDetail(entry.id));
  tr.hidden = !visible(entry);
  return tr;
}

function addEntries(entries) {
  const body = document.querySelector("#journal tbody");
  for (const entry of entries) {
    journal.push(entry);
    body.insertBefore(row(entry), body.firstChild);
    lastId = Math.max(lastId, entry.id);
  }
  while (journal.length > MAX_ROWS) {
    journal.shift();
    body.removeChild(body.lastChild);
  }
  $("journal-empty").hidden = journal.length > 0;
  if (entries.length) scheduleRefresh();
}

function clearJournalView() {
  journal.length = 0;
  lastId = 0;
  document.querySelector("#journal tbody").replaceChildren();
  $("journal-empty").hidden = false;
}

function applyFilters() {
  const byId = new Map(journal.map((entry) => [String(entry.id), entry]));
  for (const tr of document.querySelectorAll("#journal tbody tr")) tr.hidden = !visible(byId.get(tr.dataset.id));
}

function fillKeyValues(table, values) {
  const body = table.querySelector("tbody");
  body.replaceChildren();
  for (const [name, value] of Object.entries(values || {})) {
    const tr = el("tr");
    tr.appendChild(el("th", name));
    tr.appendChild(el("td", value));
    body.appendChild(tr);
  }
}

function prettyBody(text) {
  if (text === null || text === undefined) return "(no body)";
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (_) {
    return text; // not JSON, or cut at the journal's cap (it ends with the marker)
  }
}

async function showDetail(id) {
  selectedId = id;
  for (const tr of document.querySelectorAll("#journal tbody tr")) {
    tr.classList.toggle("selected", tr.dataset.id === String(id));
  }
  let entry;
  try {
    entry = await api("GET", `requests/entries/${id}`);
  } catch (error) {
    showError(error);
    return;
  }
  $("detail").hidden = false;
  $("detail-title").textContent = `#${entry.id} ${entry.method} ${entry.path}`;
  const facts = $("detail-facts");
  facts.replaceChildren();
  const verdict = entry.verdict ? `${entry.verdict.result}: ${entry.verdict.message}` : "unknown";
  for (const [name, value] of [
    ["time", entry.time], ["API", entry.api], ["method", entry.method], ["path", entry.path],
    ["query", entry.query || "(none)"], ["status", entry.status], ["operation", entry.operationId || "(none matched)"],
    ["duration", `${entry.duration_ms} ms`], ["verdict", verdict],
  ]) {
    facts.appendChild(el("dt", name));
    facts.appendChild(el("dd", value, name === "verdict" ? "verdict-" + (entry.verdict || {}).result : ""));
  }
  const near = $("detail-near").querySelector("tbody");
  near.replaceChildren();
  for (const miss of entry.near_misses || []) {
    const tr = el("tr");
    for (const value of [miss.operationId, miss.method, miss.path, miss.score]) tr.appendChild(el("td", value));
    near.appendChild(tr);
  }
  $("detail-near").hidden = !(entry.near_misses || []).length;
  $("detail-near").previousElementSibling.hidden = $("detail-near").hidden;
  fillKeyValues($("detail-request-headers"), (entry.request || {}).headers);
  fillKeyValues($("detail-response-headers"), (entry.response || {}).headers);
  $("detail-request-body").textContent = prettyBody((entry.request || {}).body);
  $("detail-response-body").textContent = prettyBody((entry.response || {}).body);
}

// The journal as server-sent events, read with fetch so the admin token can go in a header
// (EventSource cannot send one).
async function followJournal() {
  for (;;) {
    try {
      const response = await fetch(`requests/stream?after=${lastId}`, { headers: headers({ Accept: "text/event-stream" }) });
      if (response.status === 401) {
        setLive("needs the admin token", "off");
        askForToken();
        await new Promise((resolve) => document.addEventListener("mockserver-token", resolve, { once: true }));
        continue;
      }
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      setLive("live", "on");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        let end;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          handleEvent(buffered.slice(0, end));
          buffered = buffered.slice(end + 2);
        }
      }
    } catch (error) {
      // the server went away or restarted: try again shortly
    }
    setLive("reconnecting…", "off");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function handleEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (event === "entry") addEntries([JSON.parse(data.join("\n"))]);
  else if (event === "cleared") {
    clearJournalView();
    scheduleRefresh();
  }
}

function setLive(text, state) {
  const badge = $("live");
  badge.textContent = text;
  badge.className = "badge " + state;
}

// -- state, faults, settings, clock, sessions --------------------------------------------------
function isRecord(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function recordsTable(records, keyName) {
  const columns = [];
  if (keyName) columns.push(keyName);
  for (const record of records) {
    for (const name of Object.keys(record.value)) if (!columns.includes(name)) columns.push(name);
  }
  const table = el("table", null, "records");
  const head = el("tr");
  for (const name of columns) head.appendChild(el("th", name));
  table.appendChild(el("thead")).appendChild(head);
  const body = table.appendChild(el("tbody"));
  for (const record of records) {
    const tr = el("tr");
    for (const name of columns) {
      const text = cellText(name === keyName ? record.key : record.value[name]);
      tr.appendChild(el("td", text, text.length > 48 ? "long" : ""));
    }
    body.appendChild(tr);
  }
  return table;
}

function collection(name, value) {
  const box = el("div", null, "collection");
  box.dataset.collection = name;
  const count = Array.isArray(value) ? value.length : isRecord(value) ? Object.keys(value).length : null;
  box.appendChild(el("h4", count === null ? name : `${name} (${count})`));
  if (Array.isArray(value) && value.length && value.every(isRecord)) {
    box.appendChild(recordsTable(value.map((item) => ({ value: item }))));
  } else if (isRecord(value) && Object.keys(value).length && Object.values(value).every(isRecord)) {
    box.appendChild(recordsTable(Object.entries(value).map(([key, item]) => ({ key, value: item })), "key"));
  } else if (isRecord(value) && Object.keys(value).length) {
    const table = el("table", null, "kv");
    table.appendChild(el("tbody"));
    fillKeyValues(table, Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cellText(item)])));
    box.appendChild(table);
  } else if ((Array.isArray(value) || isRecord(value)) && count === 0) {
    box.appendChild(el("p", "none", "muted"));
  } else {
    box.appendChild(el("p", cellText(value)));
  }
  return box;
}

async function refreshState() {
  const dumps = await api("GET", "state");
  const root = $("state");
  root.replaceChildren();
  for (const [name, dump] of Object.entries(dumps)) {
    const section = el("div", null, "api-state");
    section.dataset.api = name;
    section.appendChild(el("h3", name));
    for (const [key, value] of Object.entries(dump)) section.appendChild(collection(key, value));
    root.appendChild(section);
  }
}

async function refreshFaults() {
  const { data } = await api("GET", "faults");
  const body = document.querySelector("#faults tbody");
  body.replaceChildren();
  for (const fault of data) {
    const tr = el("tr");
    for (const value of [fault.api, fault.operation_id, fault.status, fault.delay_ms, fault.times ?? "every call", fault.ratio, fault.hits]) {
      tr.appendChild(el("td", cellText(value)));
    }
    body.appendChild(tr);
  }
  if (!data.length) {
    const tr = el("tr");
    const td = tr.appendChild(el("td", "none", "muted"));
    td.colSpan = 7;
    body.appendChild(tr);
  }
}

async function refreshSettings() {
  const settings = await api("GET", "settings");
  // Whatever is being typed stays: checked when the answer is in, not before asking.
  if (document.activeElement !== $("settings")) $("settings").value = JSON.stringify(settings, null, 2);
}

async function refreshClock() {
  const clock = await api("GET", "clock");
  $("clock-now").textContent = clock.now;
  $("clock-offset").textContent = `${clock.offset_seconds} s`;
}

async function refreshSessions() {
  // The panel shows while sessions exist (GET /__admin/sessions lists them; 404 on a server
  // without sessions).
  const response = await fetch("sessions", { headers: headers() });
  const section = $("sessions-section");
  if (response.status !== 200) {
    section.hidden = true;
    return;
  }
  const payload = await response.json();
  const sessions = Array.isArray(payload) ? payload : payload.data || [];
  const rows = sessions.map((session) => (isRecord(session) ? session : { id: session }));
  const table = $("sessions");
  if (!rows.length) {
    section.hidden = true;
    return;
  }
  table.replaceChildren(...recordsTable(rows.map((value) => ({ value }))).childNodes);
  section.hidden = false;
}

async function refreshAll() {
  try {
    await Promise.all([refreshState(), refreshFaults(), refreshSettings(), refreshClock(), refreshSessions()]);
    clearError();
  } catch (error) {
    showError(error);
  }
}

let refreshTimer = null;
function scheduleRefresh() {
  // New requests change state and fault counters: refresh once they stop arriving for a moment.
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshAll, 300);
}

function numberOrUndefined(input) {
  return input.value === "" ? undefined : Number(input.value);
}

function showOperationsOf(api) {
  const select = $("fault-operation");
  let first = null;
  for (const option of select.options) {
    option.hidden = option.dataset.api !== api;
    option.disabled = option.hidden;
    if (!option.hidden && !first) first = option;
  }
  if (select.selectedOptions[0] && select.selectedOptions[0].hidden && first) first.selected = true;
}

async function act(action) {
  let failure = null;
  try {
    await action();
  } catch (error) {
    failure = error;
  }
  await refreshAll();
  if (failure) showError(failure); // after the refresh, which clears the errors of earlier calls
}

function wire() {
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value);
    $("token-input").value = "";
    $("token-form").hidden = true;
    document.dispatchEvent(new Event("mockserver-token"));
    refreshAll();
  });
  for (const id of ["filter-api", "filter-operation", "filter-status", "filter-text"]) {
    $(id).addEventListener("input", applyFilters);
  }
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("clear-journal").addEventListener("click", () => act(() => api("DELETE", "requests")));
  $("refresh-state").addEventListener("click", refreshAll);
  $("fault-api").addEventListener("change", () => showOperationsOf($("fault-api").value));
  showOperationsOf($("fault-api").value);
  $("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const fault = {
      api: $("fault-api").value,
      operation_id: $("fault-operation").value,
      status: numberOrUndefined($("fault-status")),
      delay_ms: numberOrUndefined($("fault-delay")),
      times: numberOrUndefined($("fault-times")),
      ratio: numberOrUndefined($("fault-ratio")),
    };
    for (const key of Object.keys(fault)) if (fault[key] === undefined) delete fault[key];
    act(() => api("POST", "faults", fault));
  });
  $("clear-faults").addEventListener("click", () => act(() => api("DELETE", "faults")));
  $("settings-form").addEventListener("submit", (event) => {
    event.preventDefault();
    let patch;
    try {
      patch = JSON.parse($("settings").value);
    } catch (error) {
      showError(new Error("the settings are not valid JSON: " + error.message));
      return;
    }
    $("settings").blur();
    act(() => api("PATCH", "settings", patch));
  });
  $("clock-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => api("POST", "clock", { advance_seconds: Number($("clock-advance").value) }));
  });
}

takeTokenFromFragment();
wire();
refreshAll();
followJournal();

/* The desk's keyboard shortcuts and the table's self-refresh. Plain script, no eval
   (the Content-Security-Policy allows only this origin's files).
   j/k move, o/Enter open, a take the ticket, r reply, ? shortcut list. Keys act only
   outside form fields and without Ctrl/Alt/Cmd, and can be switched off (localStorage). */
(function () {
  "use strict";
  var OFF_KEY = "desk-shortcuts-off";

  function shortcutsOff() {
    try { return window.localStorage.getItem(OFF_KEY) === "1"; } catch (e) { return false; }
  }

  function inField(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#desk-table tr[data-ticket]"));
  }

  function currentRow() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("#desk-table tr[data-ticket]") : null;
  }

  function focusRow(row) {
    var link = row && row.querySelector("a.desk-open");
    if (link) { link.focus(); row.scrollIntoView({ block: "nearest" }); }
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.indexOf(currentRow());
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    focusRow(all[next]);
  }

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function take() {
    var single = document.getElementById("take");
    if (single) { single.submit(); return; }
    var row = currentRow();
    if (!row) return;
    var form = document.createElement("form");
    form.method = "post";
    form.action = row.getAttribute("data-take-url");
    var fields = { csrf_token: csrfToken(), version: row.getAttribute("data-version"),
      seen: row.getAttribute("data-seen") || "",
      next: window.location.pathname + window.location.search };
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = name; input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function reply() {
    var box = document.querySelector("#reply textarea");
    if (box) { box.focus(); }
  }

  function openSelected() {
    var row = currentRow();
    var link = row && row.querySelector("a.desk-open");
    if (link) window.location.href = link.href;
  }

  function cheatSheet() {
    var sheet = document.getElementById("shortcuts");
    if (!sheet) return;
    sheet.open = true;
    sheet.querySelector("summary").focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (inField(document.activeElement) || shortcutsOff()) return;
    var actions = { j: function () { move(1); }, k: function () { move(-1); }, o: openSelected,
      a: take, r: reply, "?": cheatSheet };
    var action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  /* The table refreshes itself every minute, unless the agent is busy with it: a ticket
     ticked, or focus inside the table or the bulk form. After the swap the focused row
     gets focus back. */
  function mayRefresh() {
    if (document.hidden) return false;
    if (document.querySelector('#desk-table input[type="checkbox"]:checked')) return false;
    var active = document.activeElement;
    if (active && active.closest && active.closest("#desk-table, #bulk, .desk-filter")) return false;
    return true;
  }

  function startRefresh() {
    var table = document.getElementById("desk-table");
    if (!table || !window.htmx) return;
    var seconds = parseInt(table.getAttribute("data-refresh-seconds"), 10) || 60;
    window.setInterval(function () {
      var current = document.getElementById("desk-table");
      if (current && mayRefresh()) window.htmx.trigger(current, "desk-refresh");
    }, seconds * 1000);
  }

  function setUpToggle() {
    var box = document.getElementById("shortcuts-off");
    if (!box) return;
    box.checked = shortcutsOff();
    box.addEventListener("change", function () {
      try { window.localStorage.setItem(OFF_KEY, box.checked ? "1" : "0"); } catch (e) { /* private mode */ }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { startRefresh(); setUpToggle(); });
  } else {
    startRefresh(); setUpToggle();
  }
})();

// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // The meeting form: show the reason field only for members marked excused, and focus it.
  function syncReason(row) {
    var excused = row.querySelector('input[value="excused"]');
    var reason = row.querySelector(".reason");
    if (!excused || !reason) return;
    reason.hidden = !excused.checked;
  }
  document.querySelectorAll(".roster li").forEach(function (row) {
    syncReason(row);
    row.addEventListener("change", function (event) {
      syncReason(row);
      if (event.target.value === "excused") {
        var input = row.querySelector(".reason input");
        if (input) input.focus();
      }
    });
  });
  // A committee meeting on its own expects the committee, a group meeting the group: list only
  // them. Rows of others are hidden and disabled, so they are not sent; without script the
  // server leaves them out of the record in the same way.
  var roster = document.querySelector(".roster");
  function expectedTag() {
    var kinds = Array.prototype.map.call(document.querySelectorAll('input[name="kind"]:checked'), function (box) { return box.value; });
    if (kinds.length === 1 && kinds[0] === "committee_meeting" && document.querySelector('.roster li[data-tags~="committee"]')) return "committee";
    var group = document.getElementById("group_id");
    if (kinds.indexOf("group_meeting") >= 0 && group && group.value) return "group-" + group.value;
    return null;
  }
  function filterRoster() {
    if (!roster) return;
    var tag = expectedTag();
    roster.querySelectorAll("li").forEach(function (row) {
      var shown = !tag || (" " + row.dataset.tags + " ").indexOf(" " + tag + " ") >= 0;
      row.hidden = !shown;
      row.querySelectorAll("input").forEach(function (input) { input.disabled = !shown; });
    });
  }
  document.querySelectorAll('input[name="kind"], #group_id').forEach(function (control) {
    control.addEventListener("change", filterRoster);
  });
  filterRoster();
  // "All present" resets every row in one tap.
  document.querySelectorAll("[data-all-present]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      document.querySelectorAll('.roster input[value="present"]').forEach(function (radio) {
        radio.checked = true;
        syncReason(radio.closest("li"));
      });
    });
  });
  // "Add another vote": reveal the next hidden resolution row.
  document.querySelectorAll("[data-add-resolution]").forEach(function (button) {
    var hiddenRows = document.querySelectorAll(".resolution[data-spare]");
    hiddenRows.forEach(function (row) { row.hidden = true; });
    if (hiddenRows.length) button.hidden = false;
    button.addEventListener("click", function () {
      var next = document.querySelector(".resolution[data-spare][hidden]");
      if (next) { next.hidden = false; var input = next.querySelector("input"); if (input) input.focus(); }
      if (!document.querySelector(".resolution[data-spare][hidden]")) button.hidden = true;
    });
  });
  // A form is sent once: a second tap while the first is on its way does nothing. The server
  // also refuses a second meeting through the form's idempotency key.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
})();

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

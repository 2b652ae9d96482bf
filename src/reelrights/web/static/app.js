// reelrights web UI: collapsible grid regions, cell tooltips on hover and focus, and the
// deal form's live avails check. Plain JavaScript, no build step.
(function () {
  "use strict";

  // Grid regions fold and unfold (keyboard: the toggle is a button).
  document.querySelectorAll(".toggle[data-region]").forEach(function (button) {
    button.addEventListener("click", function () {
      var rows = document.getElementById("region-" + button.dataset.region);
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      rows.hidden = open;
    });
  });

  // A cell's reason and contract on hover or keyboard focus.
  var tip = document.getElementById("tip");
  if (tip) {
    var show = function (event) {
      var cell = event.target.closest(".cell");
      if (!cell) return;
      tip.textContent = cell.getAttribute("aria-label");
      tip.hidden = false;
      var box = cell.getBoundingClientRect();
      tip.style.left = Math.min(box.left, window.innerWidth - 370) + "px";
      tip.style.top = box.bottom + 6 + "px";
    };
    var hide = function () { tip.hidden = true; };
    document.addEventListener("mouseover", show);
    document.addEventListener("focusin", show);
    document.addEventListener("mouseout", hide);
    document.addEventListener("focusout", hide);
  }

  // The deal form: every change is checked against avails, nothing stored.
  var form = document.getElementById("deal");
  if (form) {
    var target = document.querySelector(form.dataset.target);
    var timer = null;
    // Each problem of the check also shows beside the input it concerns.
    var markFields = function () {
      form.querySelectorAll(".field-problem.live").forEach(function (el) { el.remove(); });
      form.querySelectorAll("[aria-invalid]").forEach(function (input) {
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      });
      target.querySelectorAll("[data-field]").forEach(function (item) {
        var input = form.querySelector("[name='" + item.dataset.field + "']");
        if (!input) return;
        var note = document.createElement("span");
        note.className = "field-problem live";
        note.id = "live-problem-" + item.dataset.field;
        note.textContent = item.textContent;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", note.id);
        input.after(note);
      });
    };
    var check = function () {
      fetch(form.dataset.check, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (answer) { return answer.text(); })
        .then(function (html) { target.innerHTML = html; markFields(); })
        .catch(function () { target.textContent = "The check could not run; try again."; });
    };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 350);
    });
    form.addEventListener("change", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 50);
    });
    // "Add a grant", "Add a holdback", ...: a copy of the group's last row, emptied.
    form.querySelectorAll(".add-row").forEach(function (button) {
      button.addEventListener("click", function () {
        var group = button.dataset.group;
        var rows = form.querySelectorAll(".item[data-group='" + group + "']");
        var last = rows[rows.length - 1];
        var index = rows.length;
        var copy = last.cloneNode(true);
        var prefix = new RegExp("^" + group + "-\\d+-");
        copy.dataset.index = index;
        copy.querySelectorAll(".field-problem").forEach(function (el) { el.remove(); });
        copy.querySelectorAll("input, select").forEach(function (input) {
          input.name = input.name.replace(prefix, group + "-" + index + "-");
          input.removeAttribute("aria-invalid");
          input.removeAttribute("aria-describedby");
          if (input.type === "checkbox") { input.checked = false; }
          else if (input.tagName === "SELECT") { input.selectedIndex = 0; }
          else { input.value = ""; }
        });
        copy.querySelectorAll(".picker-list").forEach(function (list) { list.hidden = true; });
        last.after(copy);
        if (window.reelrightsPick) window.reelrightsPick();  // the copied pickers' own ids
        form.querySelector("[name=" + group + "_count]").value = index + 1;
        copy.querySelector("input, select").focus();
      });
    });
  }
})();

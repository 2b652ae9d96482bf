// reelrights pickers: choices under a text field as you type (titles, media, territories,
// parties), from GET /ui/pick/KIND. The field stays a plain text field: a choice writes
// its code into it, and whatever is typed by hand is sent as typed. ARIA 1.2 combobox:
// arrows move through the choices, Enter takes one, Escape closes the list.
(function () {
  "use strict";
  if (window.reelrightsPickers) return;
  window.reelrightsPickers = true;

  // The part of the field a choice replaces: after the last comma of a list, after
  // "except" in "WORLD except CN, H", else the whole field.
  function tokenOf(input) {
    var text = input.value;
    var from = 0;
    if (input.dataset.multiple || input.dataset.separator) {
      var marks = input.dataset.separator ? [input.dataset.separator.trim()] : [",", ";"];
      from = Math.max.apply(null, marks.map(function (mark) { return text.lastIndexOf(mark); })) + 1;
    }
    var rest = text.slice(from);
    var except = rest.search(/\bexcept\s/i);
    if (except >= 0) from += except + rest.slice(except).match(/^except\s+/i)[0].length;
    var lead = text.slice(from).match(/^\s*/)[0].length;
    return { from: from + lead, text: text.slice(from + lead) };
  }

  var made = new WeakSet();
  var copies = 0;

  function setup(input) {
    var box = input.closest(".picker");
    var list = box.querySelector(".picker-list");
    var status = box.querySelector("[role=status]");
    if (document.querySelectorAll("[id='" + input.id + "']").length > 1) {
      // a copied field (a new grant row): its own ids, so the label and list stay its own
      var label = input.closest(".picker-field").querySelector("label[for='" + input.id + "']");
      input.id = input.id + "-copy" + (++copies);
      if (label) label.htmlFor = input.id;
      list.id = input.id + "-list";
      status.id = input.id + "-status";
      input.setAttribute("aria-controls", list.id);
      list.textContent = "";
      list.hidden = true;
    }
    var kind = input.dataset.picker;
    var timer = null;
    var asked = 0;
    var options = [];
    var active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(option) {
      var token = tokenOf(input);
      var value = option.dataset.value;
      var head = input.value.slice(0, token.from);
      input.value = head + value + (input.dataset.separator || (input.dataset.multiple ? ", " : ""));
      close();
      input.focus();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function render(answer) {
      list.textContent = "";
      options = [];
      var groups = {};
      answer.items.forEach(function (item, i) {
        var box = groups[item.group];
        if (!box) {
          box = document.createElement("div");
          box.setAttribute("role", "group");
          box.className = "picker-group";
          var heading = document.createElement("div");
          heading.className = "picker-heading";
          heading.id = input.id + "-g-" + Object.keys(groups).length;
          heading.setAttribute("role", "presentation");
          heading.textContent = item.group;
          box.setAttribute("aria-labelledby", heading.id);
          box.appendChild(heading);
          groups[item.group] = box;
          list.appendChild(box);
        }
        var option = document.createElement("div");
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.id = input.id + "-o-" + i;
        option.className = "picker-option depth-" + item.depth;
        option.dataset.value = item.value;
        var label = document.createElement("span");
        label.className = "picker-label";
        label.textContent = item.label;
        var detail = document.createElement("span");
        detail.className = "picker-detail";
        detail.textContent = item.detail;
        option.appendChild(label);
        option.appendChild(detail);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the field
          choose(option);
        });
        box.appendChild(option);
        options.push(option);
      });
      var more = answer.total > answer.items.length ? " (of " + answer.total + "; type more to narrow)" : "";
      status.textContent = answer.items.length ? answer.items.length + " choices" + more : "no choice matches";
      if (!answer.items.length) { close(); return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    function ask() {
      var token = tokenOf(input);
      var number = ++asked;
      var url = "/ui/pick/" + encodeURIComponent(kind) + "?limit=50&q=" + encodeURIComponent(token.text.slice(0, 200));
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (answer) {
          if (number !== asked || document.activeElement !== input) return;
          if (answer) render(answer); else close();
        })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("focus", function () {
      if (!input.value || (input.dataset.multiple || input.dataset.separator) && /[,;]\s*$/.test(input.value)) {
        clearTimeout(timer);
        timer = setTimeout(ask, 150);
      }
    });
    input.addEventListener("blur", function () { clearTimeout(timer); asked++; close(); });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && options.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { ask(); return; }
        highlight(Math.min(active + 1, options.length - 1));
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(options[active]);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
  }

  function start() {
    document.querySelectorAll("input[data-picker]").forEach(function (input) {
      if (!made.has(input)) {
        made.add(input);
        setup(input);
      }
    });
  }
  // Fields added later (a copied grant row) are set up by calling this again.
  window.reelrightsPick = start;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// The avails grid: a cell's day ranges open in the side panel without reloading the page
// (the grid stays where it is, the focus stays on the cell), and the arrow keys move
// between cells (Home and End to a row's ends).
(function () {
  "use strict";
  var cells = document.getElementById("grid-cells");
  var panel = document.getElementById("detail-panel");
  if (!cells || !panel) return;
  var body = document.getElementById("detail-body");
  var opened = null; // the cell whose day ranges are shown

  document.getElementById("detail-close").addEventListener("click", function () {
    panel.hidden = true;
    if (opened) opened.focus();
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { panel.hidden = true; if (opened) opened.focus(); }
  });

  cells.addEventListener("click", function (event) {
    var cell = event.target.closest("button.cell");
    if (!cell) return;
    event.preventDefault();
    var url = cells.dataset.cellUrl + "&cell=" + encodeURIComponent(cell.value);
    panel.setAttribute("aria-busy", "true");
    opened = cell;
    fetch(url, { credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok) throw new Error(answer.status);
        return answer.text();
      })
      .then(function (html) {
        body.innerHTML = html;
        panel.hidden = false;
        cells.querySelectorAll("button.cell[aria-current]").forEach(function (b) { b.removeAttribute("aria-current"); });
        cell.setAttribute("aria-current", "true");
      })
      .catch(function () {
        body.textContent = "The day ranges could not be read; try again.";
        panel.hidden = false;
      })
      .then(function () { panel.removeAttribute("aria-busy"); });
  });

  // The rows a person can see now (folded regions are skipped).
  function rows() {
    return Array.prototype.filter.call(cells.querySelectorAll("tbody.region-rows tr"), function (row) {
      return !row.parentElement.hidden;
    });
  }

  cells.addEventListener("keydown", function (event) {
    var cell = event.target.closest("button.cell");
    if (!cell) return;
    var row = cell.closest("tr");
    var inRow = Array.prototype.slice.call(row.querySelectorAll("button.cell"));
    var column = inRow.indexOf(cell);
    var target = null;
    if (event.key === "ArrowRight") target = inRow[column + 1];
    else if (event.key === "ArrowLeft") target = inRow[column - 1];
    else if (event.key === "Home") target = inRow[0];
    else if (event.key === "End") target = inRow[inRow.length - 1];
    else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var visible = rows();
      var at = visible.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1);
      if (at >= 0 && at < visible.length) {
        var other = visible[at].querySelectorAll("button.cell");
        target = other[Math.min(column, other.length - 1)];
      }
    } else {
      return;
    }
    event.preventDefault();
    if (target) target.focus();
  });
})();

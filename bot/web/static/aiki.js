// A little help on top of plain forms; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before a form that forgets or changes something is sent (its button says data-confirm="...").
  for (const button of document.querySelectorAll("button[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  }
  // "Select all" for the lists where many rows can be chosen at once.
  for (const all of document.querySelectorAll("input[data-select-all]")) {
    all.addEventListener("change", () => {
      for (const box of document.querySelectorAll(`input[name="${all.dataset.selectAll}"]`)) box.checked = all.checked;
    });
  }
});

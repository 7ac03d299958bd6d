// The organisation tree: a node's button opens and closes the list of the organisations below it and says
// which (aria-expanded; the glyph ▸ closed, ▾ open). htmx fetches the list on the first click
// (hx-trigger="click once"); later clicks only show or hide it. Every button gets the tree's one label
// (data-label), which would otherwise be repeated in the HTML of each of a province's hundreds of nodes.
"use strict";

(function () {
  const tree = document.getElementById("tree");
  if (!tree) return;

  function name(root) {
    root.querySelectorAll("button.toggle:not([aria-label])").forEach((button) => {
      button.setAttribute("aria-label", tree.dataset.label || "");
      button.title = tree.dataset.label || "";
    });
  }

  tree.addEventListener("click", (event) => {
    const button = event.target.closest("button.toggle");
    if (!button || !tree.contains(button)) return;
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "▾" : "▸";
    const list = document.getElementById(button.getAttribute("aria-controls"));
    if (list) list.hidden = !open;
  });

  // The children htmx loads get their buttons named too.
  document.body.addEventListener("htmx:afterSwap", (event) => name(event.detail.target));
  name(tree);
})();

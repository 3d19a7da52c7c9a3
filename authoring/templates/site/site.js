/* digest site: the search box (Pagefind's UI over the index in pagefind/: one bundle a month, merged) and, on a
   day page, the category filter. Progressive enhancement only: without this script every page shows every paper. */
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  if (window.PagefindUI && box) {
    fetch("pagefind/bundles.json").then(function (answer) { return answer.json(); }).then(function (found) {
      // Every page sits at the site's top: its folder is the site's root, on any path of any static host.
      var root = new URL(".", window.location.href).pathname;
      var bundles = found.bundles.map(function (month) { return root + "pagefind/" + month + "/"; });
      if (!bundles.length) return;
      new PagefindUI({
        element: "#search", showSubResults: true, showImages: false, bundlePath: bundles[0], baseUrl: root,
        mergeIndex: bundles.slice(1).map(function (bundle) { return { bundlePath: bundle, baseUrl: root }; })
      });
    });
  }
  var select = document.getElementById("category-filter");
  if (!select) return;
  select.closest(".filter").hidden = false;
  select.addEventListener("change", function () {
    document.querySelectorAll("[data-categories]").forEach(function (paper) {
      paper.hidden = select.value !== "" && paper.dataset.categories.split(" ").indexOf(select.value) < 0;
    });
  });
});

/* digest site: the search box (Pagefind's UI over the index in pagefind/) and, on a day page, the category filter.
   Progressive enhancement only: without this script every page shows every paper. */
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  if (window.PagefindUI && document.getElementById("search")) {
    // Pagefind links results under the folder its bundle is served from: any path of any static host works.
    new PagefindUI({ element: "#search", showSubResults: true, showImages: false });
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

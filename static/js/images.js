// Product images live on the merchant's CDN, which may be unreachable: swap a broken image for the
// local placeholder. Capturing on document catches errors of images not yet parsed when this runs.
(function () {
  "use strict";
  var PLACEHOLDER = "/static/img/placeholder.svg";

  function useFallback(img) {
    if (!img || img.dataset.fallbackApplied) return;
    img.dataset.fallbackApplied = "1";
    img.classList.add("product-img--placeholder");
    img.removeAttribute("srcset");
    img.src = PLACEHOLDER;
  }

  document.addEventListener("error", function (event) {
    var target = event.target;
    if (target && target.tagName === "IMG" && target.hasAttribute("data-fallback")) useFallback(target);
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("img[data-fallback]").forEach(function (img) {
      if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) useFallback(img);
    });
  });

  window.shopImages = { useFallback: useFallback };
})();

// The scoring page, made quicker with JavaScript (everything works without it):
// - the weighted total follows the scores as they are typed, by the same rule as the server
//   (portal/review/score_sheet.py running_total: 100 × Σ(weight × score / max) / Σweight,
//   two decimals rounded half up, an empty or invalid score counting as 0);
// - "Show here" swaps the document frame in place instead of reloading the page, so nothing
//   typed is lost.
(function () {
  "use strict";

  function parseScore(text) {
    var normal = (text || "").normalize("NFKC").trim().replace(/。/g, ".");
    if (!/^(\d+\.?\d*|\.\d+)$/.test(normal)) return null;
    return Number(normal);
  }

  function isValid(score, max) {
    return score !== null && score >= 0 && score <= max && (score * 2) % 1 === 0;
  }

  function roundHalfUp(value) {
    // A tiny nudge so that an exact ...5 stored as ...4999 still rounds up, as Decimal does.
    return (Math.round(value * 100 + 1e-7) / 100).toFixed(2);
  }

  function setUpTotal(form) {
    var box = document.querySelector("[data-scoring-total]");
    if (!box) return;
    var valueEl = box.querySelector("[data-total-value]");
    var countEl = box.querySelector("[data-total-count]");
    var inputs = Array.prototype.slice.call(form.querySelectorAll("input[data-weight]"));

    function update() {
      var weighted = 0;
      var totalWeight = 0;
      var scored = 0;
      inputs.forEach(function (input) {
        var weight = Number(input.getAttribute("data-weight"));
        var max = Number(input.getAttribute("data-max"));
        totalWeight += weight;
        var score = parseScore(input.value);
        if (isValid(score, max)) {
          weighted += (weight * score) / max;
          scored += 1;
        }
      });
      valueEl.textContent = totalWeight > 0 ? roundHalfUp((100 * weighted) / totalWeight) : "—";
      countEl.textContent = countEl
        .getAttribute("data-template")
        .replace("{scored}", String(scored))
        .replace("{of}", String(inputs.length));
    }

    inputs.forEach(function (input) {
      input.addEventListener("input", update);
    });
    update();
  }

  function setUpViewer() {
    var frame = document.getElementById("document-viewer");
    if (!frame) return;
    var links = document.querySelectorAll("a[data-viewer-src]");
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        frame.src = link.getAttribute("data-viewer-src");
        frame.title = link.getAttribute("data-viewer-title");
        Array.prototype.forEach.call(links, function (other) {
          other.removeAttribute("aria-current");
          var item = other.closest("[data-doc-item]");
          if (item) item.classList.remove("reading-docs__item--shown");
        });
        link.setAttribute("aria-current", "true");
        var item = link.closest("[data-doc-item]");
        if (item) item.classList.add("reading-docs__item--shown");
        frame.scrollIntoView({ block: "nearest" });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-scoring-form]");
    if (form) setUpTotal(form);
    setUpViewer();
  });
})();

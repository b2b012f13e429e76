// Polls an export's status and moves the progress bar; shows the download link when done.
(function () {
  "use strict";
  var box = document.querySelector("[data-export-status-url]");
  if (!box) return;
  var labels = document.getElementById("export-labels").dataset;
  var bar = box.querySelector("[data-export-bar]");
  var label = box.querySelector("[data-export-label]");
  var count = box.querySelector("[data-export-count]");
  var error = box.querySelector("[data-export-error]");
  var download = box.querySelector("[data-export-download]");
  var link = box.querySelector("[data-export-link]");

  function show(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    label.textContent = labels[state.status] || state.status;
    count.textContent = labels.steps
      .replace("{done}", state.done)
      .replace("{total}", state.total);
    if (state.error) {
      error.textContent = state.error;
      error.hidden = false;
    }
    if (state.download_url) {
      link.href = state.download_url;
      download.hidden = false;
    }
    return state.status === "queued" || state.status === "running";
  }

  function poll() {
    fetch(box.dataset.exportStatusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (state) { if (show(state)) window.setTimeout(poll, 700); })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  if (download.hidden && error.hidden) poll();
})();

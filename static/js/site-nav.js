// On a phone the main navigation folds behind a "Menu" button, so that the page starts near
// the top of the screen; the stylesheet shows the button below 40rem only. Without script the
// button stays hidden and the navigation stays open.
(function () {
  "use strict";
  var toggle = document.querySelector("[data-nav-toggle]");
  if (!toggle) return;
  var list = document.getElementById(toggle.getAttribute("aria-controls"));
  if (!list) return;
  document.documentElement.classList.add("has-nav-toggle");
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    list.classList.toggle("is-open", open);
  });
})();

// Progressive enhancement of the one-page intake form (no inline script, no CDN).
// Without JavaScript the page still works with the rows the server rendered.
(function () {
  "use strict";

  function addRow(prefix) {
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var container = document.querySelector('[data-formset="' + prefix + '"]');
    var template = document.querySelector('template[data-template-for="' + prefix + '"]');
    if (!total || !container || !template) { return; }
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement(container.tagName === "TBODY" ? "tbody" : "div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    var number = row.querySelector("[data-member-no]");
    if (number) { number.textContent = String(index + 1); }
    container.appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("input:not([type=hidden]), select");
    if (first) { first.focus(); }
  }

  function toggleEmergency() {
    var box = document.querySelector('input[name="assistance_types"][value="emergency"]');
    var fields = document.querySelector("[data-emergency-fields]");
    if (!box || !fields) { return; }
    fields.classList.toggle("is-hidden", !box.checked);
  }

  function syncSignedDate(event) {
    var box = event.target;
    if (!box.name || !/-auth_signed$/.test(box.name) || !box.checked) { return; }
    var date = document.querySelector('[name="' + box.name + '_on"]');
    if (date && !date.value) { date.value = new Date().toISOString().slice(0, 10); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add]");
    if (button) { event.preventDefault(); addRow(button.getAttribute("data-add")); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.name === "assistance_types") { toggleEmergency(); }
    syncSignedDate(event);
  });
  document.addEventListener("DOMContentLoaded", toggleEmergency);
})();

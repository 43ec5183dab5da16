// Progressive enhancement for the editor's event form: precision chips show only the date
// parts they use, a live preview renders through the server's own card partial, and
// sources get an "add a row" button. Without this script the form works the same.
(function () {
  'use strict';
  var form = document.querySelector('form.event-form');
  if (!form) return;

  var PARTS = { year: ['year'], month: ['year', 'month'], day: ['year', 'month', 'day'], minute: ['year', 'month', 'day', 'time'] };
  function applyPrecision() {
    var checked = form.querySelector('input[name="precision"]:checked');
    var used = PARTS[checked ? checked.value : 'day'];
    form.querySelectorAll('.date-part').forEach(function (el) {
      var part = el.className.replace(/.*date-part--(\w+).*/, '$1');
      el.hidden = used.indexOf(part) < 0;
    });
  }
  form.querySelectorAll('input[name="precision"]').forEach(function (r) { r.addEventListener('change', applyPrecision); });
  applyPrecision();

  var target = document.querySelector('[data-preview-target]');
  var url = form.getAttribute('data-preview');
  var timer = 0;
  var seq = 0;
  function refreshPreview() {
    if (!url || !target) return;
    var mine = ++seq;
    var body = new URLSearchParams(new FormData(form));
    fetch(url, { method: 'POST', body: body, credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && mine === seq) target.innerHTML = data.html; })
      .catch(function () {});
  }
  form.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 300);
  });
  form.addEventListener('change', function () {
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 100);
  });

  var sources = form.querySelector('fieldset.sources');
  if (sources) {
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = sources.getAttribute('data-add-label') || '+';
    button.className = 'add-source';
    button.addEventListener('click', function () {
      var rows = sources.querySelectorAll('.source-row');
      var last = rows[rows.length - 1];
      var index = rows.length;
      var copy = last.cloneNode(true);
      copy.querySelectorAll('.field-error').forEach(function (e) { e.remove(); });
      copy.querySelectorAll('input, label').forEach(function (el) {
        ['id', 'for', 'name'].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/(\d+)(?!.*\d)/, String(index)).replace(/sources\[\d+\]/, 'sources[' + index + ']'));
        });
        if (el.tagName === 'INPUT') { el.value = ''; el.removeAttribute('aria-invalid'); }
      });
      last.after(copy);
      copy.querySelector('input').focus();
    });
    sources.appendChild(button);
  }

  var summary = document.getElementById('f-errors');
  if (summary) summary.focus();
})();

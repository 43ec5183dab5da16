// The embed panel: a copy button beside each snippet, and the preview frame sized like a host would.
(function () {
  'use strict';
  document.querySelectorAll('textarea[data-copy]').forEach(function (area) {
    if (!navigator.clipboard) return;
    var button = document.createElement('button');
    button.type = 'button';
    button.textContent = document.documentElement.lang === 'fr' ? 'Copier' : 'Copy';
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(area.value).then(function () { button.textContent = '✓'; });
    });
    area.after(button);
  });
  var frame = document.querySelector('iframe[data-chrono-frame]');
  window.addEventListener('message', function (e) {
    if (e.origin !== location.origin || !frame || e.source !== frame.contentWindow) return;
    var h = e.data && e.data.sentinel === 'amp' && e.data.type === 'embed-size' ? e.data.height : null;
    if (typeof h === 'number' && isFinite(h)) frame.style.height = Math.min(5000, Math.max(80, h)) + 'px';
  });
})();

// For publishers: replaces each <div data-chrono="<story URL>"> with a live Chrono iframe that
// keeps the height of its content. Only messages from Chrono's own frames are believed.
(function () {
  'use strict';
  var script = document.currentScript;
  var origin = new URL(script ? script.src : '/', location.href).origin;
  var OPTIONS = ['limit', 'order', 'tags', 'key', 'theme', 'lang', 'asof'];
  var MIN = 80;
  var MAX = 50000;

  function frames() { return Array.prototype.slice.call(document.querySelectorAll('iframe[data-chrono-frame]')); }

  function upgrade(el) {
    var story;
    try { story = new URL(el.getAttribute('data-chrono'), location.href); } catch (e) { return; }
    if (story.origin !== origin) return;
    var match = /^\/stories\/([^/]+)(\/events\/[^/]+)?\/?$/.exec(story.pathname);
    if (!match) return;
    var src = new URL('/embed/' + match[1] + (match[2] || ''), origin);
    OPTIONS.forEach(function (k) { var v = el.getAttribute('data-' + k); if (v) src.searchParams.set(k, v); });
    var hash = location.hash || story.hash;
    if (hash) src.hash = hash;
    var iframe = document.createElement('iframe');
    iframe.src = src.href;
    iframe.title = (el.textContent || '').trim() || 'Chrono';
    iframe.setAttribute('data-chrono-frame', '');
    if (!hash) iframe.setAttribute('loading', 'lazy'); // a deep-linked embed must load to scroll to
    iframe.setAttribute('scrolling', 'no');
    iframe.style.cssText = 'display:block;width:100%;border:0;height:' + (Number(el.getAttribute('data-height')) || 400) + 'px';
    el.replaceWith(iframe);
  }

  function heightOf(data) {
    var h;
    if (data && typeof data === 'object') {
      if (data.sentinel === 'amp' && data.type === 'embed-size') h = data.height;
      else if (data.message === 'height') h = data.value;
    } else if (typeof data === 'string') {
      var parts = data.split('xPYMx');
      if (parts.length === 3 && parts[1] === 'height' && /^\d+$/.test(parts[2])) h = Number(parts[2]);
    }
    return typeof h === 'number' && isFinite(h) ? Math.min(MAX, Math.max(MIN, Math.round(h))) : null;
  }

  window.addEventListener('message', function (e) {
    if (e.origin !== origin) return;
    var frame = frames().filter(function (f) { return f.contentWindow === e.source; })[0];
    if (!frame) return;
    if (e.data && e.data.sentinel === 'chrono' && e.data.type === 'scroll-to') {
      if (!location.hash || typeof e.data.top !== 'number' || !isFinite(e.data.top)) return;
      window.scrollTo({ top: frame.getBoundingClientRect().top + window.scrollY + Math.max(0, e.data.top) - 40 });
      return;
    }
    var h = heightOf(e.data);
    if (h !== null && frame.style.height !== h + 'px') frame.style.height = h + 'px';
  });

  function run() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-chrono]'), upgrade);
    // frames already there (pasted oEmbed HTML) may have reported their size before this ran
    frames().forEach(function (f) { if (f.contentWindow) f.contentWindow.postMessage({ sentinel: 'chrono', type: 'size-request' }, origin); });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run);
  else run();
})();

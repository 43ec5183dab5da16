// Inside an embed: tell the host page how tall the content is, in the formats hosts already
// understand (pym.js, AMP embed-size, WordPress), and where a deep-linked event sits.
(function () {
  'use strict';
  if (window.parent === window) return;
  var childId = new URLSearchParams(location.search).get('childId') || '';
  var last = 0;
  function post() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (!height || height === last) return;
    last = height;
    window.parent.postMessage({ sentinel: 'amp', type: 'embed-size', height: height }, '*');
    window.parent.postMessage({ message: 'height', value: height }, '*');
    window.parent.postMessage('pym' + childId + 'xPYMxheightxPYMx' + height, '*');
  }
  if ('ResizeObserver' in window) new ResizeObserver(post).observe(document.documentElement);
  window.addEventListener('load', post);
  window.addEventListener('message', function (e) {
    if (e.source === window.parent && e.data && e.data.sentinel === 'chrono' && e.data.type === 'size-request') { last = 0; post(); }
  });
  post();
  var id = '';
  try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { /* not an event id */ }
  var target = id && document.getElementById(id);
  if (target && target.tagName === 'ARTICLE') {
    target.classList.add('is-highlighted');
    window.addEventListener('load', function () {
      window.parent.postMessage({ sentinel: 'chrono', type: 'scroll-to', top: Math.round(target.getBoundingClientRect().top + window.scrollY) }, '*');
    });
  }
})();

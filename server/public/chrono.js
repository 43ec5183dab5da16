// The chronology page, enhanced: live arrivals over Server-Sent Events (or polling), filters
// without reload, "new since your last visit", relative times, a time-zone toggle and
// copyable permalinks. The page is complete without it; cards always come from the server.
(function () {
  'use strict';
  var root = document.getElementById('chronology');
  if (!root) return;

  var slug = root.dataset.slug;
  var version = Number(root.dataset.version);
  var labels = JSON.parse(root.dataset.labels);
  var lang = root.dataset.lang;
  var storyZone = root.dataset.zone;
  var filter = JSON.parse(root.dataset.filter);
  var reduced = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  var seenKey = 'chrono:seen:' + slug;
  var pill = document.querySelector('[data-pill]');
  var announcer = document.querySelector('[data-announce]');
  var baseTitle = document.title;
  var unseen = [];
  var hiddenCount = 0;

  function plural(forms, n) { return (n === 1 ? forms[0] : forms[1]).replace('{n}', n); }
  function fold(s) { return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase(); }
  function compare(a, b) {
    var x = a.split('|'), y = b.split('|');
    return (Number(x[0]) - Number(y[0])) || (Number(x[1]) - Number(y[1])) || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0);
  }
  function fromHtml(html) {
    var t = document.createElement('template');
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }
  function itemOf(id) {
    var el = document.getElementById(id);
    return el && el.tagName === 'ARTICLE' ? el.closest('li') : null;
  }
  function matches(m) {
    if (filter.keyOnly && !m.key) return false;
    if (filter.verification && m.verification !== filter.verification) return false;
    var tags = m.tags.map(fold);
    if (!filter.tags.every(function (t) { return tags.indexOf(fold(t)) >= 0; })) return false;
    var text = fold(m.text);
    return fold(filter.q || '').split(/\s+/).filter(Boolean).every(function (w) { return text.indexOf(w) >= 0; });
  }
  function announce(text) { if (announcer) announcer.textContent = text; }

  // ---- live arrivals ------------------------------------------------------------------
  function place(payload) {
    var desc = root.dataset.order === 'desc';
    var section = root.querySelector('section[data-group="' + payload.section.key + '"]');
    if (!section) {
      section = fromHtml(payload.section.html);
      var after = null;
      root.querySelectorAll('section[data-group]').forEach(function (s) {
        var before = desc ? s.dataset.group > payload.section.key : s.dataset.group < payload.section.key;
        if (before) after = s;
      });
      var empty = root.querySelector('.empty');
      if (empty) empty.remove();
      if (after) after.after(section);
      else {
        var first = root.querySelector('section[data-group]');
        if (first) first.before(section); else root.appendChild(section);
      }
      return section.querySelector('li');
    }
    var li = fromHtml(payload.html);
    var list = section.querySelector('ol');
    var next = null;
    list.querySelectorAll(':scope > li').forEach(function (other) {
      var c = compare(payload.sort, other.dataset.sort);
      if (!next && (desc ? c > 0 : c < 0)) next = other;
    });
    list.insertBefore(li, next);
    return li;
  }

  function mark(li, badge, cls) {
    li.classList.add(cls);
    var title = li.querySelector('.event__title');
    if (title && !title.querySelector('.badge--fresh')) {
      var b = document.createElement('span');
      b.className = 'badge badge--fresh';
      b.textContent = badge;
      title.prepend(b, ' ');
    }
  }

  function inView(el) {
    var r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
  }

  function apply(payload) {
    if (payload.v < version) return; // equal: another event of the same revision (an import)
    version = payload.v;
    root.dataset.version = String(version);
    updateHeader(payload.story);
    if (!payload.id) return;
    var existing = itemOf(payload.id);
    if (payload.gone || (payload.match && !matches(payload.match))) {
      if (existing) {
        var section = existing.closest('section');
        existing.remove();
        if (section && !section.querySelector('li')) section.remove();
      }
      return;
    }
    var li;
    var title;
    if (existing && existing.dataset.sort === payload.sort) {
      li = fromHtml(payload.html);
      existing.replaceWith(li);
      mark(li, labels.updatedBadge, 'is-updated');
    } else {
      if (existing) existing.remove();
      li = place(payload);
      mark(li, existing ? labels.updatedBadge : labels.newBadge, existing ? 'is-updated' : 'is-new');
      if (!existing && !reduced) li.classList.add('arrive');
    }
    title = li.querySelector('.event__title');
    announce((existing ? labels.updatedBadge : labels.newBadge) + ' : ' + (title ? title.textContent.trim() : ''));
    enhanceTimes(li);
    trimToLimit();
    if (!existing) {
      if (!inView(li)) { unseen.push(li); showPill(); }
      if (document.hidden) { hiddenCount++; document.title = '(' + hiddenCount + ') ' + baseTitle; }
    }
    updateCount();
    if (!document.hidden) remember();
  }

  // an embed showing the latest N keeps showing N: the oldest one leaves as a new one comes
  function trimToLimit() {
    var limit = Number(root.dataset.limit || 0);
    if (!limit) return;
    var items = root.querySelectorAll('li[data-sort]');
    var sorted = Array.prototype.slice.call(items).sort(function (a, b) { return compare(a.dataset.sort, b.dataset.sort); });
    sorted.slice(0, Math.max(0, sorted.length - limit)).forEach(function (li) {
      var section = li.closest('section');
      li.remove();
      if (section && !section.querySelector('li')) section.remove();
    });
  }

  function updateHeader(story) {
    var time = document.querySelector('.story-head__meta time');
    if (time) { time.setAttribute('datetime', story.updatedIso); time.textContent = story.updatedText; time.dataset.orig = story.updatedText; enhanceTimes(time.parentNode); }
    var h1 = document.querySelector('.story-head__title');
    if (h1) h1.textContent = story.title;
  }

  function updateCount() {
    var count = document.querySelector('.controls__count');
    var filtered = filter.keyOnly || filter.verification || filter.q || filter.tags.length;
    if (count && !filtered && root.dataset.paged !== '1') count.textContent = plural(labels.events, root.querySelectorAll('li[data-sort]').length);
  }

  function showPill() {
    unseen = unseen.filter(function (li) { return li.isConnected && !inView(li); });
    if (!pill) return;
    pill.hidden = unseen.length === 0;
    pill.textContent = plural(labels.newEvents, unseen.length) + ' ↑';
  }
  if (pill) {
    pill.addEventListener('click', function () {
      var first = unseen[0];
      if (first) { first.scrollIntoView({ behavior: reduced ? 'auto' : 'smooth', block: 'center' }); first.querySelector('article').focus({ preventScroll: true }); }
      unseen = [];
      pill.hidden = true;
    });
    window.addEventListener('scroll', function () { if (unseen.length) showPill(); }, { passive: true });
  }
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) { hiddenCount = 0; document.title = baseTitle; remember(); }
  });

  var polling = 0;
  var etag = null;
  function poll() {
    var headers = etag ? { 'If-None-Match': etag } : {};
    fetch(root.dataset.changes + '?after=' + version, { headers: headers })
      .then(function (r) {
        if (r.status === 304 || !r.ok) return null;
        etag = r.headers.get('ETag');
        return r.json();
      })
      .then(function (data) {
        if (!data) return;
        if (data.refetch) location.reload();
        else data.changes.forEach(apply);
      })
      .catch(function () {})
      .then(function () { polling = setTimeout(poll, 15000); });
  }
  function startPolling() {
    if (polling) return;
    polling = setTimeout(poll, 1000);
  }
  var source = null;
  function connect() {
    if (!root.dataset.live) return; // a frozen snapshot
    if (!('EventSource' in window)) return startPolling();
    source = new EventSource(root.dataset.live + '?since=' + version);
    source.addEventListener('change', function (e) { apply(JSON.parse(e.data)); });
    source.addEventListener('refetch', function () { location.reload(); });
    source.onerror = function () {
      // EventSource retries by itself; once it gives up (closed), fall back to polling
      if (source.readyState === EventSource.CLOSED) startPolling();
    };
  }
  connect();

  // ---- new since your last visit --------------------------------------------------------
  var lastSeen = Number(localStorage.getItem(seenKey) || 0);
  function remember() { try { localStorage.setItem(seenKey, String(version)); } catch (e) { /* private mode */ } }
  if (lastSeen && lastSeen < version) {
    var fresh = [];
    root.querySelectorAll('li[data-v]').forEach(function (li) {
      if (Number(li.dataset.v) > lastSeen) { mark(li, labels.newBadge, 'is-new'); fresh.push(li); }
    });
    var since = document.querySelector('[data-since]');
    if (fresh.length && since) {
      since.hidden = false;
      since.textContent = plural(labels.newSinceVisit, fresh.length) + ' · ';
      var jump = document.createElement('a');
      jump.href = '#' + fresh[0].querySelector('article').id;
      jump.textContent = labels.jumpToFirstNew;
      since.appendChild(jump);
    }
  }
  remember();

  // ---- times: relative, and in the reader's zone -------------------------------------------
  var readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var useReader = false;
  var rtf = Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }) : null;
  // the same shapes as the server's: "20 novembre 2023, 08:53" / "November 20, 2023, 8:53 AM"
  var hour = lang === 'fr' ? '2-digit' : 'numeric';
  var short = function (zone) { return new Intl.DateTimeFormat(lang, { hour: hour, minute: '2-digit', timeZone: zone }); };
  var full = function (zone) {
    var day = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'long', year: 'numeric', timeZone: zone });
    return { format: function (d) { return day.format(d) + ', ' + short(zone).format(d); } };
  };
  function relative(date) {
    var s = (date.getTime() - Date.now()) / 1000;
    var units = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60]];
    for (var i = 0; i < units.length; i++) if (Math.abs(s) >= units[i][1]) return rtf.format(Math.round(s / units[i][1]), units[i][0]);
    return rtf.format(0, 'minute');
  }
  function enhanceTimes(scope) {
    scope.querySelectorAll('time[datetime*="T"]').forEach(function (t) {
      var date = new Date(t.getAttribute('datetime'));
      if (isNaN(date)) return;
      if (!t.dataset.orig) t.dataset.orig = t.textContent;
      t.textContent = useReader ? full(readerZone).format(date) : t.dataset.orig;
      var rail = t.closest('article') && t.closest('article').querySelector('.event__rail');
      if (rail && t.closest('.event__date')) {
        if (!rail.dataset.orig) rail.dataset.orig = rail.textContent;
        rail.textContent = useReader ? short(readerZone).format(date) : rail.dataset.orig;
      }
      if (!rtf) return;
      var rel = t.nextElementSibling && t.nextElementSibling.classList.contains('rel') ? t.nextElementSibling : null;
      if (!rel) { rel = document.createElement('span'); rel.className = 'rel'; t.after(rel); }
      rel.textContent = ' (' + relative(date) + ')';
    });
  }
  enhanceTimes(document);
  setInterval(function () { enhanceTimes(document); }, 60000);

  var tz = document.querySelector('[data-tz]');
  if (tz && readerZone && readerZone !== storyZone) {
    tz.hidden = false;
    var city = function (z) { return z.split('/').pop().replace(/_/g, ' '); };
    var group = document.createElement('div');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', labels.timeIn);
    group.append(labels.timeIn + ' : ');
    [[false, city(storyZone)], [true, labels.yourZone + ' (' + city(readerZone) + ')']].forEach(function (opt) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = opt[1];
      b.setAttribute('aria-pressed', String(opt[0] === useReader));
      b.addEventListener('click', function () {
        useReader = opt[0];
        group.querySelectorAll('button').forEach(function (x) { x.setAttribute('aria-pressed', String(x === b)); });
        enhanceTimes(document);
      });
      group.appendChild(b);
    });
    tz.appendChild(group);
  }

  // ---- permalinks and #id ---------------------------------------------------------------
  function highlight() {
    var id = '';
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    var el = id && document.getElementById(id);
    if (!el || el.tagName !== 'ARTICLE') return;
    document.querySelectorAll('.is-highlighted').forEach(function (x) { x.classList.remove('is-highlighted'); });
    el.classList.add('is-highlighted');
    el.setAttribute('tabindex', '-1');
    // in an embed the host page does the scrolling (frame.js asks it to)
    if (root.dataset.embed !== '1') el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
  }
  window.addEventListener('hashchange', highlight);
  highlight();
  document.addEventListener('click', function (e) {
    var link = e.target.closest && e.target.closest('a.event__permalink');
    if (!link || !navigator.clipboard || e.metaKey || e.ctrlKey) return;
    e.preventDefault();
    var article = link.closest('article');
    var url = location.origin + location.pathname + location.search + '#' + article.id;
    navigator.clipboard.writeText(url).then(function () { announce(labels.copied); link.dataset.copied = labels.copied; }, function () {});
    history.replaceState(null, '', '#' + article.id);
    highlight();
  });

  // ---- filters without reload ---------------------------------------------------------
  function swap(url, push) {
    fetch(url, { headers: { Accept: 'text/html' } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['#chrono-controls', '#chronology', '.overview'].forEach(function (sel) {
          var now = document.querySelector(sel), next = doc.querySelector(sel);
          if (now && next) now.replaceWith(document.adoptNode(next));
        });
        var fresh = document.getElementById('chronology');
        filter = JSON.parse(fresh.dataset.filter);
        version = Math.max(version, Number(fresh.dataset.version));
        root = fresh;
        enhanceTimes(root);
        if (push) history.pushState(null, '', url);
      })
      .catch(function () { location.href = url; });
  }
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('#chrono-controls a, .pager a');
    if (!a || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    swap(a.href, true);
  });
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.closest('#chrono-controls') || form.classList.contains('jump')) return;
    e.preventDefault();
    var params = new URLSearchParams(new FormData(form));
    ['q', 'verification'].forEach(function (k) { if (!params.get(k)) params.delete(k); });
    swap(form.action.split('?')[0] + (params.toString() ? '?' + params : ''), true);
  });
  window.addEventListener('popstate', function () { swap(location.href, false); });
})();

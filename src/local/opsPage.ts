/**
 * The ops page the local host serves at /ops/: one self-contained document (no CDN, no build step) that
 * polls /api/metrics and /ops/results and draws queue depths over time as inline SVG, starting from the
 * samples the host kept (/ops/history). Every value from the server is set as text, never as markup.
 */
export const OPS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>blob-vision-worker · ops</title>
<style>
  :root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --bg: #f5f7fa; --card: #fff; --ok: #1f7a3a; --bad: #b42318; --jobs: #2f6fde; --poison: #c2410c; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; background: #1d2330; color: #fff; }
  header h1 { font-size: 17px; margin: 0; font-weight: 600; }
  header .meta { color: #b8c0cf; font-size: 12px; }
  #status { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #2d3546; }
  #status.error { background: var(--bad); }
  main { padding: 18px 24px 32px; display: grid; gap: 18px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; }
  .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
  .card .label { color: var(--muted); font-size: 12px; }
  .card .value { font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .card .sub { color: var(--muted); font-size: 12px; }
  .value.bad { color: var(--bad); }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
  section h2 { font-size: 14px; margin: 0 0 8px; }
  .row { display: grid; grid-template-columns: 2fr 1fr; gap: 18px; }
  svg { width: 100%; height: 180px; display: block; }
  .legend span { margin-right: 14px; font-size: 12px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
  table { width: 100%; border-collapse: collapse; }
  td, th { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); }
  td.count { text-align: right; font-variant-numeric: tabular-nums; }
  .empty { color: var(--muted); }
  #results { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; }
  .result { border: 1px solid var(--line); border-radius: 8px; padding: 10px; display: grid; grid-template-columns: 84px 1fr; gap: 10px; align-items: start; }
  .result .thumb, .result .nothumb { width: 84px; height: 84px; object-fit: contain; background: #eef1f5; border-radius: 4px; }
  .result .nothumb { display: flex; align-items: center; justify-content: center; color: var(--muted); font-size: 11px; text-align: center; }
  .result .name { font-weight: 600; word-break: break-all; }
  .result .st-succeeded { color: var(--ok); }
  .result .st-failed { color: var(--bad); }
  .result details { grid-column: 1 / -1; }
  .result pre { max-height: 240px; overflow: auto; background: #f3f5f8; padding: 8px; font-size: 11px; margin: 6px 0 0; }
</style>
</head>
<body>
<header>
  <h1>blob-vision-worker · ops</h1>
  <span class="meta">queues <span id="queue-names">…</span> · results of the last hour since <span id="since">…</span></span>
  <span id="status">loading…</span>
</header>
<main>
  <div class="cards">
    <div class="card"><div class="label">Jobs queue depth</div><div class="value" id="jobs-depth">–</div><div class="sub">oldest <span id="jobs-oldest">–</span></div></div>
    <div class="card"><div class="label">Poison queue depth</div><div class="value" id="poison-depth">–</div><div class="sub">oldest <span id="poison-oldest">–</span></div></div>
    <div class="card"><div class="label">Stranded</div><div class="value" id="stranded">–</div><div class="sub">poison-of-poison <span id="poison-poison">–</span> · dead-lettered uploads <span id="dead-letters">–</span></div></div>
    <div class="card"><div class="label">Succeeded (1 h)</div><div class="value" id="succeeded">–</div></div>
    <div class="card"><div class="label">Failed (1 h)</div><div class="value" id="failed">–</div></div>
    <div class="card"><div class="label">Throughput</div><div class="value" id="throughput">–</div><div class="sub">results/min over the last <span id="throughput-window">–</span> · 1 h average <span id="throughput-hour">–</span></div></div>
    <div class="card"><div class="label">Tokens used (1 h)</div><div class="value" id="tokens-used">–</div><div class="sub">image tokens est. <span id="image-tokens">–</span></div></div>
    <div class="card"><div class="label">Estimated cost (1 h)</div><div class="value" id="cost">–</div></div>
    <div class="card"><div class="label">Rate limiter</div><div class="value" id="limiter" style="font-size:15px">–</div></div>
  </div>
  <div class="row">
    <section>
      <h2>Queue depth over time</h2>
      <div class="legend"><span><i style="background:var(--jobs)"></i>jobs</span><span><i style="background:var(--poison)"></i>poison</span><span id="chart-range" class="empty"></span></div>
      <svg id="depth-chart" viewBox="0 0 600 180" preserveAspectRatio="none" role="img" aria-label="queue depth over time"></svg>
    </section>
    <section>
      <h2>Failures by error code (1 h)</h2>
      <table><tbody id="failures"></tbody></table>
      <div id="scan-note" class="empty"></div>
    </section>
  </div>
  <section>
    <h2>Latest results</h2>
    <div id="results"></div>
  </section>
</main>
<script>
(function () {
  var POLL_MS = 3000;
  var HISTORY = 200;
  var history = [];
  var SVG = 'http://www.w3.org/2000/svg';
  function $(id) { return document.getElementById(id); }
  function text(id, value) { $(id).textContent = String(value); }
  function age(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    if (seconds < 120) return seconds + ' s';
    if (seconds < 7200) return Math.round(seconds / 60) + ' min';
    return Math.round(seconds / 3600) + ' h';
  }
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) { if (key === 'text') node.textContent = props[key]; else node.setAttribute(key, props[key]); });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }
  function setStatus(message, bad) { var s = $('status'); s.textContent = message; s.className = bad ? 'error' : ''; }

  function drawChart() {
    var svg = $('depth-chart');
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var max = 1;
    history.forEach(function (p) { max = Math.max(max, p.jobs, p.poison); });
    // Placed by time: the host's samples and this page's own come at different intervals.
    var t0 = Date.parse(history[0].t), t1 = Date.parse(history[history.length - 1].t);
    var w = 600, h = 180, pad = 6;
    for (var g = 0; g <= 4; g++) {
      var gy = pad + (h - 2 * pad) * g / 4;
      var grid = document.createElementNS(SVG, 'line');
      grid.setAttribute('x1', 0); grid.setAttribute('x2', w); grid.setAttribute('y1', gy); grid.setAttribute('y2', gy);
      grid.setAttribute('stroke', '#e5e9f0'); grid.setAttribute('stroke-width', 1);
      svg.appendChild(grid);
    }
    [['jobs', '#2f6fde'], ['poison', '#c2410c']].forEach(function (series) {
      var points = history.map(function (p) {
        var x = t1 === t0 ? w : (w * (Date.parse(p.t) - t0)) / (t1 - t0);
        var y = h - pad - ((h - 2 * pad) * p[series[0]]) / max;
        return x.toFixed(1) + ',' + y.toFixed(1);
      });
      var line = document.createElementNS(SVG, 'polyline');
      line.setAttribute('points', points.join(' '));
      line.setAttribute('fill', 'none'); line.setAttribute('stroke', series[1]); line.setAttribute('stroke-width', 2.5);
      line.setAttribute('data-series', series[0]);
      line.setAttribute('vector-effect', 'non-scaling-stroke');
      svg.appendChild(line);
    });
    var label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', 4); label.setAttribute('y', 16); label.setAttribute('font-size', 12); label.setAttribute('fill', '#5b6475');
    label.textContent = 'max ' + max;
    svg.appendChild(label);
    var span = Math.round((t1 - t0) / 1000);
    text('chart-range', history.length + ' samples' + (span > 0 ? ' over the last ' + age(span) : ''));
  }

  function renderMetrics(m) {
    text('queue-names', m.queues.jobs.queue + ', ' + m.queues.poison.queue);
    text('since', new Date(m.results.since).toLocaleTimeString());
    text('jobs-depth', m.queues.jobs.depth);
    text('jobs-oldest', age(m.queues.jobs.oldestAgeSeconds));
    text('poison-depth', m.queues.poison.depth);
    $('poison-depth').className = m.queues.poison.depth > 0 ? 'value bad' : 'value';
    text('poison-oldest', age(m.queues.poison.oldestAgeSeconds));
    var stranded = m.stranded.poisonOfPoison.depth + m.stranded.deadLetters;
    text('stranded', stranded);
    $('stranded').className = stranded > 0 ? 'value bad' : 'value';
    text('poison-poison', m.stranded.poisonOfPoison.depth);
    text('dead-letters', m.stranded.deadLetters);
    text('succeeded', m.results.succeeded);
    text('failed', m.results.failed);
    $('failed').className = m.results.failed > 0 ? 'value bad' : 'value';
    text('throughput', m.results.throughput.perMinute.toFixed(1));
    text('throughput-window', age(m.results.throughput.windowSeconds));
    $('throughput-window').setAttribute('data-seconds', String(m.results.throughput.windowSeconds));
    text('throughput-hour', ((m.results.succeeded + m.results.failed) / (m.results.windowSeconds / 60)).toFixed(2));
    text('tokens-used', m.results.tokens.used);
    text('image-tokens', m.results.tokens.imageEstimated);
    text('cost', '$' + m.results.estimatedCostUsd.toFixed(4));
    text('limiter', m.limiter === null ? 'none configured' : JSON.stringify(m.limiter));
    var body = $('failures');
    while (body.firstChild) body.removeChild(body.firstChild);
    var codes = Object.keys(m.results.failedByCode).sort(function (a, b) { return m.results.failedByCode[b] - m.results.failedByCode[a] || (a < b ? -1 : 1); });
    if (codes.length === 0) body.appendChild(el('tr', {}, [el('td', { class: 'empty', text: 'no failures in the last hour' })]));
    codes.forEach(function (code) {
      body.appendChild(el('tr', { 'data-code': code }, [el('td', { text: code }), el('td', { class: 'count', text: String(m.results.failedByCode[code]) })]));
    });
    text('scan-note', m.results.scan.complete ? '' : 'partial: the results scan hit its bound (' + m.results.scan.listed + ' listed)');
    history.push({ t: m.at, jobs: m.queues.jobs.depth, poison: m.queues.poison.depth });
    if (history.length > HISTORY) history.shift();
    drawChart();
  }

  function renderResults(payload) {
    var box = $('results');
    while (box.firstChild) box.removeChild(box.firstChild);
    if (payload.results.length === 0) box.appendChild(el('div', { class: 'empty', text: 'no results yet' }));
    payload.results.forEach(function (entry) {
      var r = entry.record;
      var preview;
      if (r.source.container === payload.inputContainer && r.source.blob !== '') {
        preview = el('img', { class: 'thumb', alt: 'thumbnail of ' + r.source.blob, src: '/ops/thumbnail?blob=' + encodeURIComponent(r.source.blob) });
        preview.addEventListener('error', function () { preview.replaceWith(el('div', { class: 'nothumb', text: 'no preview' })); });
      } else {
        preview = el('div', { class: 'nothumb', text: 'no upload' });
      }
      var info = el('div', {}, [
        el('div', { class: 'name', text: r.source.blob || entry.path }),
        el('div', { class: 'st-' + r.status, text: r.status + (r.error ? ' · ' + r.error.code : '') + (r.profile ? ' · ' + r.profile : '') }),
        el('div', { class: 'empty', text: new Date(entry.lastModified).toLocaleTimeString() + ' · ' + Math.round(r.timings.totalMs) + ' ms' }),
      ]);
      var details = el('details', {}, [el('summary', { text: 'JSON' }), el('pre', { text: JSON.stringify(r, null, 2) })]);
      box.appendChild(el('div', { class: 'result', 'data-blob': r.source.blob || entry.path, 'data-status': r.status }, [preview, info, details]));
    });
  }

  function getJson(url) {
    return fetch(url, { cache: 'no-store' }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(url + ': ' + response.status + ' ' + (body.reason || body.error || ''));
        return body;
      });
    });
  }

  var openDetails = {};
  function rememberOpen() {
    Array.prototype.forEach.call(document.querySelectorAll('.result'), function (node) {
      var details = node.querySelector('details');
      openDetails[node.getAttribute('data-blob')] = details !== null && details.open;
    });
  }
  function restoreOpen() {
    Array.prototype.forEach.call(document.querySelectorAll('.result'), function (node) {
      if (openDetails[node.getAttribute('data-blob')]) node.querySelector('details').open = true;
    });
  }

  function poll() {
    Promise.all([getJson('/api/metrics'), getJson('/ops/results?limit=12')])
      .then(function (both) {
        renderMetrics(both[0]);
        rememberOpen();
        renderResults(both[1]);
        restoreOpen();
        setStatus('updated ' + new Date(both[0].at).toLocaleTimeString(), false);
        document.body.setAttribute('data-updates', String(Number(document.body.getAttribute('data-updates') || '0') + 1));
      })
      .catch(function (error) { setStatus(String(error.message || error), true); })
      .then(function () { setTimeout(poll, POLL_MS); });
  }
  getJson('/ops/history')
    .then(function (kept) { kept.samples.forEach(function (s) { history.push({ t: s.at, jobs: s.jobs, poison: s.poison }); }); })
    // Without the host's samples the chart starts from this page's own.
    .catch(function () {})
    .then(poll);
})();
</script>
</body>
</html>
`;

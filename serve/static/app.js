// Tailor's page: pick, drop or draw an image, send it to
// POST /v1/models/{name}:classify and show what the model received and
// what it thinks; below, a card for each model. No libraries, no build
// step, no requests beyond this server.
'use strict';

const $ = (id) => document.getElementById(id);

// getJSON fetches url and returns its JSON, throwing the server's
// {"error": ...} message on failure.
async function getJSON(url, options) {
  const res = await fetch(url, options);
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    throw new Error(`${url}: HTTP ${res.status}, not JSON`);
  }
  if (!res.ok) {
    throw new Error(body && body.error ? body.error : `${url}: HTTP ${res.status}`);
  }
  return body;
}

function showError(err) {
  const el = $('error');
  el.textContent = err ? String(err.message || err) : '';
  el.hidden = !err;
}

function percent(p) {
  return (100 * p).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1) + '%';
}

// latest numbers the classify requests sent, so that an answer that
// arrives after a later request's is dropped, not shown over it.
let latest = 0;

// classify sends an image — a File (as multipart) or a Blob (as a raw
// image/png body) — to the selected model and shows the answer, unless
// another image has been sent since.
async function classify(image, source) {
  const seq = ++latest;
  const name = $('model').value;
  const url = `/v1/models/${encodeURIComponent(name)}:classify?top=3`;
  let options;
  if (image instanceof File) {
    const form = new FormData();
    form.append('image', image, image.name);
    options = { method: 'POST', body: form };
  } else {
    options = { method: 'POST', body: image, headers: { 'Content-Type': 'image/png' } };
  }
  document.body.dataset.state = 'classifying';
  try {
    const res = await getJSON(url, options);
    if (seq !== latest) return;
    showError(null);
    show(res, source);
    document.body.dataset.state = 'done';
  } catch (err) {
    if (seq !== latest) return;
    showError(err);
    document.body.dataset.state = 'error';
  }
}

// show draws the model's input and one bar per class.
function show(res, source) {
  $('result').hidden = false;
  $('seen').src = res.input.png;
  const best = res.top[0];
  $('top-name').textContent = best.name;
  $('top-prob').textContent = percent(best.probability);
  $('source').textContent = `${source}, seen by ${res.model_name} as ${res.input.width}×${res.input.height} ${res.input.channels === 3 ? 'RGB pixels' : 'gray levels'}`;
  const bars = $('bars');
  bars.replaceChildren();
  res.probabilities.forEach((p, i) => {
    const li = document.createElement('li');
    if (i === best.class) li.className = 'top';
    li.dataset.class = String(i);
    const label = document.createElement('span');
    label.textContent = res.class_names[i];
    const track = document.createElement('span');
    track.className = 'track';
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.display = 'block';
    fill.style.width = `${(100 * p).toFixed(2)}%`;
    track.appendChild(fill);
    const value = document.createElement('span');
    value.className = 'p';
    value.textContent = percent(p);
    li.append(label, track, value);
    bars.appendChild(li);
  });
}

// The drawing pad: white strokes on black, as Fashion-MNIST's images are
// light articles on a dark background.
function setupPad() {
  const pad = $('pad');
  const ctx = pad.getContext('2d');
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
    pad.dataset.strokes = '0';
  };
  clear();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 24;
  let drawing = false;
  const at = (e) => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
  };
  const end = () => {
    if (!drawing) return;
    drawing = false;
    pad.dataset.strokes = String(Number(pad.dataset.strokes) + 1);
    sendDrawing();
  };
  // Only the primary button (a finger, a pen's tip, the left mouse
  // button) draws: a right click opens the context menu, which may
  // swallow its release.
  pad.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    drawing = true;
    pad.setPointerCapture(e.pointerId);
    const [x, y] = at(e);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x, y);
    ctx.stroke();
    e.preventDefault();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    if (e.buttons === 0) { // the release was missed: the stroke has ended
      end();
      return;
    }
    const [x, y] = at(e);
    ctx.lineTo(x, y);
    ctx.stroke();
    e.preventDefault();
  });
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', () => { clear(); $('result').hidden = true; });
  $('classify-drawing').addEventListener('click', sendDrawing);
}

function sendDrawing() {
  $('pad').toBlob((blob) => {
    if (blob) classify(blob, 'Your drawing');
  }, 'image/png');
}

// The drop zone and the file picker.
function setupDrop() {
  const drop = $('drop');
  const file = $('file');
  file.addEventListener('change', () => {
    if (file.files.length > 0) classify(file.files[0], file.files[0].name);
    file.value = '';
  });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer.files[0];
    if (f) classify(f, f.name);
  });
}

// renderCard shows one model's card: test accuracy (or that it was not
// measured), training settings, curves and confusion matrix, summary.
async function renderCard(model) {
  const c = await getJSON(`/v1/models/${encodeURIComponent(model.name)}/card`);
  const el = document.createElement('article');
  el.className = 'card';
  el.id = `card-${c.name}`;
  const h = document.createElement('h3');
  h.textContent = `${c.name} (version ${c.version})`;
  const acc = document.createElement('p');
  acc.className = 'accuracy';
  const fixed = (v) => (v === null ? 'not finite' : v.toFixed(4)); // the card writes NaN and ±Inf as null
  acc.textContent = c.test
    ? `Test accuracy ${fixed(c.test.accuracy)} on ${c.test.examples.toLocaleString('en-US')} ${c.test.split} examples (loss ${fixed(c.test.loss)})`
    : 'Test accuracy: not measured (no test set was found when the server started)';
  el.append(h, acc);
  if (c.settings.length > 0 || c.epochs > 0) {
    const table = document.createElement('table');
    const rows = c.settings.map((s) => [s.name, s.value]);
    if (c.training_seconds) rows.push(['training time', `${c.training_seconds.toFixed(1)} s`]);
    for (const [k, v] of rows) {
      const tr = table.insertRow();
      const th = document.createElement('th');
      th.textContent = k;
      tr.appendChild(th);
      tr.insertCell().textContent = v;
    }
    el.appendChild(table);
  } else {
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = 'The model file records no training history.';
    el.appendChild(p);
  }
  if (c.figures.length > 0) {
    const figs = document.createElement('div');
    figs.className = 'figures';
    for (const f of c.figures) {
      const fig = document.createElement('figure');
      const img = document.createElement('img');
      img.src = f.url;
      img.alt = f.title;
      img.width = f.width;
      img.height = f.height;
      img.loading = 'lazy';
      const cap = document.createElement('figcaption');
      cap.textContent = f.title;
      fig.append(img, cap);
      figs.appendChild(fig);
    }
    el.appendChild(figs);
  }
  const details = document.createElement('details');
  const sum = document.createElement('summary');
  sum.textContent = 'Summary';
  const pre = document.createElement('pre');
  pre.textContent = c.summary;
  details.append(sum, pre);
  const link = document.createElement('p');
  const a = document.createElement('a');
  a.href = c.report_url;
  a.textContent = 'The full report';
  link.appendChild(a);
  el.append(details, link);
  return el;
}

async function init() {
  setupPad();
  setupDrop();
  try {
    const list = await getJSON('/v1/models');
    // Models that classify does not take (those trained on a table) are
    // listed but cannot be picked: they answer POST /v2/.../infer only.
    const select = $('model');
    for (const m of list.models) {
      const o = document.createElement('option');
      o.value = m.name;
      o.textContent = m.classify ? m.name : `${m.name} (no images: /v2 infer only)`;
      o.disabled = !m.classify;
      select.appendChild(o);
    }
    const first = list.models.find((m) => m.classify);
    if (first) {
      select.value = first.name;
    } else {
      showError(new Error('None of these models takes images: send their inputs to POST /v2/models/{name}/infer.'));
    }
    const cards = await Promise.all(list.models.map(renderCard));
    $('cards').replaceChildren(...cards);
    document.body.dataset.ready = 'true';
  } catch (err) {
    showError(err);
  }
}

init();

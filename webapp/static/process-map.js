// Bản đồ quy trình: the deployed diagram (bpmn-js NavigatedViewer) with, on each human step, the
// dossiers waiting there, how many are overdue and the median time at the step. Numbers come
// from data-data-url, the BPMN file from data-diagram-url; a step's dossiers are listed in the
// side panel from the step's dossiers_url. No inline script or style: the page keeps its strict
// Content-Security-Policy (positions are set by bpmn-js through the CSSOM, which CSP allows).
(function () {
  'use strict';

  var container = document.getElementById('process-map');
  if (!container) { return; }
  var panel = document.getElementById('map-panel');
  var panelTitle = document.getElementById('map-panel-title');
  var panelBody = document.getElementById('map-panel-body');
  var viewer = null;
  var selected = null;
  var requestNumber = 0;
  var MEDIAN_MIN_ZOOM = 0.55;
  var MIN_HEIGHT = 180;
  var MAX_HEIGHT = 620;
  var busiestStep = null;
  var busiestWaiting = 0;

  function text(key) { return (panel && panel.dataset[key]) || ''; }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    return node;
  }

  function showMessage(message, kind) {
    var node = container.querySelector('.pm-message');
    node.textContent = message;
    node.classList.toggle('text-danger', kind === 'error');
    node.classList.toggle('text-secondary', kind !== 'error');
    node.hidden = !message;
  }

  // ---- the side panel ----------------------------------------------------------------------

  function markSelected(stepId) {
    if (viewer) {
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      if (selected && registry.get(selected)) { canvas.removeMarker(selected, 'pm-selected'); }
      if (stepId && registry.get(stepId)) { canvas.addMarker(stepId, 'pm-selected'); }
    }
    document.querySelectorAll('tr.pm-row-selected').forEach(function (row) {
      row.classList.remove('pm-row-selected');
    });
    document.querySelectorAll('tr[data-step="' + CSS.escape(stepId) + '"]').forEach(function (row) {
      row.classList.add('pm-row-selected');
    });
    selected = stepId;
  }

  function renderDossiers(data) {
    panelTitle.textContent = data.name + ' (' + data.waiting + ')';
    panelBody.replaceChildren();
    if (!data.dossiers.length) {
      panelBody.appendChild(element('p', 'text-secondary mb-0', text('noneText')));
      return;
    }
    var list = element('ol', 'pm-dossiers');
    data.dossiers.forEach(function (row) {
      var item = element('li');
      var link = element('a', 'fw-semibold', row.code || ('#' + row.id));
      link.href = row.url;
      item.appendChild(link);
      if (row.overdue) {
        item.appendChild(document.createTextNode(' '));
        item.appendChild(element('span', 'badge text-bg-danger', text('overdueText')));
      }
      item.appendChild(element('div', 'pm-dossier-title', row.title));
      var since = text('sinceText') + ': ' + row.since_label;
      if (row.due_label) { since += ' · ' + text('dueText') + ': ' + row.due_label; }
      item.appendChild(element('div', 'text-secondary', since));
      item.appendChild(element('div', 'text-secondary', row.unit));
      list.appendChild(item);
    });
    panelBody.appendChild(list);
    if (data.tracking_url) {
      var all = element('a', 'btn btn-sm btn-outline-primary mt-2',
        text('moreText').replace('{n}', String(data.waiting)));
      all.href = data.tracking_url;
      panelBody.appendChild(all);
    } else if (data.more) {
      panelBody.appendChild(element('p', 'text-secondary mt-2 mb-0',
        text('restText').replace('{n}', String(data.more))));
    }
  }

  function openStep(stepId, url, name) {
    if (!panel) { return; }
    var number = ++requestNumber;
    markSelected(stepId);
    panelTitle.textContent = name || stepId;
    panelBody.replaceChildren(element('p', 'text-secondary mb-0', text('loadingText')));
    // On a narrow screen the panel sits below the diagram: bring it into view.
    if (window.matchMedia('(max-width: 1199.98px)').matches) {
      panel.scrollIntoView({ behavior: 'smooth', block: 'start' });
    }
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (number === requestNumber) { renderDossiers(data); }
      })
      .catch(function (error) {
        if (number !== requestNumber) { return; }
        panelBody.replaceChildren(element('p', 'text-danger mb-0', text('errorText')));
        if (window.console) { window.console.error('process map list:', error); }
      });
  }

  // The table's buttons work even if the diagram cannot be drawn.
  document.querySelectorAll('.pm-list-button').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      openStep(button.dataset.step, button.dataset.dossiersUrl, button.dataset.stepName);
    });
  });

  // ---- the diagram -------------------------------------------------------------------------

  function overlayFor(step) {
    var box = element('div', 'pm-overlay');
    var badge = element('button', 'pm-badge pm-heat-' + step.heat, step.waiting);
    badge.type = 'button';
    badge.title = step.summary;
    badge.setAttribute('aria-label', step.summary);
    badge.addEventListener('click', function (event) {
      event.stopPropagation();
      openStep(step.id, step.dossiers_url, step.name);
    });
    box.appendChild(badge);
    if (step.overdue) {
      var late = element('span', 'pm-late', step.overdue);
      late.setAttribute('aria-hidden', 'true');
      box.appendChild(late);
    }
    return box;
  }

  function medianFor(step) {
    var chip = element('span', 'pm-median');
    chip.setAttribute('aria-hidden', 'true');
    chip.appendChild(element('i', 'bi bi-hourglass-split'));
    chip.appendChild(document.createTextNode(' ' + step.median_label));
    return chip;
  }

  function decorate(data) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    var steps = {};
    data.steps.forEach(function (step) {
      if (!step.in_diagram || !registry.get(step.id)) { return; }
      steps[step.id] = step;
      canvas.addMarker(step.id, 'pm-step');
      if (step.heat) { canvas.addMarker(step.id, 'pm-heat-' + step.heat); }
      if (step.overdue) { canvas.addMarker(step.id, 'pm-has-late'); }
      // Counts above the shape's top-right corner and the median under it: on the elements,
      // never in the container's bottom-right corner where the bpmn.io logo must stay visible.
      // Badges keep their size at any zoom (the whole diagram is shown small); the median
      // chip would cover the neighbours then, so it appears once the names are readable.
      overlays.add(step.id, 'process-map', {
        position: { top: -14, right: 26 },
        scale: false,
        html: overlayFor(step)
      });
      if (step.median_seconds !== null) {
        overlays.add(step.id, 'process-map', {
          position: { bottom: -3, left: 0 },
          scale: false,
          show: { minZoom: MEDIAN_MIN_ZOOM },
          html: medianFor(step)
        });
      }
    });
    viewer.on('element.click', function (event) {
      var step = steps[event.element.id];
      if (step) { openStep(step.id, step.dossiers_url, step.name); }
    });
  }

  // The container takes the diagram's proportions (within limits) so a wide diagram does not
  // leave half of the card empty; set through the CSSOM, which the CSP allows.
  function sizeContainer() {
    var inner = viewer.get('canvas').viewbox().inner;
    if (!inner.width) { return; }
    var wanted = container.clientWidth * 0.9 * inner.height / inner.width + 60;
    var limit = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, window.innerHeight * 0.7));
    container.style.height = Math.round(Math.min(Math.max(wanted, MIN_HEIGHT), limit)) + 'px';
    viewer.get('canvas').resized();
  }

  // The map opens at a scale where step names read as ordinary small text (bpmn-js writes
  // 11-12px at scale 1), centred on the busiest step (or the diagram's start when nobody
  // waits); the whole diagram, too small to read on most screens, is the "fit" button.
  function readableScale() {
    return container.clientWidth < 576 ? 0.85 : 1;
  }

  function readableView() {
    var height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, window.innerHeight * 0.7));
    if (container.clientWidth < 576) { height = Math.min(height, 420); }
    container.style.height = Math.round(height) + 'px';
    var canvas = viewer.get('canvas');
    canvas.resized();
    var box = canvas.viewbox();
    var scale = readableScale();
    var width = box.outer.width / scale;
    var tall = box.outer.height / scale;
    var shape = busiestStep && viewer.get('elementRegistry').get(busiestStep);
    if (shape) {
      canvas.viewbox({
        x: shape.x + shape.width / 2 - width / 2,
        y: shape.y + shape.height / 2 - tall / 2,
        width: width,
        height: tall
      });
    } else {
      canvas.viewbox({ x: box.inner.x - 20, y: box.inner.y - 30, width: width, height: tall });
    }
    container.dataset.zoom = String(canvas.zoom());
  }

  function fit() {
    sizeContainer();
    var canvas = viewer.get('canvas');
    canvas.zoom('fit-viewport', 'auto');
    // Shrink around the top-left corner: room for the badges above the top row, and empty space
    // in the bottom-right corner for the bpmn.io logo, which the licence requires to stay visible.
    var box = canvas.viewbox();
    var scale = canvas.zoom() * 0.9;
    canvas.viewbox({
      x: box.inner.x - 24 / scale,
      y: box.inner.y - 28 / scale,
      width: box.outer.width / scale,
      height: box.outer.height / scale
    });
  }

  function zoomBy(factor) {
    var canvas = viewer.get('canvas');
    var box = canvas.viewbox();
    canvas.zoom(canvas.zoom() * factor, { x: box.outer.width / 2, y: box.outer.height / 2 });
  }

  function bindControls() {
    var controls = container.querySelector('.pm-controls');
    controls.hidden = false;
    controls.addEventListener('click', function (event) {
      var button = event.target.closest('[data-map-action]');
      if (!button) { return; }
      var action = button.dataset.mapAction;
      if (action === 'zoom-in') { zoomBy(1.25); }
      else if (action === 'zoom-out') { zoomBy(0.8); }
      else { fit(); }
    });
  }

  function show(xml, data) {
    if (typeof window.BpmnJS !== 'function') { throw new Error('bpmn-js did not load'); }
    viewer = new window.BpmnJS({ container: container });
    return viewer.importXML(xml).then(function () {
      showMessage('', 'info');
      decorate(data);
      data.steps.forEach(function (step) {
        if (step.in_diagram && step.waiting &&
            (!busiestStep || step.waiting > busiestWaiting)) {
          busiestStep = step.id;
          busiestWaiting = step.waiting;
        }
      });
      readableView();
      bindControls();
      if (selected) { markSelected(selected); }
      var width = container.clientWidth;
      var timer = null;
      window.addEventListener('resize', function () {
        // Phones fire resize when the address bar hides: only a new width is a new layout.
        if (container.clientWidth === width) { return; }
        width = container.clientWidth;
        window.clearTimeout(timer);
        timer = window.setTimeout(readableView, 200);
      });
    });
  }

  function get(url, accept) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: accept } })
      .then(function (response) {
        if (!response.ok) { throw new Error(url + ': HTTP ' + response.status); }
        return accept === 'application/json' ? response.json() : response.text();
      });
  }

  // The page carries the figures it was rendered with; data.json is for other readers.
  function figures() {
    if (container.dataset.figures) { return Promise.resolve(JSON.parse(container.dataset.figures)); }
    return get(container.dataset.dataUrl, 'application/json');
  }

  Promise.all([
    get(container.dataset.diagramUrl, 'application/xml'),
    figures()
  ])
    .then(function (results) { return show(results[0], results[1]); })
    .catch(function (error) {
      showMessage(container.dataset.errorText || String(error), 'error');
      if (window.console) { window.console.error('process map:', error); }
    });
}());

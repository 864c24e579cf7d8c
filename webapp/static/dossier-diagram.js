// The dossier page's diagram: the bpmn-js NavigatedViewer with the dossier's trail marked.
// The data (BPMN XML and trail) comes from the URL in data-diagram-url; no inline script, so the
// page keeps its strict Content-Security-Policy. Colours live in diagram.css (CSS markers).
(function () {
  'use strict';

  // The path strip scrolls sideways on phones: bring the current step into view (without
  // moving the page itself), with the end of the step before it showing at the left edge so
  // the reader sees there is more that way.
  var strip = document.getElementById('path-strip');
  var now = strip && strip.querySelector('[aria-current="step"]');
  if (now && strip.scrollWidth > strip.clientWidth) {
    strip.scrollLeft = Math.max(0, now.offsetLeft - strip.offsetLeft - 56);
  }

  var container = document.getElementById('dossier-diagram');
  if (!container) { return; }

  function showMessage(text, kind) {
    var message = container.querySelector('.diagram-message');
    if (!message) {
      message = document.createElement('p');
      message.className = 'diagram-message small';
      message.setAttribute('role', 'status');
      container.appendChild(message);
    }
    message.textContent = text;
    message.classList.toggle('text-danger', kind === 'error');
    message.classList.toggle('text-secondary', kind !== 'error');
    message.hidden = !text;
  }

  function countBadge(count) {
    var badge = document.createElement('span');
    badge.className = 'trail-count';
    badge.textContent = '×' + count;
    var title = (container.dataset.countTitle || '').replace('{n}', String(count));
    if (title) {
      badge.title = title;
      badge.setAttribute('aria-label', title);
    }
    return badge;
  }

  function markTrail(viewer, data) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    var current = new Set(data.current || []);
    var completed = data.completed || {};

    Object.keys(completed).forEach(function (id) {
      if (!registry.get(id) || current.has(id)) { return; }
      canvas.addMarker(id, 'trail-done');
    });
    current.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, 'trail-current'); }
    });
    Object.keys(data.flows || {}).forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, 'trail-taken'); }
    });
    // A loop's repeats: a badge above the element's top-right corner. Badges sit on top of
    // elements, never in the container's bottom-right corner where the bpmn.io logo must stay.
    Object.keys(completed).forEach(function (id) {
      var element = registry.get(id);
      if (!element || completed[id] < 2 || element.waypoints) { return; }
      overlays.add(id, 'trail-count', {
        position: { top: -10, right: 12 },
        html: countBadge(completed[id])
      });
    });
  }

  // The diagram opens at a scale where the names read as ordinary small text (bpmn-js writes
  // 11-12px at scale 1), centred on the dossier's current step; the whole diagram is a button.
  function readableScale() {
    return container.clientWidth < 576 ? 0.85 : 1;
  }

  function fit(viewer) {
    var canvas = viewer.get('canvas');
    canvas.zoom('fit-viewport', 'auto');
    // Shrink around the top-left corner so the bottom-right corner (the bpmn.io logo, which the
    // licence requires to stay visible) has empty space under it.
    canvas.zoom(canvas.zoom() * 0.92, { x: 0, y: 0 });
    container.dataset.zoom = String(canvas.zoom());
  }

  function centreOn(viewer, shapes) {
    var canvas = viewer.get('canvas');
    var box = canvas.viewbox();
    var left = Math.min.apply(null, shapes.map(function (s) { return s.x; }));
    var top = Math.min.apply(null, shapes.map(function (s) { return s.y; }));
    var right = Math.max.apply(null, shapes.map(function (s) { return s.x + s.width; }));
    var bottom = Math.max.apply(null, shapes.map(function (s) { return s.y + s.height; }));
    var scale = readableScale();
    var width = box.outer.width / scale;
    var height = box.outer.height / scale;
    canvas.viewbox({
      x: (left + right) / 2 - width / 2,
      y: (top + bottom) / 2 - height / 2,
      width: width,
      height: height
    });
  }

  function shapesOf(viewer, ids) {
    var registry = viewer.get('elementRegistry');
    return ids.map(function (id) { return registry.get(id); })
      .filter(function (shape) { return shape && !shape.waypoints; });
  }

  function focusCurrent(viewer, current) {
    var shapes = shapesOf(viewer, current);
    if (!shapes.length) { return false; }
    centreOn(viewer, shapes);
    return true;
  }

  // A finished dossier: where it ended (the end event it reached); else the diagram's start.
  function focusEnd(viewer, completed) {
    var ends = shapesOf(viewer, Object.keys(completed || {})).filter(function (shape) {
      return shape.type === 'bpmn:EndEvent';
    });
    if (ends.length) { centreOn(viewer, ends); return; }
    var canvas = viewer.get('canvas');
    var box = canvas.viewbox();
    var scale = readableScale();
    canvas.viewbox({
      x: box.inner.x - 20,
      y: box.inner.y - 20,
      width: box.outer.width / scale,
      height: box.outer.height / scale
    });
  }

  function initialView(viewer, data) {
    if (!focusCurrent(viewer, data.current || [])) { focusEnd(viewer, data.completed); }
    container.dataset.zoom = String(viewer.get('canvas').zoom());
  }

  function zoomBy(viewer, factor) {
    var canvas = viewer.get('canvas');
    var box = canvas.viewbox();
    canvas.zoom(canvas.zoom() * factor, { x: box.outer.width / 2, y: box.outer.height / 2 });
  }

  function bindControls(viewer, current) {
    var controls = container.querySelector('.diagram-controls');
    if (!controls) { return; }
    controls.hidden = false;
    controls.addEventListener('click', function (event) {
      var button = event.target.closest('[data-diagram-action]');
      if (!button) { return; }
      var action = button.dataset.diagramAction;
      if (action === 'zoom-in') { zoomBy(viewer, 1.25); }
      else if (action === 'zoom-out') { zoomBy(viewer, 0.8); }
      else if (action === 'fit') { fit(viewer); }
      else if (action === 'current') { focusCurrent(viewer, current); }
    });
  }

  // bpmn-js has no touch support: two fingers move and pinch the diagram, one finger still
  // scrolls the page (a diagram filling a phone screen must not trap the reader).
  function bindTouch(viewer) {
    var canvas = viewer.get('canvas');
    var last = null;

    function gesture(touches) {
      var a = touches[0];
      var b = touches[1];
      var rect = container.getBoundingClientRect();
      return {
        x: (a.clientX + b.clientX) / 2 - rect.left,
        y: (a.clientY + b.clientY) / 2 - rect.top,
        distance: Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY) || 1
      };
    }

    container.addEventListener('touchstart', function (event) {
      last = event.touches.length === 2 ? gesture(event.touches) : null;
    }, { passive: true });
    container.addEventListener('touchmove', function (event) {
      if (event.touches.length !== 2 || !last) { return; }
      event.preventDefault();
      var now = gesture(event.touches);
      canvas.scroll({ dx: now.x - last.x, dy: now.y - last.y });
      canvas.zoom(canvas.zoom() * now.distance / last.distance, { x: now.x, y: now.y });
      last = now;
    }, { passive: false });
    container.addEventListener('touchend', function () { last = null; }, { passive: true });
  }

  function show(data) {
    if (typeof window.BpmnJS !== 'function') { throw new Error('bpmn-js did not load'); }
    var viewer = new window.BpmnJS({ container: container });
    var current = data.current || [];
    return viewer.importXML(data.xml).then(function () {
      showMessage(data.complete === false ? container.dataset.partialText : '', 'info');
      markTrail(viewer, data);
      initialView(viewer, data);
      bindControls(viewer, current);
      bindTouch(viewer);
      container.classList.add('diagram-ready');
      var width = container.clientWidth;
      var resizeTimer = null;
      window.addEventListener('resize', function () {
        // Phones fire resize when the address bar hides: only a new width is a new layout.
        if (container.clientWidth === width) { return; }
        width = container.clientWidth;
        window.clearTimeout(resizeTimer);
        resizeTimer = window.setTimeout(function () { initialView(viewer, data); }, 200);
      });
    });
  }

  fetch(container.dataset.diagramUrl, {
    credentials: 'same-origin',
    headers: { Accept: 'application/json' }
  })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.json();
    })
    .then(show)
    .catch(function (error) {
      showMessage(container.dataset.errorText || String(error), 'error');
      container.classList.add('diagram-failed');
      if (window.console) { window.console.error('dossier diagram:', error); }
    });
}());

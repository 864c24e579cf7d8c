// The compare page's two diagrams: bpmn-js NavigatedViewers side by side, version a (before) on
// the left with removed elements red, version b (after) on the right with added ones green,
// changed ones orange on both. The XML and the ids come from the JSON at data-url; no inline
// script, so the page keeps its strict Content-Security-Policy. Colours live in compare.css.
(function () {
  'use strict';

  var root = document.getElementById('compare-diagrams');
  if (!root) { return; }
  var MARKERS = { added: 'compare-added', removed: 'compare-removed', changed: 'compare-changed' };
  var FOCUS_SCALE = 0.9;
  // Below this scale the step names cannot be read.
  var READABLE_SCALE = 0.45;
  var viewers = {};
  var changedIds = { a: [], b: [] };

  function containerOf(side) { return document.getElementById('compare-diagram-' + side); }

  function showMessage(side, text, isError) {
    var container = containerOf(side);
    var message = container.querySelector('.diagram-message');
    if (!message) {
      message = document.createElement('p');
      message.className = 'diagram-message small';
      message.setAttribute('role', 'status');
      container.appendChild(message);
    }
    message.textContent = text;
    message.classList.toggle('text-danger', !!isError);
    message.classList.toggle('text-secondary', !isError);
    message.hidden = !text;
  }

  function fit(viewer) {
    var canvas = viewer.get('canvas');
    canvas.zoom('fit-viewport', 'auto');
    // Shrink around the top-left corner: the bpmn.io logo (bottom right) must stay visible.
    canvas.zoom(canvas.zoom() * 0.92, { x: 0, y: 0 });
  }

  function mark(viewer, markers) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    Object.keys(markers || {}).forEach(function (kind) {
      (markers[kind] || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, MARKERS[kind]); }
      });
    });
  }

  // The box around some elements of a diagram (shapes and connections), or null.
  function boxOf(viewer, ids) {
    var registry = viewer.get('elementRegistry');
    var xs = [];
    var ys = [];
    ids.forEach(function (id) {
      var element = registry.get(id);
      if (!element) { return; }
      var points = element.waypoints || [
        { x: element.x, y: element.y },
        { x: element.x + element.width, y: element.y + element.height }
      ];
      points.forEach(function (p) { xs.push(p.x); ys.push(p.y); });
    });
    if (!xs.length) { return null; }
    return {
      left: Math.min.apply(null, xs), top: Math.min.apply(null, ys),
      right: Math.max.apply(null, xs), bottom: Math.max.apply(null, ys)
    };
  }

  function union(a, b) {
    if (!a) { return b; }
    if (!b) { return a; }
    return {
      left: Math.min(a.left, b.left), top: Math.min(a.top, b.top),
      right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom)
    };
  }

  // Show `box` (diagram coordinates) in the middle of a viewer, at most at `maxScale`.
  function show(viewer, box, maxScale) {
    var canvas = viewer.get('canvas');
    var outer = canvas.viewbox().outer;
    var margin = 60;
    var scale = Math.min(
      maxScale,
      outer.width / (box.right - box.left + 2 * margin),
      outer.height / (box.bottom - box.top + 2 * margin)
    );
    var width = outer.width / scale;
    var height = outer.height / scale;
    canvas.viewbox({
      x: (box.left + box.right) / 2 - width / 2,
      y: (box.top + box.bottom) / 2 - height / 2,
      width: width,
      height: height
    });
  }

  function setFocus(viewer, id) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    registry.getAll().forEach(function (element) {
      if (canvas.hasMarker(element, 'compare-focus')) { canvas.removeMarker(element, 'compare-focus'); }
    });
    if (registry.get(id)) { canvas.addMarker(id, 'compare-focus'); }
  }

  // bpmn-js has no touch support: two fingers move and pinch, one finger scrolls the page.
  function bindTouch(viewer, container) {
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

  function open(side, data, markers) {
    var container = containerOf(side);
    Object.keys(markers || {}).forEach(function (kind) {
      changedIds[side] = changedIds[side].concat(markers[kind] || []);
    });
    var viewer = new window.BpmnJS({ container: container });
    return viewer.importXML(data.xml).then(function () {
      showMessage(side, '');
      mark(viewer, markers);
      bindTouch(viewer, container);
      container.classList.add('diagram-ready');
      viewers[side] = viewer;
    }).catch(function (error) {
      showMessage(side, root.dataset.errorText || String(error), true);
      container.classList.add('diagram-failed');
      if (window.console) { window.console.error('compare diagram ' + side + ':', error); }
    });
  }

  // The viewers move together (the same part of both versions side by side) unless the
  // administrator unticks the box; the left one leads when both are there.
  function leader() { return viewers.a || viewers.b; }

  function bindSync() {
    var toggle = document.getElementById('compare-sync');
    var syncing = false;
    Object.keys(viewers).forEach(function (side) {
      viewers[side].on('canvas.viewbox.changed', function (event) {
        if (syncing || (toggle && !toggle.checked)) { return; }
        var box = event.viewbox;
        syncing = true;
        Object.keys(viewers).forEach(function (other) {
          if (other !== side) {
            viewers[other].get('canvas').viewbox({ x: box.x, y: box.y, width: box.width, height: box.height });
          }
        });
        syncing = false;
      });
    });
    if (toggle) { toggle.closest('.form-check').hidden = false; }
  }

  // The whole diagram when it can be read at that size; otherwise the changes, as large as
  // they fit. The larger of the two drawings decides, so neither is cut.
  function initialView() {
    var sides = Object.keys(viewers);
    if (!sides.length) { return; }
    var smallest = null;
    sides.forEach(function (side) {
      fit(viewers[side]);
      var zoom = viewers[side].get('canvas').zoom();
      if (smallest === null || zoom < smallest.zoom) { smallest = { side: side, zoom: zoom }; }
    });
    var lead = viewers[smallest.side];
    var box = null;
    if (smallest.zoom < READABLE_SCALE) {
      sides.forEach(function (side) { box = union(box, boxOf(viewers[side], changedIds[side])); });
    }
    if (box) { show(lead, box, 1); } else { fit(lead); }
    var viewbox = lead.get('canvas').viewbox();
    sides.forEach(function (side) {
      if (viewers[side] !== lead) {
        viewers[side].get('canvas').viewbox({
          x: viewbox.x, y: viewbox.y, width: viewbox.width, height: viewbox.height
        });
      }
    });
  }

  // The table's "show" buttons: centre the element on both diagrams; an element the drawing
  // lacks (a diagram edited without its layout) says so instead.
  function bindTable() {
    var drawn = function (id) {
      return Object.keys(viewers).some(function (side) {
        return !!viewers[side].get('elementRegistry').get(id);
      });
    };
    document.querySelectorAll('.compare-show').forEach(function (button) {
      var id = button.dataset.element;
      if (!drawn(id)) {
        var row = button.closest('tr');
        if (row) { row.classList.add('compare-undrawn'); }
        var note = document.createElement('span');
        note.className = 'badge text-bg-light border fw-normal';
        note.textContent = root.dataset.undrawnText || '';
        button.after(note);
        return;
      }
      button.hidden = false;
      button.addEventListener('click', function () {
        var box = null;
        Object.keys(viewers).forEach(function (side) {
          setFocus(viewers[side], id);
          box = union(box, boxOf(viewers[side], [id]));
        });
        show(leader(), box, FOCUS_SCALE);
        root.scrollIntoView({ behavior: 'smooth', block: 'start' });
      });
    });
  }

  function refitOnResize() {
    var width = root.clientWidth;
    var timer = null;
    window.addEventListener('resize', function () {
      // Phones fire resize when the address bar hides: only a new width is a new layout.
      if (root.clientWidth === width) { return; }
      width = root.clientWidth;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        initialView();
      }, 200);
    });
  }

  fetch(root.dataset.url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.json();
    })
    .then(function (data) {
      if (typeof window.BpmnJS !== 'function') { throw new Error('bpmn-js did not load'); }
      return Promise.all([
        open('a', data.a, data.markers.a),
        open('b', data.b, data.markers.b)
      ]);
    })
    .then(function () {
      bindSync();
      initialView();
      bindTable();
      refitOnResize();
      root.classList.add('compare-ready');
    })
    .catch(function (error) {
      ['a', 'b'].forEach(function (side) { showMessage(side, root.dataset.errorText || String(error), true); });
      if (window.console) { window.console.error('compare diagrams:', error); }
    });
}());

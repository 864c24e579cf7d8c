// The trial page's diagram: a bpmn-js NavigatedViewer on the version's XML (fetched from the
// download URL), with the steps the sandboxed run went through, the step waiting now and the
// step where it failed marked. The ids come from data attributes; no inline script, so the page
// keeps its strict Content-Security-Policy. Colours live in diagram.css and trial.css.
(function () {
  'use strict';

  // bpmn-js writes 11-12px text at scale 1: below this the step names cannot be read.
  var READABLE_SCALE = 0.8;
  var container = document.getElementById('trial-diagram');
  if (!container || typeof BpmnJS === 'undefined') { return; }

  function ids(name) {
    try { return JSON.parse(container.dataset[name] || '[]'); } catch (e) { return []; }
  }

  function showMessage(text, isError) {
    var message = container.querySelector('.diagram-message');
    if (!message) { return; }
    message.textContent = text;
    message.classList.toggle('text-danger', !!isError);
    message.hidden = !text;
  }

  var viewer = new BpmnJS({ container: container });
  fetch(container.dataset.xmlUrl, { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      var current = ids('current');
      var problem = ids('problem');
      ids('completed').forEach(function (id) {
        if (registry.get(id) && current.indexOf(id) < 0) { canvas.addMarker(id, 'trail-done'); }
      });
      current.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, 'trail-current'); } });
      problem.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, 'trail-problem'); } });
      canvas.zoom('fit-viewport', 'auto');
      // Shrink around the top-left corner: the bpmn.io logo (bottom right) must stay visible.
      canvas.zoom(canvas.zoom() * 0.92, { x: 0, y: 0 });
      // A large diagram fitted whole is unreadable: zoom in to readable text, centred on the
      // step waiting now (or the one that failed).
      var focus = registry.get(current[0] || problem[0] || '');
      if (focus && canvas.zoom() < READABLE_SCALE) {
        canvas.zoom(READABLE_SCALE);
        var box = canvas.viewbox();
        canvas.viewbox({
          x: focus.x + focus.width / 2 - box.width / 2,
          y: focus.y + focus.height / 2 - box.height / 2,
          width: box.width,
          height: box.height
        });
      }
      showMessage('');
      container.classList.add('diagram-ready');
    })
    .catch(function () { showMessage(container.dataset.errorText, true); });
}());

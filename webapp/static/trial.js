// The trial page's diagram: a bpmn-js NavigatedViewer on the version's XML (fetched from the
// download URL), with the steps the sandboxed run went through, the step waiting now and the
// step where it failed marked. The ids come from data attributes; no inline script, so the page
// keeps its strict Content-Security-Policy. Colours live in diagram.css and trial.css.
(function () {
  'use strict';

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
      var focus = registry.get(current[0] || problem[0] || '');
      if (focus) { canvas.scrollToElement(focus); }
      showMessage('');
    })
    .catch(function () { showMessage(container.dataset.errorText, true); });
}());

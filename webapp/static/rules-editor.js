// Rule-table editor: dmn-js (UMD global DmnJS) opens the DMN file of the version on its decision
// table; saving puts the edited XML into the form's textarea and posts it. Without the editor
// (no script, a file it cannot open) the textarea is edited directly.
(function () {
  'use strict';

  const form = document.getElementById('rules-form');
  const textarea = document.getElementById('rules-xml');
  const container = document.getElementById('dmn-editor');
  const xmlPane = document.getElementById('xml-pane');
  const status = document.getElementById('dmn-status');
  const viewsBar = document.getElementById('dmn-views');
  const toggle = document.getElementById('toggle-xml');
  if (!form || !textarea || !container || typeof window.DmnJS !== 'function' ||
      typeof window.diagramTranslator !== 'function') { return; }

  let modeler = null;
  let showingXml = false;
  let changed = false;
  let submitting = false;

  function say(text) { status.textContent = text || ''; }

  function dmnTexts() {
    const block = document.getElementById('dmn-texts');
    try { return block ? JSON.parse(block.textContent) : {}; } catch (error) { return {}; }
  }

  function fallBack(text) {
    say(text);
    container.hidden = true;
    xmlPane.hidden = false;
    toggle.hidden = true;
    viewsBar.hidden = true;
    if (modeler) { modeler.destroy(); modeler = null; }
  }

  function viewLabel(view) {
    const element = view.element || {};
    return element.name || element.id || view.type;
  }

  function renderViews() {
    const views = modeler.getViews().filter(function (v) { return v.type === 'decisionTable'; });
    const active = modeler.getActiveView();
    viewsBar.replaceChildren();
    views.forEach(function (view) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-outline-primary' + (active && active.element === view.element ? ' active' : '');
      button.textContent = viewLabel(view);
      button.setAttribute('aria-pressed', String(Boolean(active && active.element === view.element)));
      button.addEventListener('click', function () {
        modeler.open(view).then(renderViews);
      });
      viewsBar.appendChild(button);
    });
    viewsBar.hidden = views.length < 2;
  }

  function openXml(xml) {
    return modeler.importXML(xml).then(function (result) {
      if (result.warnings && result.warnings.length) {
        // A file the editor only partly understands would lose the rest on save.
        console.warn('dmn-js import warnings', result.warnings);
        fallBack(status.dataset.warnings);
        return false;
      }
      const table = modeler.getViews().find(function (v) { return v.type === 'decisionTable'; });
      return (table ? modeler.open(table) : Promise.resolve()).then(function () {
        renderViews();
        return true;
      });
    });
  }

  function currentXml() {
    if (!modeler || showingXml) { return Promise.resolve(textarea.value); }
    return modeler.saveXML({ format: true }).then(function (result) { return result.xml; });
  }

  function start() {
    say(status.dataset.loading);
    const translation = { translate: ['value', window.diagramTranslator(dmnTexts())] };
    modeler = new window.DmnJS({
      container: container,
      // dmn-js's own texts in the page's language (the table comes from the catalog); each
      // view takes its own modules (a view's list replaces the common one).
      drd: { additionalModules: [translation] },
      decisionTable: { additionalModules: [translation] },
      literalExpression: { additionalModules: [translation] },
      boxedExpression: { additionalModules: [translation] }
    });
    modeler.on('views.changed', function () { renderViews(); watchChanges(); });
    container.hidden = false;
    xmlPane.hidden = true;
    openXml(textarea.value).then(function (ok) {
      if (!ok) { return; }
      say('');
      toggle.hidden = false;
      watchChanges();
    }).catch(function (error) {
      console.error(error);
      fallBack(status.dataset.failed);
    });
  }

  // Each view (table, diagram) has its own command stack: watch the ones opened.
  const watched = new WeakSet();
  function watchChanges() {
    const viewer = modeler && modeler.getActiveViewer();
    if (!viewer || watched.has(viewer)) { return; }
    watched.add(viewer);
    viewer.get('eventBus').on('commandStack.changed', function () {
      changed = true;
      say(status.dataset.changed);
    });
  }

  toggle.addEventListener('click', function () {
    if (!showingXml) {
      currentXml().then(function (xml) {
        textarea.value = xml;
        showingXml = true;
        container.hidden = true;
        viewsBar.hidden = true;
        xmlPane.hidden = false;
        toggle.textContent = toggle.dataset.hide;
      });
      return;
    }
    openXml(textarea.value).then(function (ok) {
      if (!ok) { return; }
      showingXml = false;
      container.hidden = false;
      xmlPane.hidden = true;
      toggle.textContent = toggle.dataset.show;
      watchChanges();
    }).catch(function (error) {
      console.error(error);
      say(status.dataset.failed);
    });
  });

  form.addEventListener('submit', function (event) {
    if (!modeler || showingXml) { submitting = true; return; }
    event.preventDefault();
    currentXml().then(function (xml) {
      textarea.value = xml;
      submitting = true;
      form.submit();
    }).catch(function (error) {
      console.error(error);
      say(status.dataset.failed);
    });
  });

  const original = textarea.value;
  textarea.addEventListener('input', function () { changed = textarea.value !== original; });
  window.addEventListener('beforeunload', function (event) {
    if (changed && !submitting) {
      event.preventDefault();
      event.returnValue = '';
    }
  });

  start();
})();

// The modeler page (admin.modeler): bpmn-js Modeler + properties panel + this product's group.
// Everything the page needs comes from the template: the URLs and CSRF token as data attributes,
// the version, forms, roles and every text (in the page's language) as a JSON data block. No
// inline script, no eval: the page keeps a strict Content-Security-Policy.
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';

import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';

import AwardPropertiesProvider from './provider';
import { format, translator } from '../shared/texts';

const page = document.getElementById('modeler-page');
if (page) {
  start(page);
}

// Below this scale the step names cannot be read.
const READABLE_SCALE = 0.6;

function start(root) {
  const config = JSON.parse(document.getElementById(root.dataset.configId).textContent);
  const strings = config.strings;
  const csrf = root.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const saveButton = $('modeler-save');
  const deployButton = $('modeler-deploy');
  const state = {
    version: config.version,
    importWarnings: [],
    busy: false,
    changes: 0,
    savedChanges: 0,
    opened: false
  };

  const modeler = new Modeler({
    container: $('modeler-canvas'),
    propertiesPanel: { parent: $('modeler-properties') },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      {
        __init__: [ 'awardPropertiesProvider' ],
        awardPropertiesProvider: [ 'type', AwardPropertiesProvider ],
        awardConfig: [ 'value', config ],
        // The server's live checks: a gateway condition under the sandbox's rules, a timer's value.
        awardChecks: [ 'value', {
          expression: (text) => post(state.version.urls.check, { text }),
          timer: (timer, text, name) => post(state.version.urls.check, { text, timer, name })
        } ],
        // bpmn-js's own texts in the page's language (the table comes from the catalog).
        translate: [ 'value', translator(config.bpmnTexts || {}) ]
      }
    ]
    // No moddleExtensions: see extensions.js (generic spiffworkflow elements round-trip).
  });
  // For the browser tests and for debugging from the console.
  root.modeler = modeler;
  translateLeftovers($('modeler-properties'), translator(config.bpmnTexts || {}));

  const dirty = () => state.changes !== state.savedChanges;

  function message(text, kind) {
    const box = $('modeler-message');
    box.textContent = text || '';
    box.className = `alert py-2 small alert-${kind || 'info'}`;
    box.hidden = !text;
  }

  function refreshButtons() {
    const version = state.version;
    const canSave = state.opened && !state.busy && state.importWarnings.length === 0;
    saveButton.disabled = !canSave;
    const label = saveButton.querySelector('.label');
    label.textContent = version.status === 'draft'
      ? saveButton.dataset.labelDraft
      : saveButton.dataset.labelCopy;
    deployButton.disabled = !(
      canSave && !dirty() && version.deployable && version.problems.length === 0
    );
    $('modeler-dirty').hidden = !dirty();
    root.dataset.state = state.busy ? 'busy' : (dirty() ? 'dirty' : 'clean');
  }

  // The page title's tail (the site's name) stays; its head names the version shown.
  const titleTail = document.title.startsWith(state.version.page_title)
    ? document.title.slice(state.version.page_title.length)
    : '';

  function showVersion(version) {
    state.version = version;
    $('modeler-title').textContent = version.title;
    $('modeler-name').textContent = version.name;
    document.title = version.page_title + titleTail;
    const crumb = $('modeler-crumb');
    crumb.textContent = version.crumb;
    if (crumb.tagName === 'A' && version.urls.page) {
      crumb.href = version.urls.page;
    }
    const status = $('modeler-status');
    status.textContent = version.status_label;
    status.dataset.status = version.status;
    const colours = { draft: 'warning', deployed: 'success', retired: 'secondary' };
    status.className = `badge text-bg-${colours[version.status] || 'secondary'} align-middle`;
    $('modeler-readonly').hidden = version.status === 'draft';
    $('modeler-download').href = version.urls.download;
    $('upload-form').action = version.urls.upload;
    const forms = $('modeler-forms');
    if (forms && version.urls.forms) {
      forms.href = version.urls.forms;
    }
    if (window.location.pathname !== version.urls.modeler) {
      window.history.replaceState(null, '', version.urls.modeler);
    }
    const question = version.deploy_question;
    $('modeler-deploy-title').textContent = question.title;
    $('modeler-deploy-body').textContent = question.body;
    $('modeler-deploy-retired').textContent = question.retired;
    $('modeler-deploy-retired').hidden = !question.retired;
    $('modeler-deploy-confirm').textContent = question.button;
    showProblems(version.problems);
    refreshButtons();
  }

  // The check's problems: a list under the toolbar; each one selects its element.
  function showProblems(problems) {
    const canvas = modeler.get('canvas');
    const registry = modeler.get('elementRegistry');
    registry.forEach((element) => canvas.removeMarker(element, 'has-problem'));
    const list = $('problem-list');
    list.replaceChildren();
    for (const problem of problems) {
      const item = document.createElement('li');
      item.className = 'list-group-item py-1';
      item.dataset.problemCode = problem.code;
      const title = document.createElement('strong');
      title.textContent = problem.label || problem.code;
      item.append(title);
      if (problem.element_id) {
        item.dataset.elementId = problem.element_id;
        const code = document.createElement('code');
        code.textContent = problem.element_id;
        item.append(' ', code);
        if (registry.get(problem.element_id)) {
          canvas.addMarker(problem.element_id, 'has-problem');
        }
      }
      // The sentence in the page's language; the engine's own words only as a technical detail.
      const detail = document.createElement('span');
      detail.className = 'text-secondary';
      detail.append(` ${problem.sentence || ''}`);
      const technical = problem.sentence ? problem.technical : (problem.technical || problem.message);
      if (technical) {
        const box = document.createElement('span');
        box.className = 'problem-technical';
        const words = document.createElement('span');
        words.lang = 'en';
        words.textContent = technical;
        box.append(`${strings.technicalDetail} `, words);
        detail.append(' ', box);
      }
      if (problem.line) {
        detail.append(` (${format(strings.problemLine, { line: problem.line })})`);
      }
      item.append(detail);
      list.append(item);
    }
    const count = $('problem-count');
    count.textContent = String(problems.length);
    count.className = `badge rounded-pill ${problems.length ? 'text-bg-danger' : 'text-bg-success'}`;
    $('problems-none').hidden = problems.length > 0;
  }

  // Scroll the canvas to an element; a lane or pool wider than the view only vertically, so the
  // view stays where the administrator was working.
  function reveal(element) {
    const canvas = modeler.get('canvas');
    const box = canvas.viewbox();
    if (element.waypoints || element.width <= box.width * 0.8) {
      canvas.scrollToElement(element, { top: 120, bottom: 120, left: 200, right: 200 });
      return;
    }
    const target = element.y + Math.min(element.height, box.height) / 2;
    canvas.scroll({ dx: 0, dy: (box.y + box.height / 2 - target) * box.scale });
  }

  function enableProblemClicks() {
    $('problem-list').addEventListener('click', (event) => {
      const item = event.target.closest('li');
      if (!item) {
        return;
      }
      const id = item.dataset.elementId;
      const element = id && modeler.get('elementRegistry').get(id);
      for (const other of $('problem-list').children) {
        other.classList.toggle('is-current', other === item);
      }
      if (!element) {
        message(strings.noElement, 'secondary');
        return;
      }
      modeler.get('selection').select(element);
      reveal(element);
    });
  }

  function showImportWarnings(warnings) {
    state.importWarnings = warnings;
    const box = $('modeler-warnings');
    box.hidden = warnings.length === 0;
    $('modeler-warnings-intro').textContent = strings.importWarnings;
    const list = $('modeler-warnings-list');
    list.replaceChildren(...warnings.map((warning) => {
      const item = document.createElement('li');
      item.textContent = warning.message || String(warning);
      return item;
    }));
  }

  async function post(url, body) {
    let response;
    try {
      response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'Content-Type': 'application/json',
          'Accept': 'application/json',
          'X-CSRFToken': csrf
        },
        body: JSON.stringify(body)
      });
    } catch (error) {
      return { ok: false, message: strings.offline };
    }
    const type = response.headers.get('Content-Type') || '';
    if (!type.includes('application/json')) {
      // A login page or an error page: the session expired or the user lost the right.
      return { ok: false, message: strings.expired, status: response.status };
    }
    const data = await response.json();
    return { ...data, ok: response.ok && data.ok !== false, status: response.status };
  }

  async function save() {
    if (saveButton.disabled) {
      return;
    }
    state.busy = true;
    refreshButtons();
    message(strings.saving, 'info');
    const changesAtExport = state.changes;
    let xml;
    try {
      ({ xml } = await modeler.saveXML({ format: true }));
    } catch (error) {
      state.busy = false;
      refreshButtons();
      message(format(strings.failed, { reason: error.message }), 'danger');
      return;
    }
    const result = await post(state.version.urls.save, { xml });
    state.busy = false;
    if (result.ok) {
      state.savedChanges = changesAtExport;
      message(result.message, result.version.problems.length ? 'warning' : 'success');
      showVersion(result.version);
      root.dataset.saved = String(result.version.number);
    } else {
      message(result.message || format(strings.failed, { reason: result.status }), 'danger');
      if (result.problems) {
        showProblems(result.problems);
      }
      refreshButtons();
    }
  }

  async function deploy() {
    if (deployButton.disabled) {
      return;
    }
    state.busy = true;
    refreshButtons();
    message(strings.deploying, 'info');
    const result = await post(state.version.urls.deploy, {});
    state.busy = false;
    if (result.ok) {
      message(result.message, 'success');
      showVersion(result.version);
    } else {
      message(result.message || format(strings.failed, { reason: result.status }), 'danger');
      if (result.problems) {
        state.version = { ...state.version, problems: result.problems, deployable: false };
        showProblems(result.problems);
      }
      refreshButtons();
    }
  }

  async function open() {
    let xml;
    try {
      const response = await fetch(root.dataset.xmlUrl, { credentials: 'same-origin' });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      xml = await response.text();
    } catch (error) {
      $('modeler-loading').textContent = format(strings.openFailed, { reason: error.message });
      return;
    }
    try {
      const { warnings } = await modeler.importXML(xml);
      showImportWarnings(warnings || []);
    } catch (error) {
      // Not drawable at all (the check lists why); nothing can be edited or saved here.
      $('modeler-loading').textContent = format(strings.openFailed, { reason: error.message });
      showImportWarnings(error.warnings || [ error ]);
      refreshButtons();
      return;
    }
    $('modeler-loading').remove();
    const canvas = modeler.get('canvas');
    canvas.zoom('fit-viewport', 'auto');
    const box = canvas.viewbox();
    if (box.scale < READABLE_SCALE) {
      // A wide diagram fitted whole cannot be read: start readable at its top-left corner.
      canvas.viewbox({
        x: box.inner.x - 160 / READABLE_SCALE,
        y: box.inner.y - 20,
        width: box.outer.width / READABLE_SCALE,
        height: box.outer.height / READABLE_SCALE
      });
    }
    state.opened = true;
    showVersion(state.version);
    root.dataset.ready = 'true';
  }

  modeler.on('commandStack.changed', (event) => {
    if (event.trigger === 'clear') {
      return;
    }
    state.changes += 1;
    refreshButtons();
  });
  // Unsaved changes download as they are on the screen; otherwise the stored file is served.
  $('modeler-download').addEventListener('click', async (event) => {
    if (!dirty() || state.importWarnings.length || !state.opened) {
      return;
    }
    event.preventDefault();
    const { xml } = await modeler.saveXML({ format: true });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([ xml ], { type: 'application/xml' }));
    link.download = `${state.version.key}-v${state.version.number}-unsaved.bpmn`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
  saveButton.addEventListener('click', save);
  // The deploy button opens the confirmation (Bootstrap's dialog); its button deploys.
  // Bootstrap ignores the confirm's dismiss while the dialog is still fading in (a quick
  // click): the deploy goes on, so close the dialog once it is shown.
  const deployDialog = $('modeler-deploy-dialog');
  deployDialog.addEventListener('show.bs.modal', () => {
    deployDialog.dataset.confirmed = '';
  });
  $('modeler-deploy-confirm').addEventListener('click', () => {
    deployDialog.dataset.confirmed = 'true';
    deploy();
  });
  deployDialog.addEventListener('shown.bs.modal', () => {
    if (deployDialog.dataset.confirmed === 'true') {
      window.bootstrap.Modal.getOrCreateInstance(deployDialog).hide();
    }
  });
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      save();
    }
  });
  window.addEventListener('beforeunload', (event) => {
    if (dirty()) {
      event.preventDefault();
      event.returnValue = strings.confirmLeave;
    }
  });
  enableProblemClicks();
  refreshButtons();
  open();
}

// A few controls of the properties panel are drawn without its translate service (the
// documentation field's "Open pop-up editor" button is one): their tooltips and accessible names
// are put in the page's language here, as the panel draws them. Texts the table does not know
// stay as they are.
function translateLeftovers(container, translate) {
  const attributes = [ 'title', 'aria-label', 'placeholder' ];
  const fix = (element) => {
    for (const name of attributes) {
      const value = element.getAttribute(name);
      if (value) {
        const translated = translate(value);
        if (translated !== value) {
          element.setAttribute(name, translated);
        }
      }
    }
  };
  const sweep = (node) => {
    if (node.nodeType === Node.ELEMENT_NODE) {
      fix(node);
      node.querySelectorAll('[title], [aria-label], [placeholder]').forEach(fix);
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes') {
        fix(record.target);
      } else {
        record.addedNodes.forEach(sweep);
      }
    }
  }).observe(container, { subtree: true, childList: true, attributes: true, attributeFilter: attributes });
  sweep(container);
}

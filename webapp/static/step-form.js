// Step forms: a field the form's JSON Schema requires only for some decisions (its if/then
// rules, given by the server as data-required-when='[{"field": "decision", "values": [...]}]')
// is marked required live as the decision changes: the visible mark, `required` and
// `aria-required`. The server checks the same rules again; nothing here is trusted.
(function () {
  'use strict';

  function currentValue(form, name) {
    const control = form.elements.namedItem(name);
    if (!control) { return null; }
    // A radio group is a RadioNodeList whose value is the checked option's ('' if none).
    return control.value;
  }

  function applies(form, rules) {
    return rules.some(function (rule) {
      const value = currentValue(form, rule.field);
      return value !== null && rule.values.indexOf(value) !== -1;
    });
  }

  function setRequired(target, on) {
    const inputs = target.matches('input, textarea, select')
      ? [target]
      : Array.prototype.slice.call(target.querySelectorAll('input, textarea, select'));
    inputs.forEach(function (input) { input.required = on; });
    if (on) {
      target.setAttribute('aria-required', 'true');
    } else {
      target.removeAttribute('aria-required');
    }
    const id = target.id;
    if (id) {
      document.querySelectorAll('[data-required-mark]').forEach(function (mark) {
        if (mark.getAttribute('data-required-mark') === id) { mark.hidden = !on; }
      });
    }
  }

  function wire(target) {
    const form = target.closest('form');
    let rules;
    try {
      rules = JSON.parse(target.getAttribute('data-required-when') || '[]');
    } catch (error) {
      return;
    }
    if (!form || !Array.isArray(rules)) { return; }
    const update = function () { setRequired(target, applies(form, rules)); };
    form.addEventListener('change', update);
    form.addEventListener('input', update);
    update();
  }

  document.querySelectorAll('[data-required-when]').forEach(wire);
})();

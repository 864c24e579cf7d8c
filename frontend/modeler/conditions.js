// The properties panel group "Condition" of a flow leaving an exclusive or inclusive gateway:
//   - a field of the forms of the steps before the gateway and one of its options, which
//     writes `decision == "return"` (read back as "Quyết định = Trả lại");
//   - or an expression written by hand, checked live by the server under the sandbox's rules;
//   - "default flow", which sets or clears the gateway's `default` (a default flow has no
//     condition: the engine takes it when no other condition holds).
// Every change is a command of the command stack: undo and redo work as for any edit.
import { jsx, jsxs } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { useEffect, useState } from '@bpmn-io/properties-panel/preact/hooks';
import {
  CheckboxEntry,
  SelectEntry,
  TextAreaEntry,
  isCheckboxEntryEdited,
  isSelectEntryEdited,
  isTextAreaEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';

import { FORM, readProperty } from './extensions';

const MULTI = 'properties-panel.multi-command-executor';
const GATEWAYS = [ 'bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway' ];
const STEPS = [ 'bpmn:UserTask', 'bpmn:ManualTask' ];
// How long the expression rests before the server checks it.
const CHECK_DELAY = 400;

// `name == literal`: a string in quotes without escapes, a whole or decimal number, True/False.
const FIELD_TEST = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*==\s*("[^"\\]*"|'[^'\\]*'|-?\d+(?:\.\d+)?|True|False)\s*$/;

/** Whether the element is a sequence flow whose source is an exclusive or inclusive gateway. */
export function isGatewayFlow(element) {
  if (!is(element, 'bpmn:SequenceFlow')) {
    return false;
  }
  const source = getBusinessObject(element).sourceRef;
  return !!source && isAny(source, GATEWAYS);
}

/** The Python literal the engine reads back as `value`. */
export function literal(value) {
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'number') {
    return String(value);
  }
  return JSON.stringify(String(value));
}

function parseLiteral(text) {
  if (text === 'True' || text === 'False') {
    return text === 'True';
  }
  if (text.startsWith('"') || text.startsWith('\'')) {
    return text.slice(1, -1);
  }
  return Number(text);
}

/** { name, value } when the condition is exactly `name == literal`, else null. */
export function parseFieldTest(text) {
  const match = FIELD_TEST.exec(text || '');
  return match ? { name: match[1], value: parseLiteral(match[2]) } : null;
}

export function readCondition(element) {
  const expression = getBusinessObject(element).conditionExpression;
  return (expression && expression.body) || '';
}

function gatewayOf(element) {
  return getBusinessObject(element).sourceRef;
}

export function isDefaultFlow(element) {
  const gateway = gatewayOf(element);
  return !!gateway && gateway.default === getBusinessObject(element);
}

/**
 * The choice fields of the forms of the steps before the flow's gateway, nearest step first;
 * a field name appears once (the nearest step's answer is the one the gateway reads).
 */
export function fieldsBefore(element, conditionFields) {
  const fields = [];
  const seen = new Set();
  const visited = new Set();
  let layer = element.source ? [ element.source ] : [];
  while (layer.length) {
    const next = [];
    for (const node of layer) {
      if (visited.has(node)) {
        continue;
      }
      visited.add(node);
      if (isAny(node, STEPS)) {
        const form = readProperty(node, FORM);
        for (const field of conditionFields[form] || []) {
          if (!seen.has(field.name)) {
            seen.add(field.name);
            const step = getBusinessObject(node).name || node.id;
            fields.push({ ...field, step });
          }
        }
      }
      for (const connection of node.incoming || []) {
        if (connection.source && is(connection, 'bpmn:SequenceFlow')) {
          next.push(connection.source);
        }
      }
    }
    layer = next;
  }
  return fields;
}

/** The field and option the condition names, when it has that shape and both are offered. */
export function pickedField(element, fields) {
  const test = parseFieldTest(readCondition(element));
  if (!test) {
    return null;
  }
  const field = fields.find((f) => f.name === test.name);
  const option = field && field.options.find((o) => literal(o.value) === literal(test.value));
  return option ? { field, option } : null;
}

function useServices() {
  return {
    bpmnFactory: useService('bpmnFactory'),
    commandStack: useService('commandStack'),
    config: useService('awardConfig'),
    checks: useService('awardChecks'),
    debounce: useService('debounceInput')
  };
}

function conditionCommands(element, text, { bpmnFactory }) {
  const bo = getBusinessObject(element);
  const commands = [];
  const conditionExpression = text
    ? bpmnFactory.create('bpmn:FormalExpression', { body: text })
    : undefined;
  if (text || bo.conditionExpression) {
    commands.push({
      cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: bo, properties: { conditionExpression } }
    });
  }
  if (text && isDefaultFlow(element)) {
    // A flow with a condition is no longer the default one.
    commands.push(defaultCommand(element, undefined));
  }
  return commands;
}

function defaultCommand(element, flow) {
  return {
    cmd: 'element.updateProperties',
    context: { element: element.source, properties: { default: flow } }
  };
}

function setCondition(element, text, services) {
  const commands = conditionCommands(element, (text || '').trim(), services);
  if (commands.length) {
    services.commandStack.execute(MULTI, commands);
  }
}

function fieldLabel(field, strings) {
  return strings.conditionFieldOfStep
    .replace('{field}', field.label)
    .replace('{step}', field.step);
}

function DefaultFlow({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  return jsx(CheckboxEntry, {
    element,
    id,
    label: strings.defaultFlow,
    description: strings.defaultFlowHelp,
    getValue: () => isDefaultFlow(element),
    setValue: (checked) => {
      const commands = [];
      if (checked) {
        commands.push(defaultCommand(element, getBusinessObject(element)));
        if (getBusinessObject(element).conditionExpression) {
          commands.push(...conditionCommands(element, '', services));
        }
      } else if (isDefaultFlow(element)) {
        commands.push(defaultCommand(element, undefined));
      }
      if (commands.length) {
        services.commandStack.execute(MULTI, commands);
      }
    }
  });
}

function ConditionField({ element, id }) {
  const services = useServices();
  const { strings, conditionFields } = services.config;
  if (isDefaultFlow(element)) {
    return null;
  }
  const fields = fieldsBefore(element, conditionFields || {});
  const picked = pickedField(element, fields);
  return jsx(SelectEntry, {
    element,
    id,
    label: strings.conditionField,
    description: fields.length ? strings.conditionFieldHelp : strings.conditionNoFields,
    getValue: () => (picked ? picked.field.name : ''),
    setValue: (name) => {
      const field = fields.find((f) => f.name === name);
      if (!field || (picked && picked.field.name === field.name)) {
        return;
      }
      setCondition(element, `${field.name} == ${literal(field.options[0].value)}`, services);
    },
    getOptions: () => [
      { value: '', label: picked || !readCondition(element) ? strings.conditionFieldNone : strings.conditionFieldCustom },
      ...fields.map((f) => ({ value: f.name, label: fieldLabel(f, strings) }))
    ]
  });
}

function ConditionValue({ element, id }) {
  const services = useServices();
  const { strings, conditionFields } = services.config;
  if (isDefaultFlow(element)) {
    return null;
  }
  const picked = pickedField(element, fieldsBefore(element, conditionFields || {}));
  if (!picked) {
    return null;
  }
  const { field, option } = picked;
  return jsxs('div', {
    children: [
      jsx(SelectEntry, {
        element,
        id,
        label: strings.conditionValue,
        getValue: () => literal(option.value),
        setValue: (value) => setCondition(element, `${field.name} == ${value}`, services),
        getOptions: () => field.options.map((o) => ({ value: literal(o.value), label: o.label }))
      }),
      jsx('p', {
        class: 'award-condition-reading',
        'data-condition-reading': 'true',
        children: strings.conditionReads
          .replace('{field}', field.label)
          .replace('{value}', option.label)
      })
    ]
  });
}

function ConditionExpression({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  const text = readCondition(element);
  const [ verdict, setVerdict ] = useState(null);
  useEffect(() => {
    if (!text.trim()) {
      setVerdict(null);
      return undefined;
    }
    let current = true;
    setVerdict({ pending: true });
    const timer = setTimeout(async () => {
      const result = await services.checks.expression(text);
      if (current) {
        setVerdict(result);
      }
    }, CHECK_DELAY);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [ text ]);
  if (isDefaultFlow(element)) {
    return null;
  }
  let status = null;
  if (verdict && !verdict.pending) {
    const accepted = verdict.ok && verdict.accepted;
    const children = [ verdict.message || strings.conditionCheckFailed ];
    if (verdict.technical) {
      children.push(' ', jsxs('span', {
        class: 'problem-technical',
        children: [ `${strings.technicalDetail} `, jsx('span', { lang: 'en', children: verdict.technical }) ]
      }));
    }
    status = jsx('div', {
      class: `award-condition-check ${accepted ? 'is-accepted' : 'is-refused'}`,
      'data-accepted': String(!!accepted),
      children
    });
  } else if (verdict) {
    status = jsx('div', {
      class: 'award-condition-check is-pending',
      'data-accepted': 'pending',
      children: strings.conditionChecking
    });
  } else if (!text.trim()) {
    status = jsx('div', {
      class: 'award-condition-check is-missing',
      'data-accepted': 'empty',
      children: strings.conditionMissing
    });
  }
  const hint = conditionHint(text, fieldsBefore(element, services.config.conditionFields || {}), strings);
  return jsxs('div', {
    children: [
      jsx(TextAreaEntry, {
        element,
        id,
        label: strings.conditionExpression,
        description: strings.conditionExpressionHelp,
        debounce: services.debounce,
        monospace: true,
        rows: 2,
        getValue: () => readCondition(element),
        setValue: (value) => setCondition(element, value, services)
      }),
      jsx('div', {
        id: 'award-condition-check',
        role: 'status',
        'aria-live': 'polite',
        children: hint ? [ status, hint ] : status
      })
    ]
  });
}

/**
 * A note when a `name == literal` condition names no field of the forms before the gateway, a
 * warning when it names a value that is not one of the field's answers (the engine accepts
 * both; the flow would never be taken).
 */
function conditionHint(text, fields, strings) {
  const test = parseFieldTest(text);
  if (!test || !fields.length) {
    return null;
  }
  const field = fields.find((f) => f.name === test.name);
  let message = null;
  let kind = 'is-refused';
  if (!field) {
    // It may be the dossier's own data (award_form, procedure...): a note, not a refusal.
    message = strings.conditionUnknownField.replace('{name}', test.name);
    kind = 'is-pending';
  } else if (!field.options.some((o) => literal(o.value) === literal(test.value))) {
    message = strings.conditionUnknownValue
      .replace('{value}', String(test.value))
      .replace('{field}', field.label);
  }
  return message && jsx('div', {
    class: `award-condition-check ${kind}`,
    'data-condition-hint': 'true',
    children: message
  });
}

/** The entries of the "Condition" group for a flow leaving a gateway (none otherwise). */
export function conditionEntries(element) {
  if (!isGatewayFlow(element)) {
    return [];
  }
  return [
    { id: 'award-default-flow', component: DefaultFlow, isEdited: isCheckboxEntryEdited },
    { id: 'award-condition-field', component: ConditionField, isEdited: isSelectEntryEdited },
    { id: 'award-condition-value', component: ConditionValue, isEdited: isSelectEntryEdited },
    { id: 'award-condition-expression', component: ConditionExpression, isEdited: isTextAreaEntryEdited }
  ];
}

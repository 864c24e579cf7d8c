// The properties panel group "Message content" of a message event, a send task or a receive
// task: what the engine reads besides the message's name (bpmn-js's own "Message" group):
//   - what a throw sends: spiffworkflow:messagePayload, an expression over the data, checked live;
//   - where a catch puts what it receives: spiffworkflow:messageVariable, a name;
//   - how the message is routed: the expression of each correlation property for this message
//     (bpmn:correlationPropertyRetrievalExpression), e.g. round_id.
// Each change is a command: undo and redo work.
import { jsx, jsxs } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { useEffect, useState } from '@bpmn-io/properties-panel/preact/hooks';
import {
  TextAreaEntry,
  TextFieldEntry,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { VARIABLE_NAME, readSpiffText, spiffTextCommands } from './extensions';

const MULTI = 'properties-panel.multi-command-executor';
const CHECK_DELAY = 400;
const PAYLOAD = 'messagePayload';
const VARIABLE = 'messageVariable';

/** { owner, message, throws } of a message event or a send/receive task, else null. */
export function messageSide(element) {
  const bo = getBusinessObject(element);
  if (is(bo, 'bpmn:SendTask') || is(bo, 'bpmn:ReceiveTask')) {
    return { owner: bo, message: bo.messageRef, throws: is(bo, 'bpmn:SendTask') };
  }
  const definition = (bo.eventDefinitions || []).find((d) => is(d, 'bpmn:MessageEventDefinition'));
  if (!definition) {
    return null;
  }
  return { owner: definition, message: definition.messageRef, throws: is(bo, 'bpmn:ThrowEvent') };
}

function definitionsOf(bo) {
  let node = bo;
  while (node && node.$parent) {
    node = node.$parent;
  }
  return node;
}

/** The retrieval expressions of the correlation properties that route `message`. */
export function correlationsOf(message) {
  if (!message) {
    return [];
  }
  const found = [];
  for (const root of definitionsOf(message).rootElements || []) {
    if (!is(root, 'bpmn:CorrelationProperty')) {
      continue;
    }
    for (const retrieval of root.correlationPropertyRetrievalExpression || []) {
      if (retrieval.messageRef === message) {
        found.push({ property: root, retrieval });
      }
    }
  }
  return found;
}

function useServices() {
  return {
    moddle: useService('moddle'),
    bpmnFactory: useService('bpmnFactory'),
    commandStack: useService('commandStack'),
    config: useService('awardConfig'),
    checks: useService('awardChecks'),
    debounce: useService('debounceInput')
  };
}

function run(commandStack, commands) {
  if (commands.length) {
    commandStack.execute(MULTI, commands);
  }
}

/** The server's verdict on `text` as an expression, once it has rested. */
function useVerdict(text, checks) {
  const [ verdict, setVerdict ] = useState(null);
  useEffect(() => {
    if (!text.trim()) {
      setVerdict(null);
      return undefined;
    }
    let current = true;
    setVerdict({ pending: true });
    const timer = setTimeout(async () => {
      const result = await checks.expression(text);
      if (current) {
        setVerdict(result);
      }
    }, CHECK_DELAY);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [ text ]);
  return verdict;
}

function verdictView(verdict, strings) {
  if (!verdict) {
    return null;
  }
  if (verdict.pending) {
    return jsx('div', {
      class: 'award-condition-check is-pending',
      'data-accepted': 'pending',
      children: strings.conditionChecking
    });
  }
  const accepted = verdict.ok && verdict.accepted;
  const children = [ verdict.message || strings.conditionCheckFailed ];
  if (verdict.technical) {
    children.push(' ', jsxs('span', {
      class: 'problem-technical',
      children: [ `${strings.technicalDetail} `, jsx('span', { lang: 'en', children: verdict.technical }) ]
    }));
  }
  return jsx('div', {
    class: `award-condition-check ${accepted ? 'is-accepted' : 'is-refused'}`,
    'data-accepted': String(!!accepted),
    children
  });
}

function Payload({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  const { owner } = messageSide(element);
  const text = readSpiffText(owner, PAYLOAD);
  const verdict = useVerdict(text, services.checks);
  return jsxs('div', {
    children: [
      jsx(TextAreaEntry, {
        element,
        id,
        label: strings.messagePayload,
        description: strings.messagePayloadHelp,
        debounce: services.debounce,
        monospace: true,
        rows: 2,
        getValue: () => readSpiffText(owner, PAYLOAD),
        setValue: (value) => run(
          services.commandStack,
          spiffTextCommands(element, owner, PAYLOAD, (value || '').trim(), services)
        )
      }),
      jsx('div', {
        class: 'award-check',
        id: 'award-payload-check',
        role: 'status',
        'aria-live': 'polite',
        children: verdictView(verdict, strings)
      })
    ]
  });
}

function Variable({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  const { owner } = messageSide(element);
  return jsx(TextFieldEntry, {
    element,
    id,
    label: strings.messageVariable,
    description: strings.messageVariableHelp,
    debounce: services.debounce,
    getValue: () => readSpiffText(owner, VARIABLE),
    setValue: (value, error) => {
      if (!error) {
        run(
          services.commandStack,
          spiffTextCommands(element, owner, VARIABLE, (value || '').trim(), services)
        );
      }
    },
    validate: (value) => {
      const name = (value || '').trim();
      return name && !VARIABLE_NAME.test(name) ? strings.nameInvalid : null;
    }
  });
}

function Correlation({ element, id, index }) {
  const services = useServices();
  const { strings } = services.config;
  const { message } = messageSide(element);
  const found = correlationsOf(message)[index];
  const text = found ? ((found.retrieval.messagePath && found.retrieval.messagePath.body) || '') : '';
  const verdict = useVerdict(text, services.checks);
  if (!found) {
    return null;
  }
  const name = found.property.name || found.property.id;
  return jsxs('div', {
    children: [
      jsx(TextFieldEntry, {
        element,
        id,
        label: strings.correlation.replace('{name}', name),
        description: index === 0 ? strings.correlationHelp : undefined,
        debounce: services.debounce,
        getValue: () => {
          const path = found.retrieval.messagePath;
          return (path && path.body) || '';
        },
        setValue: (value) => {
          const body = (value || '').trim();
          const messagePath = body
            ? services.bpmnFactory.create('bpmn:FormalExpression', { body })
            : undefined;
          if (messagePath) {
            messagePath.$parent = found.retrieval;
          }
          run(services.commandStack, [ {
            cmd: 'element.updateModdleProperties',
            context: { element, moddleElement: found.retrieval, properties: { messagePath } }
          } ]);
        }
      }),
      jsx('div', {
        class: 'award-check',
        role: 'status',
        'aria-live': 'polite',
        children: verdictView(verdict, strings)
      })
    ]
  });
}

/** The entries of the "Message content" group (none for an element without a message). */
export function messageEntries(element) {
  const side = messageSide(element);
  if (!side) {
    return [];
  }
  const entries = side.throws
    ? [ { id: 'award-message-payload', component: Payload, isEdited: isTextAreaEntryEdited } ]
    : [ { id: 'award-message-variable', component: Variable, isEdited: isTextFieldEntryEdited } ];
  correlationsOf(side.message).forEach((found, index) => {
    entries.push({
      id: `award-correlation-${found.property.id}`,
      component: Correlation,
      index,
      isEdited: isTextFieldEntryEdited
    });
  });
  return entries;
}

// The properties panel group "Timer" of a timer event, in place of bpmn-js's own (which writes
// what is typed as the expression itself: "P3D" there is a name the engine cannot find).
//   - the kind: a duration, a date and time, or a cycle (timeDuration / timeDate / timeCycle);
//   - the value: ISO 8601 text, written as the string literal the engine evaluates ("P3D"), or,
//     after "=", an expression computed from the dossier's data;
//   - the server's verdict, by the same rules as the check of a saved diagram.
// The engine's timers count calendar time: no working days here (a step's time limit is in
// working days, on the step).
import { jsx, jsxs } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { useEffect, useState } from '@bpmn-io/properties-panel/preact/hooks';
import {
  SelectEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

const MULTI = 'properties-panel.multi-command-executor';
const PROPERTIES = { duration: 'timeDuration', date: 'timeDate', cycle: 'timeCycle' };
const CHECK_DELAY = 400;
const STRING_LITERAL = /^\s*(?:"([^"\\]*)"|'([^'\\]*)')\s*$/;

export function timerDefinition(element) {
  const definitions = getBusinessObject(element).eventDefinitions || [];
  return definitions.find((d) => is(d, 'bpmn:TimerEventDefinition')) || null;
}

export function timerKind(definition) {
  return Object.keys(PROPERTIES).find((kind) => definition.get(PROPERTIES[kind])) || '';
}

export function timerBody(definition) {
  const kind = timerKind(definition);
  const expression = kind && definition.get(PROPERTIES[kind]);
  return (expression && expression.body) || '';
}

/** What the value field shows: the literal's text, or "=" and the expression. */
export function shownValue(body) {
  if (!body.trim()) {
    return '';
  }
  const match = STRING_LITERAL.exec(body);
  return match ? (match[1] !== undefined ? match[1] : match[2]) : `=${body.trim()}`;
}

/** The expression the engine evaluates for what was typed in the value field. */
export function bodyOf(text) {
  const value = (text || '').trim();
  if (value.startsWith('=')) {
    return value.slice(1).trim();
  }
  return value ? JSON.stringify(value) : '';
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

function timerCommand(element, definition, kind, body, { bpmnFactory }) {
  const properties = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
  if (kind) {
    const expression = bpmnFactory.create('bpmn:FormalExpression', { body });
    expression.$parent = definition;
    properties[PROPERTIES[kind]] = expression;
  }
  return {
    cmd: 'element.updateModdleProperties',
    context: { element, moddleElement: definition, properties }
  };
}

function TimerKind({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  const definition = timerDefinition(element);
  return jsx(SelectEntry, {
    element,
    id,
    label: strings.timerKind,
    getValue: () => timerKind(definition),
    setValue: (kind) => {
      if (kind !== timerKind(definition)) {
        services.commandStack.execute(MULTI, [
          timerCommand(element, definition, kind, timerBody(definition), services)
        ]);
      }
    },
    getOptions: () => [
      { value: '', label: strings.timerKindNone },
      { value: 'duration', label: strings.timerDuration },
      { value: 'date', label: strings.timerDate },
      { value: 'cycle', label: strings.timerCycle }
    ]
  });
}

function TimerValue({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  const definition = timerDefinition(element);
  const kind = timerKind(definition);
  const body = timerBody(definition);
  const name = getBusinessObject(element).name || element.id;
  const [ verdict, setVerdict ] = useState(null);
  useEffect(() => {
    if (!kind) {
      setVerdict(null);
      return undefined;
    }
    let current = true;
    setVerdict({ pending: true });
    const timer = setTimeout(async () => {
      const result = await services.checks.timer(kind, body, name);
      if (current) {
        setVerdict(result);
      }
    }, CHECK_DELAY);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [ kind, body, name ]);
  if (!kind) {
    return null;
  }
  let status = null;
  if (verdict && verdict.pending) {
    status = jsx('div', {
      class: 'award-condition-check is-pending',
      'data-accepted': 'pending',
      children: strings.conditionChecking
    });
  } else if (verdict) {
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
  }
  return jsxs('div', {
    children: [
      jsx(TextFieldEntry, {
        element,
        id,
        label: strings.timerValue,
        description: strings[`timerHelp_${kind}`],
        debounce: services.debounce,
        getValue: () => shownValue(timerBody(definition)),
        setValue: (text) => {
          const next = bodyOf(text);
          if (next !== timerBody(definition)) {
            services.commandStack.execute(MULTI, [
              timerCommand(element, definition, kind, next, services)
            ]);
          }
        }
      }),
      jsx('div', { id: 'award-timer-check', role: 'status', 'aria-live': 'polite', children: status })
    ]
  });
}

/** The entries of the "Timer" group of a timer event (none otherwise). */
export function timerEntries(element) {
  if (!timerDefinition(element)) {
    return [];
  }
  return [
    { id: 'award-timer-kind', component: TimerKind, isEdited: isSelectEntryEdited },
    { id: 'award-timer-value', component: TimerValue, isEdited: isTextFieldEntryEdited }
  ];
}

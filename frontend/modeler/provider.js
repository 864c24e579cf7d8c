// The properties panel group "Workflow properties": what this product reads from a diagram.
//   user and manual tasks: the form (a form of this version, or a new name), the time limit
//   and its legal basis
//   lanes: the role whose holders do the lane's steps
//   end events: the dossier's outcome
//   multi-instance tasks: the collection and the element variable
//   business-rule tasks: the decision they call (a decision of this version's rule tables)
// and, as groups of their own, a gateway flow's condition (conditions.js), a timer (timers.js)
// and a message's content and routing (messages.js).
// Preact comes from @bpmn-io/properties-panel (the panel's own copy), never from 'preact'.
import { jsx } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import {
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { is, isAny } from 'bpmn-js/lib/util/ModelUtil';

import {
  FORM,
  MAX_TIME_LIMIT_BASIS,
  OUTCOME,
  ROLE,
  TIME_LIMIT,
  TIME_LIMIT_BASIS,
  calledDecisionCommands,
  collectionCommands,
  collectionProblem,
  elementVariableCommands,
  idProblem,
  multiInstance,
  propertyCommands,
  readCalledDecision,
  readCollection,
  readElementVariable,
  readProperty
} from './extensions';
import { conditionEntries } from './conditions';
import { messageEntries } from './messages';
import { timerEntries } from './timers';

const MULTI = 'properties-panel.multi-command-executor';

function run(commandStack, commands) {
  if (commands.length) {
    commandStack.execute(MULTI, commands);
  }
}

function useServices() {
  return {
    moddle: useService('moddle'),
    bpmnFactory: useService('bpmnFactory'),
    elementRegistry: useService('elementRegistry'),
    commandStack: useService('commandStack'),
    config: useService('awardConfig'),
    debounce: useService('debounceInput')
  };
}

function propertySetter(element, name, services) {
  return (value, error) => {
    if (error) {
      return;
    }
    run(services.commandStack, propertyCommands(element, name, (value || '').trim(), services));
  };
}

function withCurrent(options, current, missingLabel) {
  if (current && !options.some((o) => o.value === current)) {
    return [ ...options, { value: current, label: missingLabel.replace(/\{\w+\}/, current) } ];
  }
  return options;
}

function FormSelect({ element, id }) {
  const services = useServices();
  const { strings, forms } = services.config;
  return jsx(SelectEntry, {
    element,
    id,
    label: strings.form,
    getValue: () => readProperty(element, FORM),
    setValue: propertySetter(element, FORM, services),
    getOptions: () => withCurrent(
      [ { value: '', label: strings.formNone }, ...forms.map((f) => ({ value: f, label: f })) ],
      readProperty(element, FORM),
      strings.formMissing
    )
  });
}

function FormName({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  return jsx(TextFieldEntry, {
    element,
    id,
    label: strings.formName,
    description: strings.formNameHelp,
    debounce: services.debounce,
    getValue: () => readProperty(element, FORM),
    setValue: propertySetter(element, FORM, services)
  });
}

function TimeLimit({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  return jsx(TextFieldEntry, {
    element,
    id,
    label: strings.timeLimit,
    description: strings.timeLimitHelp,
    debounce: services.debounce,
    getValue: () => readProperty(element, TIME_LIMIT),
    setValue: propertySetter(element, TIME_LIMIT, services),
    validate: (value) => {
      const text = (value || '').trim();
      // The same rule as the check of an uploaded diagram (workflows/checks.py): 1 to 365.
      const days = /^\d{1,3}$/.test(text) ? Number(text) : 0;
      return text && !(days >= 1 && days <= 365) ? strings.timeLimitInvalid : null;
    }
  });
}

function TimeLimitBasis({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  return jsx(TextAreaEntry, {
    element,
    id,
    label: strings.timeLimitBasis,
    description: strings.timeLimitBasisHelp,
    debounce: services.debounce,
    autoResize: true,
    getValue: () => readProperty(element, TIME_LIMIT_BASIS),
    setValue: propertySetter(element, TIME_LIMIT_BASIS, services),
    validate: (value) => (
      // The same bound as the check of an uploaded diagram (workflows/checks.py).
      (value || '').length > MAX_TIME_LIMIT_BASIS ? strings.timeLimitBasisInvalid : null
    )
  });
}

function RoleSelect({ element, id }) {
  const services = useServices();
  const { strings, roles } = services.config;
  return jsx(SelectEntry, {
    element,
    id,
    label: strings.role,
    getValue: () => readProperty(element, ROLE),
    setValue: propertySetter(element, ROLE, services),
    getOptions: () => withCurrent(
      // Roles by name (the server sends { value: code, label: name }); the lane stores the code.
      [ { value: '', label: strings.roleNone }, ...roles ],
      readProperty(element, ROLE),
      strings.roleUnknown
    )
  });
}

function RoleCode({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  return jsx(TextFieldEntry, {
    element,
    id,
    label: strings.roleCode,
    description: strings.roleCodeHelp,
    debounce: services.debounce,
    getValue: () => readProperty(element, ROLE),
    setValue: propertySetter(element, ROLE, services)
  });
}

function OutcomeSelect({ element, id }) {
  const services = useServices();
  const { strings, outcomes } = services.config;
  return jsx(SelectEntry, {
    element,
    id,
    label: strings.outcome,
    getValue: () => readProperty(element, OUTCOME),
    setValue: propertySetter(element, OUTCOME, services),
    getOptions: () => withCurrent(
      [ { value: '', label: strings.outcomeNone }, ...outcomes ],
      readProperty(element, OUTCOME),
      '{value}'
    )
  });
}

function Collection({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  return jsx(TextFieldEntry, {
    element,
    id,
    label: strings.collection,
    description: strings.collectionHelp,
    debounce: services.debounce,
    getValue: () => readCollection(element),
    setValue: (value, error) => {
      if (!error) {
        run(services.commandStack, collectionCommands(element, (value || '').trim(), services));
      }
    },
    validate: (value) => collectionProblem((value || '').trim(), services, strings)
  });
}

function ElementVariable({ element, id }) {
  const services = useServices();
  const { strings } = services.config;
  return jsx(TextFieldEntry, {
    element,
    id,
    label: strings.elementVariable,
    description: strings.elementVariableHelp,
    debounce: services.debounce,
    getValue: () => readElementVariable(element),
    setValue: (value, error) => {
      if (!error) {
        run(services.commandStack, elementVariableCommands(element, (value || '').trim(), services));
      }
    },
    validate: (value) => {
      const name = (value || '').trim();
      const loop = multiInstance(element);
      return name ? idProblem(name, loop && loop.inputDataItem, services, strings) : null;
    }
  });
}

function CalledDecision({ element, id }) {
  const services = useServices();
  const { strings, decisions } = services.config;
  return jsx(SelectEntry, {
    element,
    id,
    label: strings.decision,
    description: strings.decisionHelp,
    getValue: () => readCalledDecision(element),
    setValue: (value) => run(
      services.commandStack, calledDecisionCommands(element, value || '', services)
    ),
    getOptions: () => withCurrent(
      [ { value: '', label: strings.decisionNone }, ...(decisions || []) ],
      readCalledDecision(element),
      strings.decisionMissing
    )
  });
}

function entriesFor(element) {
  const entries = [];
  if (isAny(element, [ 'bpmn:UserTask', 'bpmn:ManualTask' ])) {
    entries.push(
      { id: 'award-form', component: FormSelect, isEdited: isSelectEntryEdited },
      { id: 'award-form-name', component: FormName, isEdited: isTextFieldEntryEdited },
      { id: 'award-time-limit', component: TimeLimit, isEdited: isTextFieldEntryEdited },
      { id: 'award-time-limit-basis', component: TimeLimitBasis, isEdited: isTextAreaEntryEdited }
    );
  }
  if (is(element, 'bpmn:Lane')) {
    entries.push(
      { id: 'award-role', component: RoleSelect, isEdited: isSelectEntryEdited },
      { id: 'award-role-code', component: RoleCode, isEdited: isTextFieldEntryEdited }
    );
  }
  if (is(element, 'bpmn:BusinessRuleTask')) {
    entries.push({ id: 'award-decision', component: CalledDecision, isEdited: isSelectEntryEdited });
  }
  if (is(element, 'bpmn:EndEvent')) {
    entries.push({ id: 'award-outcome', component: OutcomeSelect, isEdited: isSelectEntryEdited });
  }
  if (is(element, 'bpmn:Activity') && multiInstance(element)) {
    entries.push(
      { id: 'award-collection', component: Collection, isEdited: isTextFieldEntryEdited },
      { id: 'award-element-variable', component: ElementVariable, isEdited: isTextFieldEntryEdited }
    );
  }
  return entries;
}

export default function AwardPropertiesProvider(propertiesPanel, awardConfig) {
  this.getGroups = (element) => (groups) => {
    const entries = entriesFor(element);
    if (entries.length) {
      // Right after "General": what the engine reads comes before documentation and the rest.
      const general = groups.findIndex((g) => g.id === 'general');
      groups.splice(general + 1, 0, {
        id: 'award-properties',
        label: awardConfig.strings.group,
        shouldOpen: true,
        entries
      });
    }
    const conditions = conditionEntries(element);
    if (conditions.length) {
      const general = groups.findIndex((g) => g.id === 'general');
      groups.splice(general + 1, 0, {
        id: 'award-condition',
        label: awardConfig.strings.conditionGroup,
        shouldOpen: true,
        entries: conditions
      });
    }
    const timers = timerEntries(element);
    if (timers.length) {
      // In place of bpmn-js's timer group, which would write "P3D" as a bare name.
      const own = groups.findIndex((g) => g.id === 'timer');
      const group = {
        id: 'award-timer',
        label: awardConfig.strings.timerGroup,
        shouldOpen: true,
        entries: timers
      };
      if (own >= 0) {
        groups.splice(own, 1, group);
      } else {
        groups.splice(groups.findIndex((g) => g.id === 'general') + 1, 0, group);
      }
    }
    const message = messageEntries(element);
    if (message.length) {
      // Right after bpmn-js's "Message" group (the message's name), else after "General".
      const own = groups.findIndex((g) => g.id === 'message');
      const at = own >= 0 ? own + 1 : groups.findIndex((g) => g.id === 'general') + 1;
      groups.splice(at, 0, {
        id: 'award-message',
        label: awardConfig.strings.messageGroup,
        shouldOpen: true,
        entries: message
      });
    }
    return groups;
  };
  propertiesPanel.registerProvider(500, this);
}

AwardPropertiesProvider.$inject = [ 'propertiesPanel', 'awardConfig' ];

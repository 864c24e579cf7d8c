// Reading and writing what this product reads from a diagram (see workflows/diagram_info.py):
//   <bpmn:extensionElements><spiffworkflow:properties>
//     <spiffworkflow:property name="..." value="..."/>
//   </spiffworkflow:properties></bpmn:extensionElements>
// and a multi-instance task's collection (loopDataInputRef) and element variable
// (inputDataItem).
//
// No moddle descriptor is registered for the spiffworkflow namespace: bpmn-js then keeps every
// spiffworkflow:* element as a generic element and writes it back unchanged, whereas a partial
// descriptor silently drops the elements it does not describe. Generic elements are edited here
// with moddle.createAny and the element.updateModdleProperties command (undoable).
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export const SPIFF_NS = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
export const FORM = 'formJsonSchemaFilename';
export const TIME_LIMIT = 'timeLimitDays';
// The legal basis of the time limit (shown to the users beside the due date).
export const TIME_LIMIT_BASIS = 'timeLimitBasis';
export const MAX_TIME_LIMIT_BASIS = 1000;
export const ROLE = 'role';
export const OUTCOME = 'outcome';

// A Python name that is also a valid XML id (the engine reads both as task data keys).
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isSpiff(node, localName) {
  const ns = node && node.$descriptor && node.$descriptor.ns;
  return !!ns && ns.uri === SPIFF_NS && ns.localName === localName;
}

function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } };
}

function definitionsOf(bo) {
  let node = bo;
  while (node && node.$parent) {
    node = node.$parent;
  }
  return node;
}

// The prefix the file already uses for the spiffworkflow namespace, so that no second
// declaration of it is written.
function spiffPrefix(bo) {
  const definitions = definitionsOf(bo);
  const attrs = (definitions && definitions.$attrs) || {};
  for (const name of Object.keys(attrs)) {
    if (name.startsWith('xmlns:') && attrs[name] === SPIFF_NS) {
      return name.slice('xmlns:'.length);
    }
  }
  return 'spiffworkflow';
}

function propertiesElement(bo) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((value) => isSpiff(value, 'properties'));
}

function propertyElements(propsElement) {
  return ((propsElement && propsElement.$children) || []).filter((c) => isSpiff(c, 'property'));
}

/** The spiffworkflow properties of an element, name -> value. */
export function readProperties(element) {
  const bo = getBusinessObject(element);
  const result = {};
  for (const property of propertyElements(propertiesElement(bo))) {
    if (property.name && !(property.name in result)) {
      result[property.name] = property.value == null ? '' : String(property.value);
    }
  }
  return result;
}

export function readProperty(element, name) {
  return readProperties(element)[name] || '';
}

/**
 * The commands that set property `name` to `value` (remove it when `value` is empty), creating
 * bpmn:extensionElements and spiffworkflow:properties when needed and leaving every other
 * extension element as it is.
 */
export function propertyCommands(element, name, value, { moddle, bpmnFactory }) {
  const bo = getBusinessObject(element);
  const commands = [];
  const prefix = spiffPrefix(bo);
  let extensionElements = bo.extensionElements;
  if (!extensionElements) {
    if (!value) {
      return commands;
    }
    extensionElements = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensionElements.$parent = bo;
    commands.push(update(element, bo, { extensionElements }));
  }
  const values = extensionElements.values || [];
  let propsElement = values.find((v) => isSpiff(v, 'properties'));
  if (!propsElement) {
    if (!value) {
      return commands;
    }
    propsElement = moddle.createAny(`${prefix}:properties`, SPIFF_NS, {});
    propsElement.$parent = extensionElements;
    commands.push(update(element, extensionElements, { values: [ ...values, propsElement ] }));
  }
  const children = propsElement.$children || [];
  const existing = children.filter((c) => isSpiff(c, 'property') && c.name === name);
  if (existing.length && value) {
    commands.push(update(element, existing[0], { value }));
    if (existing.length > 1) {
      // Only the first one counts for the engine: drop the others rather than leave a trap.
      commands.push(update(element, propsElement, {
        $children: children.filter((c) => !existing.slice(1).includes(c))
      }));
    }
  } else if (existing.length) {
    const remaining = children.filter((c) => !existing.includes(c));
    if (remaining.some((c) => typeof c === 'object' && c.$type)) {
      commands.push(update(element, propsElement, { $children: remaining }));
    } else {
      commands.push(update(element, extensionElements, {
        values: values.filter((v) => v !== propsElement)
      }));
    }
  } else if (value) {
    const property = moddle.createAny(`${prefix}:property`, SPIFF_NS, { name, value });
    property.$parent = propsElement;
    commands.push(update(element, propsElement, { $children: [ ...children, property ] }));
  }
  return commands;
}

// Text extensions: <spiffworkflow:calledDecisionId>award_rules</spiffworkflow:calledDecisionId>
// on a business-rule task, <spiffworkflow:messagePayload>…</spiffworkflow:messagePayload> and
// <spiffworkflow:messageVariable>…</spiffworkflow:messageVariable> on a message event's
// definition or a send/receive task. Generic elements whose text is their value: each is
// replaced whole (a generic element's text cannot be set in place).

function spiffTextElement(owner, localName) {
  const values = (owner.extensionElements && owner.extensionElements.values) || [];
  return values.find((value) => isSpiff(value, localName));
}

/** The text of the spiffworkflow:`localName` extension of `owner` (a moddle element). */
export function readSpiffText(owner, localName) {
  const node = owner && spiffTextElement(owner, localName);
  return ((node && node.$body) || '').trim();
}

/**
 * The commands that make `value` the text of `owner`'s spiffworkflow:`localName` extension
 * (remove it when empty); `element` is the shape whose command stack entry this is.
 */
export function spiffTextCommands(element, owner, localName, value, { moddle, bpmnFactory }) {
  const commands = [];
  let extensionElements = owner.extensionElements;
  if (!extensionElements) {
    if (!value) {
      return commands;
    }
    extensionElements = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensionElements.$parent = owner;
    commands.push(update(element, owner, { extensionElements }));
  }
  const values = extensionElements.values || [];
  const old = spiffTextElement(owner, localName);
  let replacement = [];
  if (value) {
    const node = moddle.createAny(`${spiffPrefix(owner)}:${localName}`, SPIFF_NS, {});
    node.$body = value;
    node.$parent = extensionElements;
    replacement = [ node ];
  }
  const next = old
    ? values.flatMap((item) => (item === old ? replacement : [ item ]))
    : [ ...values, ...replacement ];
  commands.push(update(element, extensionElements, { values: next }));
  return commands;
}

export function readCalledDecision(element) {
  return readSpiffText(getBusinessObject(element), 'calledDecisionId');
}

/** The commands that make `decisionId` the task's decision (remove it when empty). */
export function calledDecisionCommands(element, decisionId, services) {
  return spiffTextCommands(
    element, getBusinessObject(element), 'calledDecisionId', decisionId, services
  );
}

// Multi-instance ---------------------------------------------------------------------------

export function multiInstance(element) {
  const loop = getBusinessObject(element).loopCharacteristics;
  return loop && is(loop, 'bpmn:MultiInstanceLoopCharacteristics') ? loop : null;
}

export function readCollection(element) {
  const loop = multiInstance(element);
  const ref = loop && loop.loopDataInputRef;
  return (ref && (ref.id || ref.name)) || '';
}

export function readElementVariable(element) {
  const loop = multiInstance(element);
  const item = loop && loop.inputDataItem;
  return (item && (item.name || item.id)) || '';
}

function flowElementsContainer(bo) {
  let node = bo.$parent;
  while (node && !is(node, 'bpmn:FlowElementsContainer')) {
    node = node.$parent;
  }
  if (node) {
    return node;
  }
  // A task in a lane of a collaboration's participant: its process.
  return null;
}

function processOf(element) {
  let shape = element;
  while (shape && shape.parent) {
    shape = shape.parent;
  }
  const rootBo = shape && shape.businessObject;
  if (rootBo && is(rootBo, 'bpmn:Collaboration')) {
    const participant = (rootBo.participants || []).find((p) => p.processRef);
    return participant ? participant.processRef : null;
  }
  return rootBo;
}

/** Why `name` cannot be the id of a new element (or of `self`), or null when it can. */
export function idProblem(name, self, { moddle }, strings) {
  if (!VARIABLE_NAME.test(name)) {
    return strings.nameInvalid;
  }
  const taken = moddle.ids.assigned(name);
  if (taken && taken !== self) {
    return strings.nameTaken;
  }
  return null;
}

/** Why `name` cannot be a collection: only a data object (or an unused name) may be one. */
export function collectionProblem(name, { moddle }, strings) {
  if (!name) {
    return null;
  }
  if (!VARIABLE_NAME.test(name)) {
    return strings.nameInvalid;
  }
  const taken = moddle.ids.assigned(name);
  if (taken && !is(taken, 'bpmn:ItemAwareElement')) {
    return strings.nameTaken;
  }
  return null;
}

/**
 * The commands that make `name` the task's collection: the loopDataInputRef points at the
 * bpmn:dataObject with that id, created in the task's process when missing (bpmn-js drops a
 * reference it cannot resolve when it writes the file).
 */
export function collectionCommands(element, name, { moddle, bpmnFactory, elementRegistry }) {
  const loop = multiInstance(element);
  if (!loop) {
    return [];
  }
  const commands = [];
  const previous = loop.loopDataInputRef;
  let target = name ? moddle.ids.assigned(name) : undefined;
  if (name && !target) {
    const bo = getBusinessObject(element);
    const container = flowElementsContainer(bo) || processOf(element);
    target = bpmnFactory.create('bpmn:DataObject', { id: name, name });
    target.$parent = container;
    created.add(target);
    commands.push(update(element, container, {
      flowElements: [ ...(container.flowElements || []), target ]
    }));
  }
  commands.push(update(element, loop, { loopDataInputRef: target }));
  // A data object made here for a name typed a moment ago goes again once nothing uses it
  // (typing "council_members" letter by letter must not leave "c", "co"... behind).
  if (previous && previous !== target && created.has(previous) &&
      !isReferenced(previous, loop, elementRegistry)) {
    const container = previous.$parent;
    const remaining = (container.flowElements || []).filter((e) => e !== previous);
    const last = commands.find((c) => c.context.moddleElement === container);
    if (last) {
      last.context.properties.flowElements = last.context.properties.flowElements
        .filter((e) => e !== previous);
    } else {
      commands.push(update(element, container, { flowElements: remaining }));
    }
  }
  return commands;
}

const created = new WeakSet();

function isReferenced(dataObject, exceptLoop, elementRegistry) {
  return elementRegistry.getAll().some((shape) => {
    const bo = shape.businessObject;
    if (!bo) {
      return false;
    }
    if (bo.dataObjectRef === dataObject) {
      return true;
    }
    const loop = bo.loopCharacteristics;
    if (!loop) {
      return false;
    }
    return (loop !== exceptLoop && loop.loopDataInputRef === dataObject) ||
      loop.loopDataOutputRef === dataObject;
  });
}

/** The commands that make `name` the element variable (inputDataItem id and name). */
export function elementVariableCommands(element, name, { moddle, bpmnFactory }) {
  const loop = multiInstance(element);
  if (!loop) {
    return [];
  }
  const item = loop.inputDataItem;
  if (!name) {
    return item ? [ update(element, loop, { inputDataItem: undefined }) ] : [];
  }
  if (item) {
    if (item.id !== name) {
      moddle.ids.unclaim(item.id);
      moddle.ids.claim(name, item);
    }
    return [ update(element, item, { id: name, name }) ];
  }
  const created = bpmnFactory.create('bpmn:DataInput', { id: name, name });
  created.$parent = loop;
  return [ update(element, loop, { inputDataItem: created }) ];
}

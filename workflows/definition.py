"""Turn a BPMN file and its DMN tables into a runnable process definition."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from workflows.bounds import (
    diagram_size_problem,
    dmn_size_problems,
    recursion_problem,
    shape_problems,
)
from workflows.diagram_info import BPMN_NS, DiagramInfo, read_diagram
from workflows.engine_messages import dmn_problem, validation_problem
from workflows.errors import DiagramError, Problem
from workflows.script_engine import guard_multi_instances
from workflows.serialization import load_spec
from workflows.xml_loading import parse_xml

DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)


@dataclass(frozen=True)
class ProcessDefinition:
    """A parsed process: the engine's spec (opaque to callers) and what the diagram says."""

    process_id: str
    diagram: DiagramInfo
    spec: Any
    subprocess_specs: dict[str, Any]

    @property
    def name(self) -> str | None:
        """The process's display name."""
        return self.diagram.process_names.get(self.process_id)


def _problem_from_validation(exc: ValidationException, root: etree._Element | None) -> Problem:
    element_id = getattr(exc, "id", "") or None
    line = getattr(exc, "line_number", "") or None
    message = str(exc).split("\n", 1)[0].rstrip(". ") or "invalid diagram"
    # SpiffWorkflow leaves line_number empty for semantic errors; the classifier finds it.
    return validation_problem(
        message,
        element_id=element_id,
        name=getattr(exc, "name", "") or None,
        line=int(line) if isinstance(line, int | str) and str(line).isdigit() else None,
        file_name=getattr(exc, "file_name", None) or None,
        root=root,
    )


def _main_process_id(root: etree._Element, executable: list[str], wanted: str | None) -> str:
    if wanted and wanted in executable:
        return wanted
    if len(executable) == 1:
        return executable[0]
    if not executable:
        raise DiagramError(
            [
                Problem(
                    "no_executable_process",
                    'the file has no executable process (isExecutable="true")',
                )
            ]
        )
    called = {node.get("calledElement") for node in root.iter(f"{{{BPMN_NS}}}callActivity")}
    top = [pid for pid in executable if pid not in called]
    if len(top) == 1:
        return top[0]
    raise DiagramError(
        [
            Problem(
                "several_processes",
                f"the file has several top-level processes ({', '.join(top or executable)}); "
                "keep one, or call the others from it",
                params={"processes": ", ".join(top or executable)},
            )
        ]
    )


def load_definition(
    bpmn: bytes | str,
    dmn_files: Mapping[str, bytes | str] | None = None,
    *,
    file_name: str = "diagram.bpmn",
    process_id: str | None = None,
) -> ProcessDefinition:
    """Parse a BPMN file and its DMN tables; raise DiagramError when the engine cannot use them."""
    root = parse_xml(bpmn, file_name)
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise DiagramError(
            [
                Problem(
                    "not_bpmn",
                    f"{file_name} is not a BPMN 2.0 file",
                    file_name=file_name,
                    line=root.sourceline,
                )
            ]
        )
    too_large = diagram_size_problem(root, file_name)
    if too_large is not None:
        raise DiagramError([too_large])
    diagram = read_diagram(root)
    # The parser recurses once per step: refuse what it cannot read before it tries.
    shape = shape_problems(diagram, file_name)
    if shape:
        raise DiagramError(shape)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    problems: list[Problem] = []
    try:
        parser.add_bpmn_xml(root, filename=file_name)
    except RecursionError as exc:
        raise DiagramError([_recursion_problem(exc, file_name)]) from exc
    except ValidationException as exc:
        problems.append(_recursion_problem(exc, file_name, root))
    except SpiffWorkflowException as exc:
        problems.append(Problem("invalid_bpmn", str(exc), file_name=file_name))
    for dmn_name, dmn_bytes in (dmn_files or {}).items():
        try:
            dmn_root = parse_xml(dmn_bytes, dmn_name)
            oversized = dmn_size_problems(dmn_root, dmn_name)
            if oversized:
                problems.extend(oversized)
                continue
            parser.add_dmn_xml(dmn_root, filename=dmn_name)
        except DiagramError as exc:
            problems.extend(exc.problems)
        except (
            ValidationException,
            SpiffWorkflowException,
            etree.LxmlError,
            KeyError,
            AttributeError,
            ValueError,
            TypeError,
            IndexError,
        ) as exc:
            problems.append(dmn_problem(exc, dmn_name))
    if problems:
        raise DiagramError(problems)
    main_id = _main_process_id(root, parser.get_process_ids(), process_id)
    try:
        spec = parser.get_spec(main_id)
        subprocess_specs = parser.get_subprocess_specs(main_id)
    except RecursionError as exc:
        raise DiagramError([_recursion_problem(exc, file_name)]) from exc
    except ValidationException as exc:
        raise DiagramError([_recursion_problem(exc, file_name, root)]) from exc
    except (
        SpiffWorkflowException,
        KeyError,
        AttributeError,
        ValueError,
        TypeError,
        IndexError,
    ) as exc:
        # The parser has unguarded paths for unusual files; they are problems, not crashes.
        raise DiagramError(
            [Problem("invalid_bpmn", f"{type(exc).__name__}: {exc}", file_name=file_name)]
        ) from exc
    guard_multi_instances([spec, *subprocess_specs.values()])
    return ProcessDefinition(main_id, diagram, spec, subprocess_specs)


def _recursion_problem(
    exc: Exception, file_name: str, root: etree._Element | None = None
) -> Problem:
    """SpiffWorkflow's parser out of recursion is a problem of the diagram's size; any other
    ValidationException is the parser's own message."""
    problem = recursion_problem(exc, file_name)
    if problem is not None:
        return problem
    assert isinstance(exc, ValidationException)
    return _problem_from_validation(exc, root)


def restore_definition(bpmn: bytes | str, spec_json: str) -> ProcessDefinition:
    """Rebuild a stored version's definition from its BPMN and its serialized spec."""
    spec, subprocess_specs = load_spec(spec_json)
    diagram = read_diagram(parse_xml(bpmn, "stored.bpmn"))
    guard_multi_instances([spec, *subprocess_specs.values()])
    return ProcessDefinition(spec.name, diagram, spec, subprocess_specs)

"""Walking parent/child trees held as ``{node id: parent id}`` maps (departments, KPIs).

The map is loaded in one query; walks are cycle-safe so a corrupt tree cannot hang a request.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping

Node = Hashable


def ancestors(parent_map: Mapping[Node, Node | None], node: Node) -> list[Node]:
    """Parent, grandparent, … of ``node``, nearest first."""
    found: list[Node] = []
    current = parent_map.get(node)
    while current is not None and current not in found and current != node:
        found.append(current)
        current = parent_map.get(current)
    return found


def children_map(parent_map: Mapping[Node, Node | None]) -> dict[Node | None, list[Node]]:
    children: dict[Node | None, list[Node]] = defaultdict(list)
    for child, parent in parent_map.items():
        children[parent].append(child)
    return children


def descendants(parent_map: Mapping[Node, Node | None], roots: Iterable[Node]) -> set[Node]:
    """The given nodes and every node below them."""
    children = children_map(parent_map)
    found: set[Node] = set()
    stack = [node for node in roots if node in parent_map]
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(children[node])
    return found


def would_cycle(
    parent_map: Mapping[Node, Node | None], node: Node, new_parent: Node | None
) -> bool:
    """Would giving ``node`` the parent ``new_parent`` make it its own ancestor?"""
    if new_parent is None:
        return False
    return new_parent == node or node in ancestors(parent_map, new_parent)

"""The package's shape: no module imports another that imports it back, however far round (deferred imports
inside functions included). The layers themselves are kept by `make lint` (lint-imports, pyproject.toml)."""

import grimp


def test_no_import_cycle():
    graph = grimp.build_graph("authoring")
    cycles = [(module, imported) for module in sorted(graph.modules)
              for imported in graph.find_modules_directly_imported_by(module)
              if graph.chain_exists(importer=imported, imported=module)]
    assert cycles == []

"""Process start-up: keep an optional, slow-to-import module out of every process that imports orgnb.

jsonschema (imported by nbformat, papermill and moto) imports rfc3987_syntax when it is installed (JupyterLab's
jupyter-events asks for it), and that module builds about 35 Earley parsers at import time: 2 to 8 s in every
process, for the `iri` format checks that no schema here uses (python-jsonschema/jsonschema#1428). Marked absent,
it is skipped and jsonschema registers no `iri` checker. This runs before anything in orgnb can import jsonschema.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None marks a module absent (the import system's rule)

"""Running reports: parameters, papermill, HTML, run.json and the index.

jsonschema (imported by nbformat and papermill) imports ``rfc3987_syntax`` when it is installed
(JupyterLab's dependencies install it), for optional "iri" format checks; that module builds a
parser at import, about 2.4 s of every process that runs reports: the runner before its data
check, and each worker before its first kernel. Nothing here checks formats (nbformat validates
a notebook's structure), so processes that import this package mark the module absent, unless
it was imported already; jsonschema then leaves those two optional format checks out.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

"""A private AI appliance: local RAG over an organisation's own documents.

The public entry point is :class:`appliance.service.Appliance`; the CLI
(`appliance ...`) and, later, the web app are thin layers over it.
"""

__version__ = "0.1.0"
